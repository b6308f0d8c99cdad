import { parseImageRef } from "../contract";
import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forContainers, get } from "./lib/pods";

export const k8sImageTag = resourcePolicy({
    name: "k8s-image-tag",
    description: "Container images carry a tag other than latest, or a digest.",
    from: 5,
    severity: "medium",
    why: "Environment parity and immutability: what runs must be what was tested, not whatever the registry serves today.",
    remediation: "Name images with a version tag (postgres:17.6-bookworm) or a digest (postgres@sha256:...); the lab's image config keys take either.",
    anchors: ["CKV_K8S_14", "Ky disallow-latest-tag"],
}, {
    validateResource: previewSafe(forContainers((c, _pod, report) => {
        const image = get(c.container, "image");
        if (typeof image !== "string") return;
        const { repository, tag, digest } = parseImageRef(image);
        if (digest || (tag && tag !== "latest")) return;
        report(`${c.ref}: ${c.path}.image "${image}" ${tag ? "uses the moving tag latest" : "has no tag, which means latest"}, ` +
            `so every node may pull something else; pin a version tag or a digest (e.g. ${repository}:1.2.3 or @sha256:...)`);
    })),
});
