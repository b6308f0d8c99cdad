/**
 * Cache-aside in Redis, built to be optional: a down Redis makes reads and writes go to the
 * database (X-Cache: off), never fail or wait. A short connect timeout, a deadline on every reply,
 * no offline queue (a command while disconnected fails at once), and a reconnect whose delay is
 * bounded but whose attempts are not, so caching resumes by itself when Redis is back.
 *
 * A write does not just delete the key: it replaces it with an invalidation marker holding the
 * primary's WAL position after the write. The next read misses, sees the marker, and trusts the
 * replica only if it has replayed past that position; otherwise it reads the primary. This keeps a
 * lagging replica from putting the old row back into the cache right after an update.
 */
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { tlsOptions } from "./tls";
import type { FastifyBaseLogger } from "fastify";
import type { AppConfig } from "./config";
import { CACHE } from "./contract";
import type { Item } from "./db";
import { errorText } from "./db";
import type { DbNode } from "./metrics";

/** What the cache holds for an item: the row and the node it was read from. */
export interface CachedItem {
    item: Item;
    node: DbNode;
}

export type CacheLookup =
    | { state: "off" }
    | { state: "hit"; entry: CachedItem }
    /** `marker` is the raw invalidation marker found (null: the key was absent); `sinceLsn` its position. */
    | { state: "miss"; marker: string | null; sinceLsn?: string | null };

interface Marker {
    invalidatedAt: string | null;
    nonce: string;
}

// Fill only if the key still holds what the read saw (absent, or the same marker): a write that
// landed in between wins, and the read's possibly older row is dropped.
const MAX_RECONNECT_DELAY_MS = 2000;
const CACHE_COOL_DOWN_MS = 5000;
const FAILED: unique symbol = Symbol("cache operation failed");

type Client = ReturnType<typeof createClient>;

export class ItemCache {
    private readonly client?: Client;
    private up = false;
    private warned = false;
    /** No cache operations before this time (ms since the epoch): the cool-down after a failure. */
    private skipUntil = 0;
    /** A reply timed out at least once: at shutdown, do not wait for replies. */
    private stalled = false;

    constructor(
        private readonly config: AppConfig,
        private readonly log: FastifyBaseLogger,
    ) {
        const redis = config.redis;
        if (!redis) return;
        const client = createClient({
            socket: {
                host: redis.host,
                port: redis.port,
                connectTimeout: config.timeouts.redisConnectMs,
                reconnectStrategy: (retries) => Math.min(100 * 2 ** Math.min(retries, 5), MAX_RECONNECT_DELAY_MS),
                // Stage 4 on: TLS, the lab CA only, the name checked.
                ...(config.tls ? { tls: true as const, ...tlsOptions(config.tls, redis.host) } : {}),
            },
            username: redis.user,
            password: redis.password,
            // A command while disconnected fails at once instead of queueing for a Redis that may not come back.
            disableOfflineQueue: true,
            // No CLIENT SETINFO on connect: stage 4's ACL user may run only the commands in CACHE.
            disableClientInfo: true,
        });
        client.on("ready", () => {
            this.up = true;
            this.warned = false;
            this.skipUntil = 0;
            log.info({ host: redis.host, port: redis.port }, "cache connected");
        });
        client.on("error", (err: unknown) => {
            // Reconnect attempts repeat this every couple of seconds: one warning per outage.
            const first = this.up || !this.warned;
            this.up = false;
            this.warned = true;
            if (first) log.warn({ err: errorText(err) }, "cache unavailable: reads and writes use the database until it is back");
            else log.debug({ err: errorText(err) }, "cache still unavailable");
        });
        // Not awaited: the app serves from the database while Redis is (still) away.
        client.connect().catch((err: unknown) => log.debug({ err: errorText(err) }, "cache connect stopped"));
        this.client = client;
        // WATCH belongs to a connection: fills get one of their own, one transaction at a time, so no
        // other request's command runs between a fill's WATCH and its EXEC.
        const filler = client.duplicate();
        filler.on("error", (err: unknown) => log.debug({ err: errorText(err) }, "cache fill connection unavailable"));
        filler.connect().catch((err: unknown) => log.debug({ err: errorText(err) }, "cache fill connect stopped"));
        this.filler = filler;
    }

    private filler?: Client;
    private fills: Promise<unknown> = Promise.resolve();

    /**
     * Sets the key to `value` only if it still holds `seen` (absent when null): WATCH, compare, then
     * MULTI/SET/EXEC, which Redis aborts if a write touched the key since the WATCH. 1 if stored.
     */
    private fillIfUnchanged(filler: Client, k: string, seen: string | null, value: string): Promise<number> {
        const step = this.fills.then(async () => {
            await filler.watch(k);
            if ((await filler.get(k)) !== seen) {
                await filler.unwatch();
                return 0;
            }
            try {
                const done = await filler.multi().set(k, value, { expiration: { type: "EX", value: this.config.cacheTtlSeconds } }).exec();
                return done === null ? 0 : 1;
            } catch (err) {
                if (err instanceof Error && err.name === "WatchError") return 0; // a write came first: keep its marker
                throw err;
            }
        });
        this.fills = step.catch(() => undefined);
        return step;
    }

    get enabled(): boolean {
        return this.client !== undefined;
    }

    /**
     * Runs one Redis operation with a deadline. node-redis's own command timeout stops at the
     * write: a reply that never comes (a frozen Redis) would wait forever. After a failure the
     * cache is skipped for a while, so a sick Redis costs one slow request per cool-down, not all.
     */
    private async run<T>(what: string, op: (client: Client) => Promise<T>, opts: { probe?: boolean } = {}): Promise<T | typeof FAILED> {
        const client = this.client;
        if (!client?.isReady || (!opts.probe && Date.now() < this.skipUntil)) return FAILED;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<typeof FAILED>((resolve) => {
            timer = setTimeout(() => {
                this.stalled = true;
                resolve(FAILED);
            }, this.config.timeouts.redisCommandMs);
        });
        const attempt = op(client).catch((err: unknown): typeof FAILED => {
            this.log.debug({ err: errorText(err) }, `cache ${what} failed`);
            return FAILED;
        });
        const result = await Promise.race([attempt, deadline]);
        clearTimeout(timer);
        if (result === FAILED) {
            if (Date.now() >= this.skipUntil) {
                this.log.warn({ what, skipMs: CACHE_COOL_DOWN_MS }, "cache did not answer in time: skipping it for a while");
            }
            this.skipUntil = Date.now() + CACHE_COOL_DOWN_MS;
        } else if (opts.probe) {
            this.skipUntil = 0; // it answers again
        }
        return result;
    }

    async get(id: number): Promise<CacheLookup> {
        const raw = await this.run("read", (client) => client.get(key(id)) as Promise<string | null>);
        if (raw === FAILED) return { state: "off" };
        if (raw === null) return { state: "miss", marker: null };
        const parsed = parse(raw);
        if (parsed && "item" in parsed) return { state: "hit", entry: parsed };
        if (parsed && "invalidatedAt" in parsed) return { state: "miss", marker: raw, sinceLsn: parsed.invalidatedAt };
        return { state: "miss", marker: raw, sinceLsn: null }; // unreadable: trust only the primary
    }

    /** Stores a row read after a miss, unless a write changed the key since the lookup. */
    async fill(id: number, entry: CachedItem, seen: string | null): Promise<void> {
        const filler = this.filler;
        if (!filler?.isReady) return;
        await this.run("fill", () => this.fillIfUnchanged(filler, key(id), seen, JSON.stringify(entry)));
    }

    /** Invalidates an item after a write; `lsn` is the primary's WAL position after it. */
    async invalidate(id: number, lsn: string | null): Promise<void> {
        if (!this.client) return;
        const marker: Marker = { invalidatedAt: lsn, nonce: randomUUID() };
        const done = await this.run("invalidation", (client) =>
            client.set(key(id), JSON.stringify(marker), { expiration: { type: "EX", value: this.config.cacheTtlSeconds } }),
        );
        if (done === FAILED) this.log.warn({ id }, "cache unavailable during a write: a cached copy may be stale until its TTL");
    }

    /** For /readyz: a PING, even during a cool-down (a success ends it). */
    async status(): Promise<{ status: "up" | "down" | "off" }> {
        if (!this.client) return { status: "off" };
        return { status: (await this.run("ping", (client) => client.ping(), { probe: true })) === FAILED ? "down" : "up" };
    }

    async close(): Promise<void> {
        // The fill connection holds nothing worth waiting for: a fill that does not finish is a miss.
        if (this.filler?.isOpen) this.filler.destroy();
        const client = this.client;
        if (!client?.isOpen) return;
        if (!client.isReady || this.stalled) {
            client.destroy(); // reconnecting, or replies that may never come: nothing worth waiting for
            return;
        }
        // close() waits for pending replies: bounded all the same.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.config.timeouts.redisCommandMs * 2);
        });
        await Promise.race([client.close().catch(() => undefined), deadline]);
        clearTimeout(timer);
    }
}

function key(id: number): string {
    return `${CACHE.keyPrefix}${id}`;
}

function parse(raw: string): CachedItem | Marker | undefined {
    try {
        const value = JSON.parse(raw) as unknown;
        return typeof value === "object" && value !== null ? (value as CachedItem | Marker) : undefined;
    } catch {
        return undefined;
    }
}
