import { KUBE_NAMESPACES, SERVICES } from "../contract";
import { previewSafe } from "./lib/known";
import { resourcePolicy, resourceRef } from "./lib/meta";
import { get, listed, podSpecOf, snapshot, typeToken, UNKNOWN } from "./lib/pods";

export interface SaHygieneConfig {
    /** ServiceAccounts ("name" or "namespace/name") whose pods need the API token: the chaos job's. */
    tokenServiceAccounts?: string[];
}

export const k8sSaHygiene = resourcePolicy({
    name: "k8s-sa-hygiene",
    description: "Pods run as their own ServiceAccount, and API tokens are not mounted unless the policy config allows it.",
    from: 5,
    severity: "medium",
    why: "Least privilege: a pod that never calls the Kubernetes API must not carry a token for it, and pods that do get a role of their own, not a shared default.",
    remediation: "Create a ServiceAccount per workload, set serviceAccountName and automountServiceAccountToken: false; list in tokenServiceAccounts the few that call the API.",
    anchors: ["CKV_K8S_38", "CKV_K8S_41", "CKV_K8S_42"],
}, {
    // The CLI fills this default into the config; the SDK does not, so a missing list allows no token.
    configSchema: {
        properties: {
            tokenServiceAccounts: {
                type: "array",
                items: { type: "string" },
                default: [`${KUBE_NAMESPACES.ops}/${SERVICES.chaos}`],
                description: "ServiceAccounts (name or namespace/name) that may mount an API token: the chaos job's, which deletes pods.",
            },
        },
    },
    validateResource: previewSafe((args, report) => {
        const allowed = args.getConfig<SaHygieneConfig>().tokenServiceAccounts;
        const namespace = get(snapshot(() => args.props.metadata), "namespace");
        if (typeToken(args.type)?.kind === "ServiceAccount" && typeToken(args.type)?.group === "core") {
            const props = snapshot(() => args.props);
            const name = get(props, "metadata", "name") ?? args.name;
            const automount = get(props, "automountServiceAccountToken");
            if (automount !== false && automount !== UNKNOWN && name !== UNKNOWN && !listed(allowed, name, namespace)) {
                report(`${resourceRef(args.type, args.name)}: automountServiceAccountToken is ${automount === undefined ? "not set (true by default)" : String(automount)}, ` +
                    `so every pod that uses it carries an API token; set it to false, or list the account in tokenServiceAccounts`);
            }
            return;
        }
        const pod = podSpecOf(args);
        if (!pod) return args.notApplicable("the rule checks workloads and ServiceAccounts");
        if (pod.spec === UNKNOWN) return;
        const account = get(pod.spec, "serviceAccountName") ?? get(pod.spec, "serviceAccount");
        if (account === UNKNOWN) return;
        if (account === undefined || account === "default") {
            report(`${pod.ref}: ${pod.path}.serviceAccountName is ${account === undefined ? "not set" : "\"default\""}, so it runs as the ` +
                `namespace's default ServiceAccount that every such pod shares; create one for it and set serviceAccountName`);
        }
        const automount = get(pod.spec, "automountServiceAccountToken");
        if (automount !== false && automount !== UNKNOWN && !listed(allowed, account ?? "default", namespace)) {
            report(`${pod.ref}: ${pod.path}.automountServiceAccountToken is ${automount === undefined ? "not set (true by default)" : String(automount)}, ` +
                `so a compromised container holds a Kubernetes API token; set it to false (or list its ServiceAccount in tokenServiceAccounts)`);
        }
    }),
});
