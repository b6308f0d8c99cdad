import { containerRef, forContainers } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

export const dockerNoPrivileged = resourcePolicy({
    name: "docker-no-privileged",
    description: "Containers do not run privileged.",
    from: 1,
    severity: "critical",
    why: "Least privilege: things only get the minimum permission needed to function, and a privileged container gets every device and capability of the host.",
    remediation: "Remove `privileged: true`; add back the one capability the process needs (capabilities.adds) instead.",
    anchors: ["CIS 5.5"],
}, {
    validateResource: forContainers((c, args, report) => {
        if (c.privileged === true) {
            report(`${containerRef(args.name)}: privileged is true, which makes it root on the host with every device; ` +
                `remove privileged and add only the capability it needs (capabilities.adds)`);
        }
    }),
});
