import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forKinds, get, listed, UNKNOWN } from "./lib/pods";

export const PSS_ENFORCE = "pod-security.kubernetes.io/enforce";

export interface PssLabelConfig {
    /** Namespaces that may enforce "baseline" instead of "restricted". */
    baselineNamespaces?: string[];
}

export const k8sNamespacePssLabel = resourcePolicy({
    name: "k8s-namespace-pss-label",
    description: `Every Namespace carries ${PSS_ENFORCE}=restricted (baseline where the policy config allows).`,
    from: 5,
    severity: "high",
    why: "Security is an aspect that needs to be implemented from the ground up: the cluster itself refuses a pod that breaks the Pod Security Standards, whatever created it.",
    remediation: `Label the Namespace ${PSS_ENFORCE}: restricted; list in baselineNamespaces only a namespace whose pods cannot meet it, with a reason.`,
    anchors: ["PSS admission"],
}, {
    configSchema: {
        properties: {
            baselineNamespaces: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Namespaces that may enforce the baseline Pod Security Standard instead of restricted.",
            },
        },
    },
    validateResource: previewSafe(forKinds(["Namespace"], (namespace, ref, args, report) => {
        const level = get(namespace, "metadata", "labels", PSS_ENFORCE);
        const name = get(namespace, "metadata", "name") ?? args.name;
        if (level === UNKNOWN || name === UNKNOWN || level === "restricted") return;
        const baselineAllowed = listed(args.getConfig<PssLabelConfig>().baselineNamespaces, name, undefined);
        if (level === "baseline" && baselineAllowed) return;
        const wanted = baselineAllowed ? "restricted (or baseline, which the config allows here)" : "restricted";
        report(`${ref}: metadata.labels["${PSS_ENFORCE}"] is ${level === undefined ? "not set" : `"${String(level)}"`}, so ` +
            `the API server admits pods that run as root or privileged there; set it to ${wanted}`);
    })),
});
