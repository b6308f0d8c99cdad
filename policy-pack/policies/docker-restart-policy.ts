import { containerRef, forContainers } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

export const dockerRestartPolicy = resourcePolicy({
    name: "docker-restart-policy",
    description: "Containers restart on failure with a bounded retry count (or unless-stopped).",
    from: 3,
    severity: "medium",
    why: "Fault tolerance is handling failures gracefully: a crashed container comes back by itself, and one that crashes in a loop stops and shows up as failed.",
    remediation: "Set restart: \"on-failure\" with maxRetryCount (e.g. 5), or restart: \"unless-stopped\".",
    anchors: ["CIS 5.15"],
}, {
    validateResource: forContainers((c, args, report) => {
        const restart = c.restart ?? "no";
        const where = containerRef(args.name);
        if (restart === "on-failure") {
            if (!(typeof c.maxRetryCount === "number" && c.maxRetryCount > 0)) {
                report(`${where}: restart is "on-failure" without maxRetryCount, so a crash loop never ends; set maxRetryCount (e.g. 5)`);
            }
        } else if (restart === "always") {
            report(`${where}: restart is "always", which restarts without bound and even after a deliberate stop; ` +
                `use "on-failure" with maxRetryCount (e.g. 5) or "unless-stopped"`);
        } else if (restart !== "unless-stopped") {
            report(`${where}: restart is "${restart}", so nothing brings it back after a crash; ` +
                `set restart: "on-failure" with maxRetryCount (e.g. 5), or "unless-stopped"`);
        }
    }, "servers"),
});
