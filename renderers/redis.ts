/**
 * redis.conf for the lab's cache (stage 3 on). Pure function, no Pulumi: the builder mounts the text
 * as the config file of the official redis:7/8 image, and test/renderers/redis.test.ts starts Debian's
 * redis-server 7 with the same text.
 */
import { createHash } from "node:crypto";
import { CACHE, CONTAINER_PORTS } from "../program/names";
import { type RedisTlsOptions, redisCliTlsFlags, redisTlsLines } from "./tls";

/** Where the builder puts the file in the official image (started as `redis-server <path>`). */
export const REDIS_PATHS = {
    config: "/usr/local/etc/redis/redis.conf",
    /** The image's working directory; unused while persistence is off, but Redis wants a dir. */
    dataDir: "/data",
} as const;

/** A named ACL user: only the commands listed, only the keys matching the patterns. */
export interface RedisAclUser {
    name: string;
    /** Required unless nopass. */
    password?: string;
    /** Any password (or none) logs in: only for a user whose commands reveal and change nothing. */
    nopass?: boolean;
    /** e.g. ["+get", "+set", "+del", "+ping", "+@connection"]; everything else is denied. */
    commands: string[];
    /** Key patterns, default ["*"]; [] for no keys at all. */
    keys?: string[];
}

/** Stage 4's ACL user names (the app's reaches the app through Vault, as redis_user). */
export const REDIS_USERS = { app: "lab_app", health: "health" } as const;

/**
 * The app's cache keys (CACHE.keyPrefix in the app's contract): the only keys its user may touch,
 * so a leaked app password cannot read or wipe anything else kept in this Redis.
 */
export const REDIS_APP_KEY_PATTERN = `${CACHE.keyPrefix}*`;

/**
 * What the app runs (CACHE.commands in its contract), and nothing more: GET, SET (with EX), PING
 * for /readyz, and EVAL for its fill-if-unchanged script (commands inside a script are checked
 * against this same list and key pattern, so EVAL adds no rights). node-redis v5 connects with AUTH
 * (always allowed); the app turns off its CLIENT SETINFO, which Redis 7.0 would not even know.
 */
export const REDIS_APP_COMMANDS = CACHE.commands.map((command) => `+${command}`);

export function redisAppUser(password: string, name: string = REDIS_USERS.app): RedisAclUser {
    return { name, password, commands: [...REDIS_APP_COMMANDS], keys: [REDIS_APP_KEY_PATTERN] };
}

/** For the container health check: PING and nothing else, so it needs no secret. */
export const REDIS_HEALTH_USER: RedisAclUser = { name: REDIS_USERS.health, nopass: true, commands: ["+ping"], keys: [] };

/**
 * The health check's command, run inside the redis image. redis-cli sends AUTH only when it has a
 * password; a nopass user accepts any, so "-" stands in for one.
 */
export function redisHealthCheckCommand(port: number = CONTAINER_PORTS.redis, tlsCa?: string): string[] {
    return ["redis-cli", "-p", String(port), ...(tlsCa ? redisCliTlsFlags(tlsCa) : []), "--user", REDIS_USERS.health, "--pass", "-", "--no-auth-warning", "ping"];
}

export interface RedisConfOptions {
    /** Default 6379 (CONTAINER_PORTS.redis). */
    port?: number;
    /** Default ["*", "-::*"]: every IPv4 address, IPv6 if there is one (the image's own default). */
    bind?: string[];
    /** Default "64mb". A cache is allowed to forget; it must not grow until the kernel kills it. */
    maxmemory?: string;
    /** Default REDIS_PATHS.dataDir. */
    dir?: string;
    /**
     * Stage 4: the default user's password. Without it the default user needs none, which in
     * stage 3 means anything on the lab network can read and flush the cache.
     */
    password?: string;
    /** Stage 4: named users with command allowlists. With users and no password, the default user is off. */
    users?: RedisAclUser[];
    /** Stage 4: TLS only on `port` (renderers/tls.ts), with these files; absent: plaintext. */
    tls?: Omit<RedisTlsOptions, "port">;
}

/** ACL passwords are written as `#<sha256>`, so the file (a ConfigMap, an upload) holds no secret. */
const hashed = (password: string) => `#${createHash("sha256").update(password, "utf8").digest("hex")}`;

const TOKEN = /^[^\s"'#]+$/;
function token(what: string, value: string): string {
    if (!TOKEN.test(value)) throw new Error(`redis ${what} "${value}" must be one word without quotes or #`);
    return value;
}

function aclLines(opts: RedisConfOptions): string[] {
    const users = opts.users ?? [];
    if (opts.password === undefined && users.length === 0) return [];
    if (opts.password === "") throw new Error("redis password must not be empty");
    const lines = ["# Auth (stage 4): passwords are stored hashed; `resetpass` drops any earlier one."];
    lines.push(
        opts.password === undefined
            ? "user default off resetpass -@all"
            : `user default on resetpass ${hashed(opts.password)} ~* &* +@all`,
    );
    for (const user of users) {
        if (!/^[A-Za-z0-9_.-]+$/.test(user.name) || user.name === "default") {
            throw new Error(`redis ACL user name "${user.name}" must be letters, digits, _ . - and not "default"`);
        }
        if (user.nopass ? user.password !== undefined : !user.password) {
            throw new Error(`redis ACL user "${user.name}" needs a password, or nopass without one`);
        }
        for (const command of user.commands) {
            if (!/^[+-]@?[a-z][a-z0-9|_-]*$/.test(command)) {
                throw new Error(`redis ACL rule "${command}" for "${user.name}" must look like +get, -flushall or +@read`);
            }
        }
        const keys = (user.keys ?? ["*"]).map((k) => `~${token("key pattern", k)}`);
        const pass = user.nopass ? ["nopass"] : ["resetpass", hashed(user.password!)];
        lines.push(
            ["user", user.name, "on", ...pass, "resetkeys", ...keys, "resetchannels", "-@all", ...user.commands].join(" "),
        );
    }
    return lines;
}

export function renderRedisConf(opts: RedisConfOptions = {}): string {
    const port = opts.port ?? CONTAINER_PORTS.redis;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`redis port ${port} is not a TCP port`);
    const bind = (opts.bind ?? ["*", "-::*"]).map((b) => token("bind address", b));
    const maxmemory = opts.maxmemory ?? "64mb";
    if (!/^[0-9]+(b|kb|k|mb|m|gb|g)?$/i.test(maxmemory)) throw new Error(`redis maxmemory "${maxmemory}" must look like 64mb`);
    const dir = token("dir", opts.dir ?? REDIS_PATHS.dataDir);

    const lines = [
        "# devsecops-journey: Redis as a cache (cache-aside in the app). Rendered; do not edit.",
        ...(opts.tls ? redisTlsLines({ ...opts.tls, port }) : [`port ${port}`]),
        `bind ${bind.join(" ")}`,
        // The official image compiles protected mode off; Debian's does not. Say it once, for both:
        // in stage 3 the network is the boundary (only the app tier reaches Redis). Stage 4 adds auth.
        "protected-mode no",
        "daemonize no",
        'logfile ""',
        `dir ${dir}`,
        "",
        "# A cache, not a database: the source of truth is Postgres, so nothing is written to disk.",
        'save ""',
        "appendonly no",
        "",
        "# Full memory evicts the least recently used keys instead of failing writes.",
        `maxmemory ${maxmemory}`,
        "maxmemory-policy allkeys-lru",
        "",
        ...aclLines(opts),
    ];
    return lines.join("\n").trimEnd() + "\n";
}
