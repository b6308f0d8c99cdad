import { capability } from "./lib/docker";
import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forContainers, get, items, UNKNOWN } from "./lib/pods";

/** What Pod Security "restricted" lets a container add back; admission refuses anything else, so no config can widen it. */
const ADDABLE = ["NET_BIND_SERVICE"];

export const k8sCapabilities = resourcePolicy({
    name: "k8s-capabilities",
    description: "Containers drop ALL capabilities and add back at most NET_BIND_SERVICE.",
    from: 5,
    severity: "high",
    why: "Least privilege: a process keeps only the kernel permissions it needs, so a compromise cannot use NET_RAW, CHOWN or SETUID it never needed.",
    remediation: "Set securityContext.capabilities: { drop: [\"ALL\"] } on every container; add only NET_BIND_SERVICE, and only to bind a port below 1024.",
    anchors: ["PSS restricted", "CKV_K8S_28", "CKV_K8S_37"],
}, {
    validateResource: previewSafe(forContainers((c, _pod, report) => {
        const drop = get(c.container, "securityContext", "capabilities", "drop");
        if (drop !== UNKNOWN) {
            const dropped = items(c.container, "securityContext", "capabilities", "drop").map(({ item }) => capability(String(item)));
            if (!dropped.includes("ALL")) {
                report(`${c.ref}: ${c.path}.securityContext.capabilities.drop does not contain ALL, so it keeps the runtime's ` +
                    `defaults (CHOWN, NET_RAW, SETUID, ...); set capabilities: { drop: ["ALL"] }`);
            }
        }
        for (const { item, index } of items(c.container, "securityContext", "capabilities", "add")) {
            if (!ADDABLE.includes(capability(String(item)))) {
                report(`${c.ref}: ${c.path}.securityContext.capabilities.add[${index}] is ${String(item)}, which Pod Security ` +
                    `"restricted" refuses (only ${ADDABLE.join(", ")} may be added); remove it`);
            }
        }
    })),
});
