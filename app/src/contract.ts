/**
 * The contract between the demo app and the lab program that deploys it. The program imports this
 * module (through program/names.ts); the app reads its environment through these names only.
 */

/** The database objects the lab creates (the init SQL renders them, the app queries them). */
export const DATABASE = {
    name: "lab",
    schema: "lab",
    /** Owns the database; in stages 1-3 the app also connects as this role (a lesson of stage 4). */
    ownerUser: "lab_owner",
    replicationUser: "replicator",
    /** Stage 4: the app's own role, DML on the lab schema only (before, it connects as the owner). */
    appUser: "lab_app",
    replicationSlot: "replica_1",
} as const;

/** Response headers that make the lab observable from a browser or curl. */
export const HEADERS = {
    instance: "X-Instance",
    dbNode: "X-Db-Node",
    cache: "X-Cache",
    /** Why a read went to the primary although a replica is configured (absent otherwise). */
    dbFallback: "X-Db-Fallback",
    upstream: "X-Upstream",
    /** The edge's id for a request (nginx's $request_id), sent to the app and back to the client; the app logs it. */
    requestId: "X-Request-Id",
} as const;

/**
 * The demo app's environment contract (app/README.md documents it). The builders set these, the
 * app reads them; nothing else spells them.
 */
export const APP_ENV = {
    port: "APP_PORT",
    /** The address to listen on; default every interface (a container's own network is its boundary). */
    listenHost: "APP_LISTEN_HOST",
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
    /** Stage 4 on: the lab CA's certificate; set, the app speaks TLS to Postgres and Redis and verifies them. */
    tlsCaFile: "TLS_CA_FILE",
    logLevel: "LOG_LEVEL",
    /** "open" (stages 1-3: anyone who reaches the app may write) or "jwt" (stage 4 on: writes need a bearer token). */
    auth: "APP_AUTH",
} as const;

/**
 * Stage 4 on: who may write. Writes to the API need a bearer JWT signed with a key the program
 * generates and the Vault bootstrap writes at `path`; the app reads it there with its own token.
 */
export const AUTH = {
    modes: ["open", "jwt"],
    issuer: "devsecops-journey-lab",
    audience: "devsecops-journey-api",
    /** Clocks of the lab's containers and the learner's laptop may differ a little. */
    clockSkewSeconds: 30,
    /** After a rotation the previous key still verifies this long (>= the lab token's default lifetime). */
    rotationOverlapSeconds: 3600,
    /** The app re-reads the keys this often, and at once (at most every minIntervalMs) on an unknown kid. */
    refreshMs: 30_000,
    refreshMinIntervalMs: 2000,
    /** KV v2 path under VAULT.mount, and its fields. */
    path: "devsecops/api-keys",
    fields: { currentKid: "current_kid", currentKey: "current_key", previousKid: "previous_kid", previousKey: "previous_key", rotatedAt: "rotated_at" },
    /** The HTML form's session cookie (__Host-: Secure, Path=/, no Domain) and its hidden field. */
    sessionCookie: "__Host-lab-session",
    formField: "form_token",
} as const;

export type AuthMode = (typeof AUTH.modes)[number];

/**
 * What the app does in Redis, so stage 4's ACL user can allow exactly that: these commands, on keys
 * starting with this prefix. No scripting: the cache fill is a WATCH/MULTI/EXEC transaction, so a
 * stolen app password buys no EVAL, which the Lua use-after-free RCE (CVE-2025-49844) and its
 * siblings need, nor a busy script nobody may kill.
 */
export const CACHE = {
    keyPrefix: "lab:item:",
    commands: ["get", "set", "watch", "multi", "exec", "unwatch", "ping"],
} as const;

/**
 * Stage 4 on: the app reads its credentials from Vault (KV v2) instead of its environment. The
 * program's bootstrap step writes them at this path; the app's token may read only this path.
 */
export const VAULT = {
    /** KV v2 mount (Vault dev mode mounts KV v2 at "secret/"). */
    mount: "secret",
    /** Path under the mount; the HTTP read is GET /v1/<mount>/data/<path>. */
    path: "devsecops/app",
    /** The app's policy name. */
    policy: "devsecops-app",
    /** Field names inside the secret. */
    fields: {
        dbUser: "db_user",
        dbPassword: "db_password",
        redisUser: "redis_user",
        redisPassword: "redis_password",
    },
    /** The app's environment for Vault (the token arrives as a file, never as a value). */
    env: {
        addr: "VAULT_ADDR",
        tokenFile: "VAULT_TOKEN_FILE",
    },
} as const;

/**
 * The HTTP limits the edge and the app share. The edge (renderers/nginx.ts) refuses anything over
 * them itself, so no request the app would refuse on its size ever reaches an instance: an app that
 * answers from the headers and closes while the edge is still writing the body looks to the edge
 * like a failed instance, and that would let any client take instances out of rotation. The app
 * enforces the same numbers for whoever reaches it directly.
 */
export const HTTP_LIMITS = {
    /** Request body: small JSON objects and form posts. Edge: client_max_body_size. */
    bodyBytes: 16 * 1024,
    /** Request line (method, URL, version). Edge: one large_client_header_buffers buffer (414 beyond). */
    requestLineBytes: 4 * 1024,
    /** One header field. Edge: one large_client_header_buffers buffer (400 beyond). */
    headerFieldBytes: 4 * 1024,
    /** The whole request head as the edge accepts it: its first buffer plus its large buffers. */
    headerBytes: 1024 + 4 * 4 * 1024,
    /**
     * What the edge adds to the head it forwards (X-Request-Id, X-Forwarded-*, its Host): the app
     * accepts headerBytes plus this much, so a head the edge accepted is never too large for the app.
     */
    edgeAddedBytes: 1024,
} as const;
