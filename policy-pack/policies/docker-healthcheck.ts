import { containerRef, forContainers } from "./lib/docker";
import { knownItems } from "./lib/known";
import { resourcePolicy } from "./lib/meta";

export const dockerHealthcheck = resourcePolicy({
    name: "docker-healthcheck",
    description: "Every container has a health check.",
    from: 3,
    severity: "medium",
    why: "Load balancers need health checks and failover mechanisms: a container that runs but does not answer must be seen as failed.",
    remediation: "Set healthcheck.tests to a command that proves the service answers (e.g. [\"CMD\", \"pg_isready\", ...]) with interval, timeout and retries.",
    anchors: ["CIS 5.27", "CIS 4.6"],
}, {
    validateResource: forContainers((c, args, report) => {
        if (!("healthcheck" in c)) {
            return report(`${containerRef(args.name)}: healthcheck is not set, so a hung service looks healthy; ` +
                `set healthcheck.tests to a command that proves it answers, with interval, timeout and retries`);
        }
        const tests = knownItems(() => c.healthcheck?.tests).map(({ item }) => item);
        if (tests.length === 0 || tests[0] === "NONE") {
            report(`${containerRef(args.name)}: healthcheck.tests is ${tests.length ? '["NONE"]' : "empty"}, which ` +
                `disables the check; give it a command that proves the service answers`);
        }
    }, "servers"),
});
