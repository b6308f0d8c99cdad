import { PolicyResource } from "@pulumi/policy";
import { REPLICA_ENV } from "../contract";
import { imageKind } from "./lib/docker";
import { known, knownPlain, previewSafe, undecided } from "./lib/known";
import { stackPolicy } from "./lib/meta";
import { DockerStack, isGeneratedSecret } from "./lib/stack";

/**
 * The container's known env as a map, or undefined when an entry unknown at preview might be the
 * one that matters. An entry built from a generated secret (envs takes nothing else) is a
 * password, never the primary's host name.
 */
function envOf(c: PolicyResource): Record<string, string> | undefined {
    const list = known(() => c.props.envs) as string[] | undefined;
    if (list === undefined) return "envs" in c.props ? undefined : {};
    const env: Record<string, string> = {};
    let hidden = false;
    for (let i = 0; i < list.length; i++) {
        const e = known(() => list[i]);
        if (e === undefined) hidden = true;
        else env[e.slice(0, e.indexOf("="))] = e.slice(e.indexOf("=") + 1);
    }
    const sources = c.propertyDependencies?.envs ?? [];
    if (hidden && !(sources.length > 0 && sources.every(isGeneratedSecret))) return undefined;
    return env;
}

/**
 * Every name another container may use to reach this one: its DNS aliases and its container name,
 * what Docker's embedded DNS answers. Not its hostname: that is the container's own view, and one
 * the program leaves out is the container id's prefix, computed by the daemon (unknown at preview).
 */
function namesOf(stack: DockerStack, c: PolicyResource): Set<string> {
    const aliases = (knownPlain(() => c.props.networksAdvanced as { aliases?: string[] }[] | undefined) ?? []).flatMap((n) => n.aliases ?? []);
    return new Set([...aliases, known(() => c.props.name)].filter((n): n is string => !!n));
}

export const databaseReplicated = stackPolicy({
    name: "database-replicated",
    description: "Every Postgres primary has at least one streaming replica wired to it.",
    from: 2,
    severity: "medium",
    why: "Basic database replication: master-slave replication handles more reads and provides basic database redundancy, so the database is no longer a single point of failure.",
    remediation: `Add a replica container that clones the primary and streams from it (its ${REPLICA_ENV.primaryHost} names the primary), as stage 2's postgres-replica does.`,
    anchors: ["seed stage 2"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        // Servers only: a seed or a one-shot job may run the postgres image without being a database.
        const postgres = stack.containersIn("server").filter((c) => ["postgres", "postgresql"].includes(imageKind(stack.imageOf(c) ?? "")));
        if (postgres.length === 0) args.notApplicable("the stack runs no Postgres container");
        const envs = new Map(postgres.map((c) => [c, envOf(c)]));
        if ([...envs.values()].some((env) => env === undefined)) {
            undecided("a Postgres container's env is unknown until up, so replicas cannot be told from primaries");
            return;
        }
        const upstream = (c: PolicyResource) => envs.get(c)![REPLICA_ENV.primaryHost];
        const replicas = postgres.filter((c) => upstream(c) !== undefined);
        const primaries = postgres.filter((c) => upstream(c) === undefined);
        for (const primary of primaries) {
            const names = namesOf(stack, primary);
            if (!replicas.some((r) => names.has(upstream(r)))) {
                report(`container "${primary.name}" (postgres) has no streaming replica: when it stops, every read and ` +
                    `write fails; add a replica whose ${REPLICA_ENV.primaryHost} is one of ${[...names].join(", ")}`, primary.urn);
            }
        }
        for (const replica of replicas) {
            if (!primaries.some((p) => namesOf(stack, p).has(upstream(replica)))) {
                report(`container "${replica.name}": ${REPLICA_ENV.primaryHost}=${upstream(replica)} names no Postgres ` +
                    `primary of the stack, so it replicates nothing; point it at the primary's alias`, replica.urn);
            }
        }
    }),
});
