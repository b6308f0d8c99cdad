/**
 * One name per thing, everywhere: tiers, services, labels and the app's environment contract.
 * Builders, renderers, policies, tests and docs import these instead of retyping them.
 */

export const PROJECT = "devsecops-journey";

/** The tiers a topology is split into (stage 4 turns them into separate networks). */
export const TIERS = ["edge", "app", "data"] as const;
export type Tier = (typeof TIERS)[number];

/** Service names: container names, DNS names on the lab's networks, and Kubernetes object names. */
export const SERVICES = {
    app: "app",
    postgresPrimary: "postgres-primary",
    postgresReplica: "postgres-replica",
    redis: "redis",
    nginx: "nginx",
    vault: "vault",
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** The lab's ownership labels; every resource carries all three. */
export const LABELS = {
    project: "devsecops-journey/project",
    stage: "devsecops-journey/stage",
    tier: "devsecops-journey/tier",
} as const;

/** Ports the servers listen on inside their containers. */
export const CONTAINER_PORTS = {
    app: 8080,
    postgres: 5432,
    redis: 6379,
    nginx: 8080,
} as const;

/** The database objects the lab creates. */
export const DATABASE = {
    name: "lab",
    schema: "lab",
    /** Owns the database; in stages 1-3 the app also connects as this role (a lesson of stage 4). */
    ownerUser: "lab_owner",
    replicationUser: "replicator",
    replicationSlot: "replica_1",
} as const;

/** Response headers that make the lab observable from a browser or curl. */
export const HEADERS = {
    instance: "X-Instance",
    dbNode: "X-Db-Node",
    cache: "X-Cache",
    upstream: "X-Upstream",
} as const;

/**
 * The demo app's environment contract (app/README.md documents it). The builders set these, the
 * app reads them; nothing else spells them.
 */
export const APP_ENV = {
    port: "APP_PORT",
    instance: "APP_INSTANCE",
    dbPrimaryHost: "DB_PRIMARY_HOST",
    dbPrimaryPort: "DB_PRIMARY_PORT",
    dbReplicaHost: "DB_REPLICA_HOST",
    dbReplicaPort: "DB_REPLICA_PORT",
    dbName: "DB_NAME",
    dbUser: "DB_USER",
    dbPassword: "DB_PASSWORD",
    redisHost: "REDIS_HOST",
    redisPort: "REDIS_PORT",
    redisUser: "REDIS_USER",
    redisPassword: "REDIS_PASSWORD",
    cacheTtlSeconds: "CACHE_TTL_SECONDS",
    logLevel: "LOG_LEVEL",
} as const;
