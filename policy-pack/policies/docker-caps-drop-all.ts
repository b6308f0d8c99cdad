import { capability, containerRef, forContainers } from "./lib/docker";
import { knownItems } from "./lib/known";
import { resourcePolicy } from "./lib/meta";

export interface CapsConfig {
    /** Capabilities a container may add back after dropping ALL. */
    allowedCapabilities?: string[];
}

export const dockerCapsDropAll = resourcePolicy({
    name: "docker-caps-drop-all",
    description: "Containers drop ALL capabilities and add back only allowlisted ones.",
    from: 4,
    severity: "high",
    why: "Least privilege: a process keeps only the kernel permissions it needs, so a compromise cannot use NET_RAW, CHOWN or SETUID it never needed.",
    remediation: "Set capabilities: { drops: [\"ALL\"] } and list in adds only what the policy config allowlists (allowedCapabilities).",
    anchors: ["CIS 5.4"],
}, {
    // The CLI fills this default into the config; the SDK does not, so a missing list allows nothing.
    configSchema: {
        properties: {
            allowedCapabilities: {
                type: "array",
                items: { type: "string" },
                default: ["NET_BIND_SERVICE"],
                description: "Capabilities a container may add after dropping ALL.",
            },
        },
    },
    validateResource: forContainers((c, args, report) => {
        const allowed = new Set((args.getConfig<CapsConfig>().allowedCapabilities ?? []).map(capability));
        const drops = knownItems(() => c.capabilities?.drops).map(({ item }) => capability(item));
        const where = containerRef(args.name);
        if (!drops.includes("ALL")) {
            report(`${where}: capabilities.drops does not contain ALL, so it keeps Docker's defaults (CHOWN, NET_RAW, ` +
                `SETUID, ...); set capabilities: { drops: ["ALL"] } and add back only what it needs`);
        }
        for (const { item, index } of knownItems(() => c.capabilities?.adds)) {
            if (!allowed.has(capability(item))) {
                report(`${where}: capabilities.adds[${index}] ${item} is not in the allowlist ` +
                    `(${[...allowed].join(", ") || "empty"}); remove it, or allow it in the policy config with a reason`);
            }
        }
    }, "running"),
});
