import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { containersOf, forPodSpecs, get } from "./lib/pods";

/** Long-running workloads: jobs run to completion, where readiness means nothing. */
const SERVING = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"];

export const k8sProbes = resourcePolicy({
    name: "k8s-probes",
    description: "Long-running containers have readiness and liveness probes.",
    from: 5,
    severity: "medium",
    why: "Load balancers need health checks and failover mechanisms: a pod that runs but does not answer must leave the Service and be restarted.",
    remediation: "Set readinessProbe (when to receive traffic) and livenessProbe (when to restart) on every container; add a startupProbe for slow starters.",
    anchors: ["CKV_K8S_8", "CKV_K8S_9", "KS pod-probes"],
}, {
    validateResource: previewSafe(forPodSpecs((pod, args, report) => {
        // A bare Pod that does not restart is a one-off, like a Job.
        const restart = get(pod.spec, "restartPolicy");
        if (pod.kind === "Pod" && (restart === "Never" || restart === "OnFailure")) {
            return args.notApplicable(`a Pod with restartPolicy ${restart} runs to completion`);
        }
        for (const c of containersOf(pod).filter((c) => !c.init)) {
            const missing = (["readinessProbe", "livenessProbe"] as const).filter((probe) => get(c.container, probe) === undefined);
            if (missing.length > 0) {
                report(`${c.ref}: ${c.path} has no ${missing.join(" and no ")}, so ` +
                    `${missing.includes("readinessProbe") ? "its Service sends traffic before it answers" : "a hung process is never restarted"}; ` +
                    `set ${missing.join(" and ")} (an HTTP or TCP check of its port)`);
            }
        }
    }, SERVING)),
});
