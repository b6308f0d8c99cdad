import { containerRef, describePort, forContainers, publishedPorts } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export const dockerPortsLocalhost = resourcePolicy({
    name: "docker-ports-localhost",
    description: "Every published port binds 127.0.0.1 and is an unprivileged port (>= 1024).",
    from: 3,
    severity: "medium",
    why: "Network design with a single entry point: what a laptop lab publishes should be reachable from the laptop, not from every network it joins.",
    remediation: "Set ports[].ip to \"127.0.0.1\" and ports[].external to 1024 or above (the lab's *HostPort config keys).",
    anchors: ["CIS 5.14", "CIS 5.8"],
}, {
    validateResource: forContainers((c, args, report) => {
        for (const port of publishedPorts(c)) {
            const at = `${containerRef(args.name)}: ports[${port.index}] (${describePort(port)})`;
            // An unknown ip waits for `up`; an absent one is Docker's default, every interface.
            if (port.ipAbsent || (port.ip !== undefined && !LOOPBACK.has(port.ip))) {
                report(`${at} is published on ${port.ip ?? "every interface (no ip)"}, so any machine that reaches ` +
                    `the host reaches it; set ip: "127.0.0.1"`);
            }
            if (port.external !== undefined && port.external < 1024) {
                report(`${at} takes the privileged host port ${port.external}; publish on 1024 or above`);
            }
        }
    }, "running"),
});
