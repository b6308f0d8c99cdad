import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { effective, forContainers, get, UNKNOWN } from "./lib/pods";

const CONFINED = ["RuntimeDefault", "Localhost"];

export const k8sSeccomp = resourcePolicy({
    name: "k8s-seccomp",
    description: "Containers run under the RuntimeDefault or a Localhost seccomp profile.",
    from: 5,
    severity: "medium",
    why: "Least privilege: a process must not run outside the kernel's default confinement, where every system call is open to an attacker.",
    remediation: "Set spec.securityContext.seccompProfile: { type: RuntimeDefault } in the pod template (or per container).",
    anchors: ["PSS restricted", "CKV_K8S_31"],
}, {
    validateResource: previewSafe(forContainers((c, pod, report) => {
        const profile = effective(pod, c, "seccompProfile");
        if (!profile) {
            report(`${c.ref}: neither ${c.path}.securityContext.seccompProfile nor ${pod.path}.securityContext.seccompProfile is set, ` +
                `so it may run Unconfined; set seccompProfile: { type: RuntimeDefault }`);
            return;
        }
        const type = get(profile.value, "type");
        if (type !== UNKNOWN && !CONFINED.includes(type as string)) {
            report(`${c.ref}: ${profile.path}.type is ${type === undefined ? "not set" : `"${String(type)}"`}, so every system call ` +
                `is open to it; set it to RuntimeDefault (or Localhost with a profile)`);
        }
    })),
});
