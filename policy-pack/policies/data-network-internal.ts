import { PolicyResource } from "@pulumi/policy";
import { known, previewSafe, undecided } from "./lib/known";
import { stackPolicy } from "./lib/meta";
import { DockerStack } from "./lib/stack";

export const dataNetworkInternal = stackPolicy({
    name: "data-network-internal",
    description: "Networks that hold databases, caches or secret stores are internal.",
    from: 4,
    severity: "high",
    why: "Network segmentation: isolated zones for the web, application, database and cache tiers limit lateral movement in case of a breach.",
    remediation: "Put data services on a docker.Network of their own with internal: true, and attach only the app (not the edge) to it.",
    anchors: ["CIS 5.30"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        const holders = new Map<PolicyResource, string[]>();
        for (const c of stack.containersIn("server", "job").filter((c) => stack.isDataService(c))) {
            for (const { name } of stack.attachments(c)) {
                const network = stack.network(c, name);
                if (network) holders.set(network, [...(holders.get(network) ?? []), c.name]);
            }
        }
        if (holders.size === 0) args.notApplicable("no data service is attached to a network of the stack");
        for (const [network, services] of holders) {
            const internal = known(() => network.props.internal);
            // false or absent is a finding. Unknown at preview (undefined with the key present: the
            // provider computes internal when the program leaves it out) is said, not passed.
            if (internal === true) continue;
            if (internal === undefined && "internal" in network.props) {
                undecided(`network "${network.name}" holds data services ${services.join(", ")}; its internal is unknown until up (set internal explicitly to know at preview)`);
                continue;
            }
            report(`network "${network.name}" (${known(() => network.props.name) ?? "?"}) holds data services ` +
                `${services.join(", ")} but internal is not true, so it routes them to and from the outside; give the data ` +
                `tier an internal: true network of its own and attach only the app to it`, network.urn);
        }
    }),
});
