import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { effective, forContainers, UNKNOWN } from "./lib/pods";

export const k8sRunAsNonRoot = resourcePolicy({
    name: "k8s-run-as-non-root",
    description: "Containers run with runAsNonRoot: true and a runAsUser other than 0.",
    from: 5,
    severity: "high",
    why: "Least privilege: the process gets only the permissions it needs, and an attacker who takes it over does not start as root.",
    remediation: "Set securityContext.runAsNonRoot: true and runAsUser to the image's unprivileged uid (pod-wide in spec.securityContext, or per container).",
    anchors: ["PSS restricted", "CKV_K8S_23", "CKV_K8S_40"],
}, {
    validateResource: previewSafe(forContainers((c, pod, report) => {
        const nonRoot = effective(pod, c, "runAsNonRoot");
        if (!nonRoot) {
            report(`${c.ref}: neither ${c.path}.securityContext.runAsNonRoot nor ${pod.path}.securityContext.runAsNonRoot is set, ` +
                `so it runs as the image's user, root for most images; set runAsNonRoot: true`);
        } else if (nonRoot.value !== true && nonRoot.value !== UNKNOWN) {
            report(`${c.ref}: ${nonRoot.path} is ${String(nonRoot.value)}, so the kubelet starts it as root if the image says so; set it to true`);
        }
        const user = effective(pod, c, "runAsUser");
        if (user?.value === 0) {
            report(`${c.ref}: ${user.path} is 0 (root); set it to an unprivileged uid (e.g. 10001)`);
        }
    })),
});
