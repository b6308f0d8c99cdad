import { containerRef, forContainers, hostBinds } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

/** CIS 5.6's host directories; a path below them counts too (/etc/shadow), except below "/" itself. */
const SENSITIVE = ["/etc", "/proc", "/sys", "/dev", "/boot"];
const sensitiveRoot = (hostPath: string) =>
    hostPath === "/" ? "/" : SENSITIVE.find((dir) => hostPath === dir || hostPath.startsWith(`${dir}/`));

export const dockerNoSensitiveHostDirs = resourcePolicy({
    name: "docker-no-sensitive-host-dirs",
    description: "No container binds /, /etc, /proc, /sys, /dev or /boot of the host.",
    from: 1,
    severity: "high",
    why: "Minimize the blast radius: a container that can read or write the host's system directories is no longer isolated from it.",
    remediation: "Replace the bind mount with a named docker.Volume, or upload the one file the container needs (uploads).",
    anchors: ["CIS 5.6"],
}, {
    validateResource: forContainers((c, args, report) => {
        for (const { at, hostPath } of hostBinds(c)) {
            const root = sensitiveRoot(hostPath);
            if (root) {
                report(`${containerRef(args.name)}: ${at} binds the host's ${hostPath}${root !== hostPath ? ` (under ${root})` : ""}; ` +
                    `use a named docker.Volume or upload the one file it needs instead`);
            }
        }
    }),
});
