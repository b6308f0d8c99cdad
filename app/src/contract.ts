/**
 * The contract between the demo app and the lab program that deploys it. The program imports this
 * module (through stages/names.ts); the app reads its environment through these names only.
 */

/** The database objects the lab creates (the init SQL renders them, the app queries them). */
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
