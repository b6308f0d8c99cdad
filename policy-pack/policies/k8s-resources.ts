import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forContainers, get, UNKNOWN } from "./lib/pods";

const REQUIRED = [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]] as const;

export const k8sResources = resourcePolicy({
    name: "k8s-resources",
    description: "Containers request CPU and memory and have a memory limit.",
    from: 5,
    severity: "medium",
    why: "Resource isolation against resource contention on shared servers: one runaway pod must not starve the others, and the scheduler must know what each needs.",
    remediation: "Set resources: { requests: { cpu, memory }, limits: { memory } } on every container, init containers included.",
    anchors: ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "KS container-resources"],
}, {
    validateResource: previewSafe(forContainers((c, _pod, report) => {
        if (get(c.container, "resources") === UNKNOWN) return;
        const missing = REQUIRED.filter((path) => get(c.container, "resources", ...path) === undefined).map((path) => path.join("."));
        if (missing.length > 0) {
            const why = [
                ...(missing.some((m) => m.startsWith("requests")) ? ["the scheduler places it blind"] : []),
                ...(missing.includes("limits.memory") ? ["it can take the node's memory from its neighbours"] : []),
            ];
            report(`${c.ref}: ${c.path}.resources lacks ${missing.join(", ")}, so ${why.join(" and ")}; ` +
                `set ${missing.map((m) => `resources.${m}`).join(", ")}`);
        }
    })),
});
