import { containerRef, forContainers, isRootUser } from "./lib/docker";
import { resourcePolicy } from "./lib/meta";

export const dockerNonRoot = resourcePolicy({
    name: "docker-non-root",
    description: "Containers run as a user other than root.",
    from: 4,
    severity: "high",
    why: "Least privilege: the process gets only the permissions it needs, and an attacker who takes it over does not start as root.",
    remediation: "Set user to the image's unprivileged user or a numeric uid:gid (e.g. \"postgres\" for the postgres image, \"10001:10001\" for the app).",
    anchors: ["CIS 4.1", "DL3002", "CKV_DOCKER_8"],
}, {
    validateResource: forContainers((c, args, report) => {
        const user = c.user?.trim();
        if (!user) {
            report(`${containerRef(args.name)}: user is not set, so it runs as the image's user, root for most images; ` +
                `set user to an unprivileged uid:gid (e.g. "10001:10001")`);
        } else if (isRootUser(user)) {
            report(`${containerRef(args.name)}: user "${user}" is root; set user to an unprivileged uid:gid (e.g. "10001:10001")`);
        }
    }, "running"),
});
