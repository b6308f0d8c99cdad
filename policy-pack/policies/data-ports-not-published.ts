import { describePort, publishedPorts } from "./lib/docker";
import { previewSafe } from "./lib/known";
import { stackPolicy } from "./lib/meta";
import { DockerStack } from "./lib/stack";

/**
 * A stack policy: the builder runs data stores from RemoteImage.imageId, an id that names no image,
 * so recognising postgres or redis needs the RemoteImage the container depends on. The tier label
 * (devsecops-journey/tier=data) marks a data service too.
 */
export const dataPortsNotPublished = stackPolicy({
    name: "data-ports-not-published",
    description: "Databases, caches and secret stores publish no host port.",
    from: 3,
    severity: "high",
    why: "Secure distributed components and sensitive data: a database reachable from the host's network is an attack surface; only the entry point should face outside.",
    remediation: "Remove ports from data containers; reach them from their network (docker exec ... psql) and let only the load balancer publish a port.",
    anchors: ["CIS 5.14"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        const data = stack.containersIn("server", "job").filter((c) => stack.isDataService(c));
        if (data.length === 0) args.notApplicable("the stack has no database, cache or secret-store containers");
        for (const c of data) {
            const ports = publishedPorts(c.props as any);
            if (ports.length === 0) continue;
            report(`container "${c.name}" (${stack.kindOf(c)}, a data service) publishes ` +
                `${ports.map((p) => `ports[${p.index}] ${describePort(p)}`).join(", ")}; remove ports and reach it from its ` +
                `network (docker exec), so only the entry point faces the host`, c.urn);
        }
    }),
});
