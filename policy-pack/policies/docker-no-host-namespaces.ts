import { containerRef, forContainers } from "./lib/docker";
import { known } from "./lib/known";
import { resourcePolicy } from "./lib/meta";

/** The namespace fields and what sharing the host's one gives away. */
const MODES = {
    networkMode: "the host's network stack (every port and interface)",
    pidMode: "the host's processes",
    ipcMode: "the host's shared memory",
    usernsMode: "the host's user namespace (no remapping of root)",
} as const;

export const dockerNoHostNamespaces = resourcePolicy({
    name: "docker-no-host-namespaces",
    description: "Containers do not share the host's network, PID, IPC or user namespace.",
    from: 1,
    severity: "high",
    why: "Minimize the blast radius: a container in the host's namespaces sees and reaches what the host does, so isolation is gone.",
    remediation: "Remove networkMode/pidMode/ipcMode/usernsMode \"host\"; attach the container to a docker.Network of the stack.",
    anchors: ["CIS 5.10", "CIS 5.16", "CIS 5.17", "CIS 5.31"],
}, {
    validateResource: forContainers((c, args, report) => {
        for (const [field, what] of Object.entries(MODES)) {
            if (known(() => c[field as keyof typeof MODES]) === "host") {
                report(`${containerRef(args.name)}: ${field} is "host", so it shares ${what}; remove ${field}` +
                    (field === "networkMode" ? " and attach it to a docker.Network of the stack (networksAdvanced)" : ""));
            }
        }
    }),
});
