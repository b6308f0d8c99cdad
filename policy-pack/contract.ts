/**
 * What the program and the pack must agree on: the lab's ownership labels, the service and
 * namespace names, the stage numbers, how an image reference splits, the replica's environment.
 * Defined here, inside the pack's folder, because the engine's runner loads the pack from its
 * folder alone (and `pulumi policy publish` uploads only that folder); the program re-exports
 * these (program/names.ts, program/config.ts, profiles/profile.ts, renderers/postgres.ts), as it
 * does the app's contract, so each name still has one definition.
 */

export const PROJECT = "devsecops-journey";

export const STAGE_NUMBERS = [1, 2, 3, 4, 5, 6] as const;
export type StageNumber = (typeof STAGE_NUMBERS)[number];

/** The tiers a topology is split into (stage 4 turns them into separate networks). */
export const TIERS = ["edge", "app", "data"] as const;
export type Tier = (typeof TIERS)[number];

/** The tier label of what spans tiers (stages 1-3's single flat network). */
export const SHARED_TIER = "shared";
/** The tier label of the lab's own operations (stage 6: Prometheus, the chaos job). */
export const OPS_TIER = "ops";
/** What a resource's tier label may say. */
export type TierLabel = Tier | typeof SHARED_TIER | typeof OPS_TIER;
export const TIER_LABELS: readonly TierLabel[] = [...TIERS, SHARED_TIER, OPS_TIER];

/** Service names: container names, DNS names on the lab's networks, and Kubernetes object names. */
export const SERVICES = {
    app: "app",
    postgresPrimary: "postgres-primary",
    postgresReplica: "postgres-replica",
    redis: "redis",
    nginx: "nginx",
    vault: "vault",
    /** Stage 4 on: the one-shot job that fills Vault. */
    vaultBootstrap: "vault-bootstrap",
    /** Stage 6: the metrics server and the chaos job. */
    prometheus: "prometheus",
    chaos: "chaos",
    /** Stage 6: base backups of the primary on a schedule, and the restore drill a learner runs. */
    postgresBackup: "postgres-backup",
    postgresRestoreDrill: "postgres-restore-drill",
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** The lab's ownership labels; every resource carries all three. */
export const LABELS = {
    project: "devsecops-journey/project",
    stage: "devsecops-journey/stage",
    tier: "devsecops-journey/tier",
    /** Only on containers that are not long-running servers: "files" seeds, "job" one-shots. */
    role: "devsecops-journey/role",
    /** A hash of the files a container receives: a change replaces the container. */
    files: "devsecops-journey/files",
    /** Kubernetes: which service a pod belongs to (selectors and NetworkPolicies match on it). */
    service: "devsecops-journey/service",
    /** Kubernetes, stage 6: the app "region" (namespace) a pod serves. */
    region: "devsecops-journey/region",
} as const;

/**
 * Kubernetes (stages 5-6). Namespaces per tier (and stage 6's second app "region" and the ops
 * namespace); every namespace enforces Pod Security "restricted".
 */
export const KUBE_NAMESPACES = {
    edge: "devsecops-edge",
    app: "devsecops-app",
    /** Stage 6: the second app region, Nginx's backup upstream. */
    appRegion2: "devsecops-app-2",
    data: "devsecops-data",
    ops: "devsecops-ops",
} as const;
export type KubeNamespace = (typeof KUBE_NAMESPACES)[keyof typeof KUBE_NAMESPACES];

/** Environment the replica entrypoint reads (plus PGDATA). */
export const REPLICA_ENV = {
    primaryHost: "PRIMARY_HOST",
    primaryPort: "PRIMARY_PORT",
    replicationUser: "REPLICATION_USER",
    replicationPassword: "REPLICATION_PASSWORD",
    replicationSlot: "REPLICATION_SLOT",
    /** Optional: how long to wait for the primary before giving up (seconds, default 120). */
    waitSeconds: "PRIMARY_WAIT_SECONDS",
} as const;

/** Splits `repo[:tag][@digest]`; a colon before the last slash belongs to a registry's port. */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
    const [nameAndTag, digest] = ref.split("@", 2);
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.lastIndexOf(":");
    if (colon > lastSlash) {
        return { repository: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1) || undefined, digest };
    }
    return { repository: nameAndTag, digest };
}
