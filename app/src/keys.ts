/**
 * The API's signing keys (stage 4 on), read from Vault KV v2 at AUTH.path with the app's own token:
 * the current key and, for AUTH.rotationOverlapSeconds after a rotation, the previous one. The app
 * re-reads them every AUTH.refreshMs and at once (rate-limited) when a token names an unknown kid,
 * so `npm run lab -- rotate-key 4` takes effect on every instance without a restart. A failed
 * re-read keeps the keys it has (a restarted dev-mode Vault is empty): writes keep working with the
 * known keys, and the log says why a rotation is not seen.
 */
import { readFileSync } from "node:fs";
import type { FastifyBaseLogger } from "fastify";
import { AUTH, VAULT } from "./contract";
import type { SigningKey } from "./jwt";
import { VaultError } from "./vault";

export interface KeySet {
    readonly current: SigningKey;
    readonly previous?: SigningKey;
    /** When the current key replaced the previous one, seconds since the epoch (0: never rotated). */
    readonly rotatedAt: number;
}

/** GET <addr>/v1/<mount>/data/<AUTH.path> */
export function keysUrl(addr: string): string {
    return `${addr.replace(/\/+$/, "")}/v1/${VAULT.mount}/data/${AUTH.path}`;
}

const KID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The secret's fields as a key set, or a VaultError naming the field that is wrong. */
export function parseKeySet(fields: Record<string, unknown>): KeySet {
    const f = AUTH.fields;
    const text = (name: string) => (typeof fields[name] === "string" && fields[name] !== "" ? (fields[name] as string) : undefined);
    const kid = text(f.currentKid);
    const key = text(f.currentKey);
    if (!kid || !KID.test(kid) || !key) throw new VaultError(`the secret ${VAULT.mount}/${AUTH.path} lacks a valid ${f.currentKid} and ${f.currentKey}`);
    const previousKid = text(f.previousKid);
    const previousKey = text(f.previousKey);
    const rotatedAt = Number(text(f.rotatedAt) ?? "0");
    return {
        current: { kid, secret: key },
        previous: previousKid && previousKey && previousKid !== kid ? { kid: previousKid, secret: previousKey } : undefined,
        rotatedAt: Number.isFinite(rotatedAt) ? rotatedAt : 0,
    };
}

export interface KeySource {
    /** Reads the key set now; throws a VaultError when it cannot. */
    read(): Promise<KeySet>;
}

/** The keys from Vault with the app's token (read from its file on every call: it may be re-issued). */
export function vaultKeySource(vault: { addr: string; tokenFile: string }, requestTimeoutMs = 2000): KeySource {
    const url = keysUrl(vault.addr);
    return {
        async read() {
            let token: string;
            try {
                token = readFileSync(vault.tokenFile, "utf8").trim();
            } catch (err) {
                throw new VaultError(`cannot read the Vault token file ${vault.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
            }
            let response: Response;
            try {
                response = await fetch(url, { headers: { "X-Vault-Token": token }, signal: AbortSignal.timeout(requestTimeoutMs) });
            } catch (err) {
                throw new VaultError(`cannot read ${url}: ${(err as Error).name === "TimeoutError" ? "no answer in time" : ((err as { cause?: { code?: string } }).cause?.code ?? String(err))}`);
            }
            if (response.status === 403) throw new VaultError(`Vault refused the token for ${url} (403): the app's policy must allow read on this path`);
            if (response.status === 404) throw new VaultError(`no signing keys at ${url} (404): the bootstrap step writes them`);
            if (!response.ok) throw new VaultError(`Vault answered ${response.status} for ${url}`);
            return parseKeySet(((await response.json()) as { data?: { data?: Record<string, unknown> } }).data?.data ?? {});
        },
    };
}

export class ApiKeys {
    private timer?: NodeJS.Timeout;
    private lastRead = 0;
    private reading?: Promise<boolean>;

    private constructor(
        private set: KeySet,
        private readonly source: KeySource,
        private readonly log: FastifyBaseLogger,
        private readonly now: () => number,
    ) {
        this.lastRead = now();
    }

    /** Reads the keys once, retrying for `budgetMs` (Vault may still be starting), then refreshes periodically. */
    static async load(source: KeySource, log: FastifyBaseLogger, opts: { budgetMs?: number; refreshMs?: number; now?: () => number } = {}): Promise<ApiKeys> {
        const deadline = Date.now() + (opts.budgetMs ?? 30_000);
        for (let attempt = 1; ; attempt++) {
            try {
                const keys = new ApiKeys(await source.read(), source, log, opts.now ?? Date.now);
                log.info({ kid: keys.set.current.kid, previous: keys.set.previous?.kid }, "API signing keys read from Vault");
                keys.timer = setInterval(() => void keys.refresh(), opts.refreshMs ?? AUTH.refreshMs);
                keys.timer.unref();
                return keys;
            } catch (err) {
                if (!(err instanceof VaultError) || Date.now() + 500 > deadline) throw err;
                log.warn({ attempt, err: err.message }, "API signing keys not readable yet; retrying");
                await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2000)));
            }
        }
    }

    /** The key a token's kid names: the current one, or the previous one during the overlap. */
    find(kid: string): SigningKey | undefined {
        const { current, previous, rotatedAt } = this.set;
        if (kid === current.kid) return current;
        if (previous && kid === previous.kid && this.now() / 1000 < rotatedAt + AUTH.rotationOverlapSeconds) return previous;
        return undefined;
    }

    /** The keys whose derived secrets the form tokens may be made with (current first). */
    valid(): SigningKey[] {
        return [this.set.current, ...(this.set.previous && this.find(this.set.previous.kid) ? [this.set.previous] : [])];
    }

    get current(): SigningKey {
        return this.set.current;
    }

    /**
     * Re-reads the keys unless that happened less than AUTH.refreshMinIntervalMs ago (an unknown kid
     * in every request must not become a request to Vault each). Resolves true when it read.
     */
    async refreshIfStale(): Promise<boolean> {
        if (this.now() - this.lastRead < AUTH.refreshMinIntervalMs) return false;
        return this.refresh();
    }

    private refresh(): Promise<boolean> {
        this.reading ??= this.source.read().then(
            (set) => {
                if (set.current.kid !== this.set.current.kid) this.log.info({ kid: set.current.kid, previous: set.previous?.kid }, "API signing key rotated");
                this.set = set;
                return true;
            },
            (err: unknown) => {
                this.log.warn({ err: (err as Error).message }, "could not re-read the API signing keys; keeping the ones known");
                return false;
            },
        ).finally(() => {
            this.lastRead = this.now();
            this.reading = undefined;
        });
        return this.reading;
    }

    stop(): void {
        clearInterval(this.timer);
    }
}
