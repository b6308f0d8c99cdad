import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forContainers, get, UNKNOWN } from "./lib/pods";

export const k8sNoPrivilege = resourcePolicy({
    name: "k8s-no-privilege",
    description: "Containers are not privileged and set allowPrivilegeEscalation: false.",
    from: 5,
    severity: "critical",
    why: "Least privilege: things only get the minimum permission needed to function, and a privileged container gets every device and capability of the node.",
    remediation: "Remove securityContext.privileged and set securityContext.allowPrivilegeEscalation: false on every container.",
    anchors: ["PSS baseline", "PSS restricted", "CKV_K8S_16", "CKV_K8S_20"],
}, {
    validateResource: previewSafe(forContainers((c, _pod, report) => {
        if (get(c.container, "securityContext", "privileged") === true) {
            report(`${c.ref}: ${c.path}.securityContext.privileged is true, so it gets every device and capability of the node; remove it`);
        }
        const escalation = get(c.container, "securityContext", "allowPrivilegeEscalation");
        if (escalation !== false && escalation !== UNKNOWN) {
            report(`${c.ref}: ${c.path}.securityContext.allowPrivilegeEscalation is ${escalation === undefined ? "not set (true by default)" : escalation}, ` +
                `so a setuid binary can gain privileges; set allowPrivilegeEscalation: false`);
        }
    })),
});
