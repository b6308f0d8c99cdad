import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forContainers, get, UNKNOWN } from "./lib/pods";

export const k8sReadonlyRootfs = resourcePolicy({
    name: "k8s-readonly-rootfs",
    description: "Containers run with readOnlyRootFilesystem: true.",
    from: 5,
    severity: "medium",
    why: "Immutability: what runs is the image that was built and scanned, and an intruder cannot drop tools or rewrite binaries in it.",
    remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process must write (/tmp, caches, sockets).",
    anchors: ["CKV_K8S_22", "Ky require-ro-rootfs"],
}, {
    validateResource: previewSafe(forContainers((c, _pod, report) => {
        const readOnly = get(c.container, "securityContext", "readOnlyRootFilesystem");
        if (readOnly !== true && readOnly !== UNKNOWN) {
            report(`${c.ref}: ${c.path}.securityContext.readOnlyRootFilesystem is ${readOnly === undefined ? "not set" : String(readOnly)}, ` +
                `so an intruder can rewrite the image's files; set it to true and mount an emptyDir where it must write`);
        }
    })),
});
