import { containerRef, forContainers } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

export const dockerReadonlyRootfs = resourcePolicy({
    name: "docker-readonly-rootfs",
    description: "Containers run with a read-only root filesystem; writable paths are tmpfs or volumes.",
    from: 4,
    severity: "medium",
    why: "Immutability: what runs is the image that was built and scanned, and an intruder cannot drop tools or rewrite binaries in it.",
    remediation: "Set readOnly: true and mount what the process writes as tmpfs (tmpfs: { \"/tmp\": \"rw,noexec,nosuid,size=64m\" }) or a volume.",
    anchors: ["CIS 5.13"],
}, {
    validateResource: forContainers((c, args, report) => {
        if (c.readOnly !== true) {
            report(`${containerRef(args.name)}: readOnly is not true, so a compromised process can rewrite the container's ` +
                `files; set readOnly: true and mount the paths it writes as tmpfs (e.g. tmpfs: { "/tmp": "rw,noexec,nosuid" })`);
        }
    }, "running"),
});
