import { containerRef, forContainers } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

export const dockerLimits = resourcePolicy({
    name: "docker-limits",
    description: "Containers have a memory limit and a CPU share or quota.",
    from: 4,
    severity: "medium",
    why: "Resource isolation against resource contention on shared servers: one runaway container must not starve the others.",
    remediation: "Set memory (MB, e.g. 256) and cpuShares (e.g. 512) or cpus (e.g. \"0.5\").",
    anchors: ["CIS 5.11", "CIS 5.12"],
}, {
    validateResource: forContainers((c, args, report) => {
        const where = containerRef(args.name);
        if (!(typeof c.memory === "number" && c.memory > 0)) {
            report(`${where}: memory is not set, so it may take all of the host's memory; set memory in MB (e.g. 256)`);
        }
        const shares = typeof c.cpuShares === "number" && c.cpuShares > 0;
        const quota = c.cpus !== undefined && Number(c.cpus) > 0;
        if (!shares && !quota) {
            report(`${where}: neither cpuShares nor cpus is set, so it competes for CPU unchecked; set cpuShares (e.g. 512) or cpus (e.g. "0.5")`);
        }
    }, "running"),
});
