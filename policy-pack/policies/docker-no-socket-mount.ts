import { containerRef, forContainers, hostBinds } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

/** The socket itself, or the directories that hold it (binding those hands it over too). */
const isDockerSocket = (hostPath: string) => /(^|\/)docker\.sock$/.test(hostPath) || hostPath === "/var/run" || hostPath === "/run";

export const dockerNoSocketMount = resourcePolicy({
    name: "docker-no-socket-mount",
    description: "No container mounts the Docker socket.",
    from: 1,
    severity: "critical",
    why: "Minimize the blast radius: whoever reaches the Docker socket from a compromised container controls every container and the host itself.",
    remediation: "Remove the volume or mount of /var/run/docker.sock; a tool that must talk to Docker gets a narrow API proxy instead.",
    anchors: ["CIS 5.32", "CKV_K8S_27"],
}, {
    validateResource: forContainers((c, args, report) => {
        for (const { at, hostPath } of hostBinds(c)) {
            if (isDockerSocket(hostPath)) {
                report(`${containerRef(args.name)}: ${at} binds ${hostPath}, which hands it the Docker socket and with it ` +
                    `root on the host; remove the mount`);
            }
        }
    }),
});
