import { known, previewSafe, undecided } from "./lib/known";
import { stackPolicy } from "./lib/meta";
import { DockerStack } from "./lib/stack";

/** Modes without a network of their own to judge: none, or another container's (container:<id>). */
const noOwnNetwork = (mode: string | undefined) => mode === "none" || mode?.startsWith("container:");

/**
 * A stack policy: whether `networksAdvanced[].name` names a docker.Network *of this stack* needs the
 * stack's networks, which a resource policy never sees. Violations point at the container's URN.
 */
export const dockerUserNetwork = stackPolicy({
    name: "docker-user-network",
    description: "Containers are attached to a docker.Network of the stack, not Docker's default bridge.",
    from: 2,
    severity: "medium",
    why: "Network design: a network the stack declares (with DNS names and its own rules) replaces the default bridge, where every container on the host can reach every other.",
    remediation: "Give the container `networksAdvanced: [{ name: network.name, aliases: [...] }]` with a docker.Network the stack creates.",
    anchors: ["CIS 5.30"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        const running = stack.containersIn("server", "job");
        if (running.length === 0) args.notApplicable("the stack runs no Docker containers");
        const declared = stack.networks.map((n) => known(() => n.props.name)).filter(Boolean).join(", ") || "none";
        for (const c of running) {
            const mode = known(() => c.props.networkMode) as string | undefined;
            if (noOwnNetwork(mode) || mode === "host") continue; // host: docker-no-host-namespaces says it
            const where = `container "${c.name}"`;
            const attachments = stack.attachments(c);
            // networkMode "bridge" is the provider's default and stays in its state, but a container
            // with networksAdvanced is taken off the default bridge at create
            // (terraform-provider-docker v4.5.0 resource_docker_container_funcs.go: NetworkDisconnect
            // "bridge"): only a container with no networksAdvanced stays on it.
            // Absent or empty, not merely unknown at preview ("in" does not trip the unknown-value proxy).
            const list = known(() => c.props.networksAdvanced) as unknown[] | undefined;
            if (list === undefined && "networksAdvanced" in c.props) undecided(`${where}: networksAdvanced is unknown until up`);
            const none = list ? list.length === 0 : !("networksAdvanced" in c.props);
            if (none && (mode === undefined || mode === "bridge" || mode === "default")) {
                report(`${where}: networkMode "${mode ?? "bridge"}" and no networksAdvanced put it on Docker's default bridge, where every ` +
                    `container can reach it; attach it with networksAdvanced to a docker.Network of the stack (${declared})`, c.urn);
            } else if (none && mode !== undefined && mode !== "bridge" && mode !== "default" && !stack.network(c, mode)) {
                // A network name as networkMode attaches the container to that network alone.
                report(`${where}: networkMode "${mode}" names no docker.Network of this stack; attach it with networksAdvanced ` +
                    `to one the stack declares (${declared})`, c.urn);
            }
            for (const { index, name } of attachments) {
                if (!stack.network(c, name)) {
                    report(`${where}: networksAdvanced[${index}] names "${name}", which is ${name === "bridge" ? "Docker's default bridge" : "no docker.Network of this stack"}; ` +
                        `attach it to one the stack declares (${declared})`, c.urn);
                }
            }
        }
    }),
});
