/**
 * Stage 4 on: the database and Redis credentials come from Vault (KV v2), not from the environment.
 * The app holds a least-privilege token (read on this one path) in a file, reads the secret once at
 * start-up, and keeps it in memory only. Vault may still be starting: network errors and 5xx
 * (sealed, standby) are retried for a bounded time; 403 and 404 are configuration errors, at once.
 */
import { readFileSync } from "node:fs";
import type { FastifyBaseLogger } from "fastify";
import type { AppConfig } from "./config";
import { VAULT } from "./contract";

export class VaultError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "VaultError";
    }
}

export interface VaultOptions {
    /** Give up after this long (Docker may start the app before Vault is unsealed). */
    budgetMs: number;
    requestTimeoutMs: number;
}

const DEFAULT_OPTIONS: VaultOptions = { budgetMs: 30_000, requestTimeoutMs: 2000 };

/** The URL of the app's secret: GET <addr>/v1/<mount>/data/<path>. */
export function secretUrl(addr: string): string {
    return `${addr.replace(/\/+$/, "")}/v1/${VAULT.mount}/data/${VAULT.path}`;
}

/** Returns the config with the credentials from Vault filled in (a no-op without Vault). */
export async function withVaultSecrets(config: AppConfig, log: FastifyBaseLogger, opts: Partial<VaultOptions> = {}): Promise<AppConfig> {
    const vault = config.vault;
    if (!vault) return config;
    const { budgetMs, requestTimeoutMs } = { ...DEFAULT_OPTIONS, ...opts };
    let token: string;
    try {
        token = readFileSync(vault.tokenFile, "utf8").trim();
    } catch (err) {
        throw new VaultError(`cannot read the Vault token file ${vault.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!token) throw new VaultError(`the Vault token file ${vault.tokenFile} is empty`);

    const url = secretUrl(vault.addr);
    const deadline = Date.now() + budgetMs;
    for (let attempt = 1; ; attempt++) {
        let retryable: string;
        try {
            const response = await fetch(url, { headers: { "X-Vault-Token": token }, signal: AbortSignal.timeout(requestTimeoutMs) });
            if (response.ok) {
                const fields = ((await response.json()) as { data?: { data?: Record<string, unknown> } }).data?.data ?? {};
                log.info({ url, attempt }, "credentials read from Vault");
                return apply(config, fields);
            }
            if (response.status === 403) throw new VaultError(`Vault refused the token for ${url} (403): the app's policy must allow read on this path`);
            if (response.status === 404) throw new VaultError(`no secret at ${url} (404): the bootstrap step writes it`);
            if (response.status < 500) throw new VaultError(`Vault answered ${response.status} for ${url}`);
            retryable = `Vault answered ${response.status}`;
        } catch (err) {
            if (err instanceof VaultError) throw err;
            retryable = (err as Error).name === "TimeoutError" ? "no answer in time" : describeFetchError(err);
        }
        if (Date.now() + 1000 > deadline) {
            throw new VaultError(`cannot read ${url} after ${attempt} attempts over ${Math.round(budgetMs / 1000)} s: ${retryable}`);
        }
        log.warn({ url, attempt, reason: retryable }, "Vault not ready; retrying");
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 3000)));
    }
}

function apply(config: AppConfig, fields: Record<string, unknown>): AppConfig {
    const text = (name: string) => (typeof fields[name] === "string" && fields[name] !== "" ? (fields[name] as string) : undefined);
    const dbUser = text(VAULT.fields.dbUser);
    const dbPassword = text(VAULT.fields.dbPassword);
    const missing = [!dbUser && VAULT.fields.dbUser, !dbPassword && VAULT.fields.dbPassword].filter(Boolean);
    if (missing.length > 0) throw new VaultError(`the secret ${VAULT.mount}/${VAULT.path} lacks ${missing.join(" and ")}`);
    const redisUser = text(VAULT.fields.redisUser);
    const redisPassword = text(VAULT.fields.redisPassword);
    return {
        ...config,
        db: { ...config.db, user: dbUser!, password: dbPassword! },
        redis: config.redis && {
            ...config.redis,
            user: redisUser ?? config.redis.user,
            password: redisPassword ?? config.redis.password,
        },
    };
}

function describeFetchError(err: unknown): string {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
