import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forKinds, get, UNKNOWN } from "./lib/pods";

export const k8sHpaSane = resourcePolicy({
    name: "k8s-hpa-sane",
    description: "HorizontalPodAutoscalers keep at least two pods and can scale above their minimum.",
    from: 5,
    severity: "medium",
    why: "Auto-scaling achieves true elasticity based on demand, and multiple identical instances provide redundancy: an autoscaler must do both.",
    remediation: "Set minReplicas to 2 or more and maxReplicas above it.",
    anchors: ["Pol hpaMinAvailability", "KS hpa-replicas"],
}, {
    validateResource: previewSafe(forKinds(["HorizontalPodAutoscaler"], (hpa, ref, _args, report) => {
        const min = get(hpa, "spec", "minReplicas");
        const max = get(hpa, "spec", "maxReplicas");
        if (min === UNKNOWN) return;
        const floor = typeof min === "number" ? min : 1;
        if (floor < 2) {
            report(`${ref}: spec.minReplicas is ${min === undefined ? "not set (1)" : floor}, so it may scale the app down to one pod, ` +
                `a single point of failure; set minReplicas to 2 or more`);
        }
        if (typeof max === "number" && max <= floor) {
            report(`${ref}: spec.maxReplicas (${max}) is not above minReplicas (${floor}), so it can never scale out; ` +
                `set maxReplicas above minReplicas`);
        }
    })),
});
