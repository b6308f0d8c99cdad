import { containerRef, forContainers } from "./lib/docker";
import { knownItems } from "./lib/known";
import { resourcePolicy } from "./lib/meta";

/** Docker accepts both "key=value" and "key:value" in security options. */
const option = (raw: string) => raw.trim().toLowerCase().replace(":", "=");
const UNCONFINED = new Set(["seccomp=unconfined", "apparmor=unconfined", "label=disable"]);

export const dockerNoNewPrivileges = resourcePolicy({
    name: "docker-no-new-privileges",
    description: "securityOpts set no-new-privileges and leave seccomp, AppArmor and SELinux confinement on.",
    from: 4,
    severity: "medium",
    why: "Least privilege: a process must not gain privileges through setuid binaries, nor run outside the kernel's default confinement.",
    remediation: "Set securityOpts: [\"no-new-privileges:true\"] and remove seccomp=unconfined, apparmor=unconfined and label=disable.",
    anchors: ["CIS 5.26", "CIS 5.22", "CIS 5.2"],
}, {
    validateResource: forContainers((c, args, report) => {
        const opts = knownItems(() => c.securityOpts);
        const where = containerRef(args.name);
        if (!opts.some(({ item }) => ["no-new-privileges", "no-new-privileges=true"].includes(option(item)))) {
            report(`${where}: securityOpts lacks no-new-privileges, so a setuid binary can raise its privileges; ` +
                `add "no-new-privileges:true"`);
        }
        for (const { item, index } of opts) {
            if (UNCONFINED.has(option(item))) {
                report(`${where}: securityOpts[${index}] "${item}" turns off the kernel's default confinement; remove it`);
            }
        }
    }, "running"),
});
