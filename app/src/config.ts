/**
 * The app's configuration: read from the environment once (names from the contract), validated into
 * a typed object, and passed down. Nothing else in the app reads process.env.
 */
import { hostname } from "node:os";
import { APP_ENV, AUTH, type AuthMode, VAULT } from "./contract";
import { type ClientTls, readCaFile } from "./tls";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Endpoint {
    host: string;
    port: number;
}

export interface AppConfig {
    port: number;
    /** The address main.ts listens on (default 0.0.0.0). */
    listenHost: string;
    instance: string;
    db: {
        primary: Endpoint;
        /** Absent: reads go to the primary (stage 1). */
        replica?: Endpoint;
        name: string;
        user: string;
        password: string;
    };
    /** Absent: the cache is off (stages 1-2). */
    redis?: Endpoint & { user?: string; password?: string };
    /**
     * Stage 4 on: where the credentials are. db.user/db.password (and Redis's) are then empty until
     * withVaultSecrets (vault.ts) fills them in at start-up.
     */
    vault?: { addr: string; tokenFile: string };
    /** Stage 4 on: TLS to Postgres and Redis, verified against this CA (tls.ts). Absent: plaintext. */
    tls?: ClientTls;
    cacheTtlSeconds: number;
    logLevel: LogLevel;
    /** "open": anyone may write (stages 1-3); "jwt": writes need a bearer token signed with a key from Vault (auth.ts). */
    auth: AuthMode;
    /** Not environment settings: the bounds that keep a dead dependency from hanging a request. */
    timeouts: Timeouts;
}

export interface Timeouts {
    dbConnectMs: number;
    dbStatementMs: number;
    redisConnectMs: number;
    redisCommandMs: number;
    /** After a replica error, reads skip the replica for this long instead of paying for it again. */
    replicaRetryMs: number;
    /** Shutdown gives in-flight requests this long; below Docker's 10 s stop grace period. */
    shutdownMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
    dbConnectMs: 2000,
    dbStatementMs: 5000,
    redisConnectMs: 1000,
    redisCommandMs: 500,
    replicaRetryMs: 5000,
    shutdownMs: 8000,
};

export const DEFAULTS = {
    port: 8080,
    listenHost: "0.0.0.0",
    dbPort: 5432,
    redisPort: 6379,
    cacheTtlSeconds: 60,
    logLevel: "info" as LogLevel,
};

/** One problem with one variable: what it is called, what was wrong, and what is allowed. */
export interface ConfigProblem {
    variable: string;
    problem: string;
    allowed: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            "invalid configuration: " +
                problems.map((p) => `${p.variable} ${p.problem} (allowed: ${p.allowed})`).join("; "),
        );
        this.name = "ConfigError";
    }
}

type Env = Record<string, string | undefined>;

// Host names and IP addresses only: no scheme, path, user info or whitespace.
const HOST = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/;
// The instance name travels in a response header and in metric labels.
const INSTANCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SECRET_VARIABLES: ReadonlySet<string> = new Set([APP_ENV.dbPassword, APP_ENV.redisPassword]);

/** Parses and validates the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
    const problems: ConfigProblem[] = [];
    const reader = new EnvReader(env, problems);

    const vaultAddr = reader.text(VAULT.env.addr, {
        fallback: "",
        pattern: /^(|https?:\/\/[^\s/?#]+\/?)$/,
        allowed: "Vault's base URL, e.g. http://vault:8200, or unset (credentials from the environment)",
    });
    const vaultTokenFile = vaultAddr
        ? reader.text(VAULT.env.tokenFile, { pattern: /^\/[^\0]*$/, allowed: `the absolute path of the file holding the app's Vault token (required with ${VAULT.env.addr})` })
        : undefined;
    // With Vault the credentials come from Vault only: a password in the environment is the very
    // thing stage 4 removes, so it is refused rather than silently ignored.
    const credentialsFromEnv = !vaultAddr;
    if (vaultAddr) {
        for (const variable of [APP_ENV.dbUser, APP_ENV.dbPassword, APP_ENV.redisUser, APP_ENV.redisPassword]) {
            if (env[variable]) reader.refuse(variable, `must not be set when ${VAULT.env.addr} is`, "unset: the credentials come from Vault");
        }
    }

    const port = reader.port(APP_ENV.port, DEFAULTS.port);
    const listenHost = reader.text(APP_ENV.listenHost, {
        fallback: DEFAULTS.listenHost,
        pattern: /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/,
        allowed: `an IP address of this host, e.g. 127.0.0.1 (default ${DEFAULTS.listenHost}: every interface)`,
    });
    const instance = reader.text(APP_ENV.instance, {
        fallback: defaultInstance(),
        pattern: INSTANCE,
        allowed: "1-63 characters: letters, digits, '.', '_', '-' (default: the host name)",
    });
    const primaryHost = reader.host(APP_ENV.dbPrimaryHost, true, "the PostgreSQL primary's host name or IP");
    const primaryPort = reader.port(APP_ENV.dbPrimaryPort, DEFAULTS.dbPort);
    const replicaHost = reader.host(APP_ENV.dbReplicaHost, false, "the PostgreSQL replica's host name or IP, or unset");
    const replicaPort = reader.port(APP_ENV.dbReplicaPort, DEFAULTS.dbPort);
    const name = reader.text(APP_ENV.dbName, { pattern: /^[^\0]{1,63}$/, allowed: "a database name, 1-63 characters" });
    const fromVault = credentialsFromEnv ? undefined : "";
    const user = reader.text(APP_ENV.dbUser, { fallback: fromVault, pattern: /^[^\0]{1,63}$/, allowed: "a role name, 1-63 characters" });
    const password = reader.text(APP_ENV.dbPassword, { fallback: fromVault, pattern: /^[^\0]{1,1024}$/, allowed: "a non-empty password" });
    const redisHost = reader.host(APP_ENV.redisHost, false, "the Redis host name or IP, or unset to turn the cache off");
    const redisPort = reader.port(APP_ENV.redisPort, DEFAULTS.redisPort);
    const redisUser = reader.text(APP_ENV.redisUser, { fallback: "", pattern: /^[!-~]{0,128}$/, allowed: "an ACL user name, or unset" });
    const redisPassword = reader.text(APP_ENV.redisPassword, { fallback: "", pattern: /^[^\0]{0,1024}$/, allowed: "a password, or unset" });
    const cacheTtlSeconds = reader.integer(APP_ENV.cacheTtlSeconds, DEFAULTS.cacheTtlSeconds, 1, 86400);
    const logLevel = reader.oneOf(APP_ENV.logLevel, LOG_LEVELS, DEFAULTS.logLevel);
    const tlsCaFile = reader.text(APP_ENV.tlsCaFile, { fallback: "", pattern: /^(|\/[^\0]*)$/, allowed: "the absolute path of the lab CA's certificate (PEM), or unset for plaintext" });
    const tls = tlsCaFile ? readCaFile(tlsCaFile) : undefined;
    if (tls && "problem" in tls) reader.refuse(APP_ENV.tlsCaFile, tls.problem, "a readable PEM file holding the CA that signed the servers' certificates");
    const auth = reader.oneOf(APP_ENV.auth, AUTH.modes, "open");
    // The signing keys live in Vault, next to the credentials: no key in the environment either.
    if (auth === "jwt" && !vaultAddr) reader.refuse(APP_ENV.auth, `"jwt" needs ${VAULT.env.addr}`, "the signing keys are read from Vault: set it, or APP_AUTH=open");

    if (redisUser && !redisPassword) {
        problems.push({
            variable: APP_ENV.redisPassword,
            problem: `is required when ${APP_ENV.redisUser} is set`,
            allowed: "the password of that ACL user",
        });
    }
    if (problems.length > 0) throw new ConfigError(problems);

    return {
        port,
        listenHost: listenHost!,
        instance: instance!,
        db: {
            primary: { host: primaryHost!, port: primaryPort },
            replica: replicaHost ? { host: replicaHost, port: replicaPort } : undefined,
            name: name!,
            user: user!,
            password: password!,
        },
        redis: redisHost
            ? { host: redisHost, port: redisPort, user: redisUser || undefined, password: redisPassword || undefined }
            : undefined,
        vault: vaultAddr ? { addr: vaultAddr.replace(/\/$/, ""), tokenFile: vaultTokenFile! } : undefined,
        ...(tls && !("problem" in tls) ? { tls } : {}),
        cacheTtlSeconds,
        logLevel,
        auth,
        timeouts: { ...DEFAULT_TIMEOUTS },
    };
}

function defaultInstance(): string {
    // A host name that does not fit the header-safe pattern is trimmed rather than refused.
    const name = hostname().replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63);
    return name || "app";
}

class EnvReader {
    constructor(
        private readonly env: Env,
        private readonly problems: ConfigProblem[],
    ) {}

    /** Empty counts as unset, so a builder may pass "" for an optional variable. */
    private raw(variable: string): string | undefined {
        const value = this.env[variable];
        return value === undefined || value.trim() === "" ? undefined : value;
    }

    refuse(variable: string, problem: string, allowed: string): void {
        this.problems.push({ variable, problem, allowed });
    }

    private fail(variable: string, value: string | undefined, problem: string, allowed: string): void {
        const shown = value === undefined ? "" : SECRET_VARIABLES.has(variable) ? " (value hidden)" : ` (got ${JSON.stringify(value.slice(0, 80))})`;
        this.problems.push({ variable, problem: problem + shown, allowed });
    }

    text(variable: string, opts: { fallback?: string; pattern: RegExp; allowed: string }): string | undefined {
        const value = this.raw(variable);
        if (value === undefined) {
            if (opts.fallback === undefined) this.fail(variable, undefined, "is required", opts.allowed);
            return opts.fallback;
        }
        if (!opts.pattern.test(value)) this.fail(variable, value, "is invalid", opts.allowed);
        return value;
    }

    host(variable: string, required: boolean, what: string): string | undefined {
        const value = this.raw(variable);
        if (value === undefined) {
            if (required) this.fail(variable, undefined, "is required", what);
            return undefined;
        }
        if (!HOST.test(value)) this.fail(variable, value, "is not a host name or IP address", what);
        return value;
    }

    integer(variable: string, fallback: number, min: number, max: number): number {
        const value = this.raw(variable);
        if (value === undefined) return fallback;
        const allowed = `an integer from ${min} to ${max} (default ${fallback})`;
        if (!/^\d+$/.test(value.trim())) {
            this.fail(variable, value, "is not a whole number", allowed);
            return fallback;
        }
        const n = Number(value.trim());
        if (n < min || n > max) {
            this.fail(variable, value, "is out of range", allowed);
            return fallback;
        }
        return n;
    }

    port(variable: string, fallback: number): number {
        return this.integer(variable, fallback, 1, 65535);
    }

    oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: T): T {
        const value = this.raw(variable);
        if (value === undefined) return fallback;
        const lower = value.trim().toLowerCase();
        if (!(allowed as readonly string[]).includes(lower)) {
            this.fail(variable, value, "is not allowed", `one of ${allowed.join(", ")} (default ${fallback})`);
            return fallback;
        }
        return lower as T;
    }
}
