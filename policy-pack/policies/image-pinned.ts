import * as docker from "@pulumi/docker";
import { parseImageRef } from "../contract";
import { containerRef, isImageId } from "./lib/docker";
import { known, previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";

/** Why a reference is not pinned, or undefined when it is (a tag other than latest, or a digest). */
function unpinned(ref: string): string | undefined {
    const { tag, digest } = parseImageRef(ref);
    if (digest) return undefined;
    if (!tag) return "has no tag, so it means latest";
    if (tag === "latest") return "uses the moving tag latest";
    return undefined;
}

export const imagePinned = resourcePolicy({
    name: "image-pinned",
    description: "Images are pinned to a tag other than latest, or to a digest.",
    from: 1,
    severity: "medium",
    why: "Environment parity and immutability: what runs must be what was tested, not whatever the registry serves today.",
    remediation: "Name images with a version tag (postgres:17.6-bookworm) or a digest (postgres@sha256:...); the lab's image config keys take either.",
    anchors: ["CKV_DOCKER_7", "DL3007", "DS-0001"],
}, {
    // One function over three types (not three validateResourceOfType), so a resource of one type
    // is not also reported "not applicable" by the other two.
    validateResource: previewSafe((args, report) => {
        const check = (what: string, field: string, ref: string | undefined) => {
            const problem = ref === undefined ? undefined : unpinned(ref);
            if (problem) {
                report(`${what}: ${field} "${ref}" ${problem}, so what runs drifts with every pull; ` +
                    `pin a version tag or a digest (e.g. ${parseImageRef(ref!).repository}:1.2.3 or @sha256:...)`);
            }
        };
        const pulled = args.asType(docker.RemoteImage);
        if (pulled) return check(`remote image "${args.name}"`, "name", known(() => pulled.name));
        const built = args.asType(docker.Image);
        if (built) return check(`image "${args.name}"`, "imageName", known(() => built.imageName));
        const container = args.asType(docker.Container);
        if (container) {
            // RemoteImage.imageId is an id, not a reference (and unknown at preview): its RemoteImage is checked.
            const image = known(() => container.image);
            return check(containerRef(args.name), "image", image && !isImageId(image) ? image : undefined);
        }
        args.notApplicable("image-pinned checks RemoteImage, Image and Container resources");
    }),
});
