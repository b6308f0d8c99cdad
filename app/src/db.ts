/**
 * The database side: two pools (the primary takes writes, the replica serves reads), every query
 * bounded by a connect timeout and a statement timeout so a dead node is an error, never a hang.
 */
import { Pool, type PoolConfig } from "pg";
import { tlsOptions } from "./tls";
import type { FastifyBaseLogger } from "fastify";
import type { AppConfig, Endpoint } from "./config";
import { DATABASE } from "./contract";
import type { DbNode, FallbackReason } from "./metrics";

export interface Item {
    id: number;
    name: string;
    note: string;
    createdAt: string;
    updatedAt: string;
}

export interface DbRead<T> {
    value: T;
    node: DbNode;
    /** Why a read went to the primary although a replica is configured. */
    fallback?: FallbackReason;
}

export interface NodeStatus {
    status: "up" | "down" | "off";
}
export interface ReplicaStatus extends NodeStatus {
    /** Seconds the replica's replay is behind (0 when it has replayed all it received); null if unknown. */
    lagSeconds: number | null;
    /** Bytes of WAL between the primary's current position and the replica's replay position. */
    lagBytes: number | null;
}

/** A database node could not be reached or did not answer in time (HTTP 503, not 500). */
export class DatabaseUnavailableError extends Error {
    constructor(
        readonly node: DbNode | "any",
        readonly cause: unknown,
    ) {
        super(`database ${node} unavailable: ${errorText(cause)}`);
        this.name = "DatabaseUnavailableError";
    }
}

const TABLE = `${DATABASE.schema}.items`;
const COLUMNS = "id, name, note, created_at, updated_at";
const SQL = {
    insert: `INSERT INTO ${TABLE} (name, note) VALUES ($1, $2) RETURNING ${COLUMNS}`,
    update: `UPDATE ${TABLE} SET name = $2, note = $3, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    delete: `DELETE FROM ${TABLE} WHERE id = $1`,
    get: `SELECT ${COLUMNS} FROM ${TABLE} WHERE id = $1`,
    // One row even when the item is missing, so the replica always reports how far it has replayed.
    getWithReplay: `SELECT pg_last_wal_replay_lsn()::text AS replay_lsn, i.id, i.name, i.note, i.created_at, i.updated_at
        FROM (SELECT 1) AS one LEFT JOIN ${TABLE} AS i ON i.id = $1`,
    list: `SELECT ${COLUMNS} FROM ${TABLE} ORDER BY id DESC LIMIT $1 OFFSET $2`,
    // After the commit, so a replica that has replayed this far has the write.
    currentLsn: "SELECT pg_current_wal_lsn()::text AS lsn",
    // Lag is 0 when everything received is replayed; otherwise the age of the last replayed commit.
    replicaLag: `SELECT pg_last_wal_replay_lsn()::text AS replay_lsn,
        CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
             ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag_seconds`,
};

interface ItemRow {
    id: string | number;
    name: string;
    note: string;
    created_at: Date;
    updated_at: Date;
}

export class Database {
    private readonly primary: Pool;
    private readonly replica?: Pool;
    private replicaSkipUntil = 0;

    constructor(
        private readonly config: AppConfig,
        private readonly log: FastifyBaseLogger,
    ) {
        this.primary = this.pool("primary", config.db.primary);
        if (config.db.replica) this.replica = this.pool("replica", config.db.replica);
    }

    get hasReplica(): boolean {
        return this.replica !== undefined;
    }

    private pool(node: DbNode, endpoint: Endpoint): Pool {
        const { db, timeouts, instance } = this.config;
        const options: PoolConfig = {
            host: endpoint.host,
            port: endpoint.port,
            database: db.name,
            user: db.user,
            password: db.password,
            max: 10,
            idleTimeoutMillis: 10_000,
            connectionTimeoutMillis: timeouts.dbConnectMs,
            statement_timeout: timeouts.dbStatementMs,
            // The client-side bound for when the server cannot even cancel (a frozen host).
            query_timeout: timeouts.dbStatementMs + 1000,
            idle_in_transaction_session_timeout: timeouts.dbStatementMs,
            // Sent in the startup packet like the two above, so ALTER ROLE self SET cannot lift it.
            lock_timeout: timeouts.dbStatementMs,
            application_name: `${instance}:${node}`.slice(0, 63),
            keepAlive: true,
            // Stage 4 on: TLS, the lab CA only, the name checked (verify-full).
            ...(this.config.tls ? { ssl: tlsOptions(this.config.tls, endpoint.host) } : {}),
        };
        const pool = new Pool(options);
        // An idle connection that dies (node restarted) must not crash the process.
        pool.on("error", (err) => this.log.warn({ node, err: errorText(err) }, "idle database connection lost"));
        return pool;
    }

    async createItem(name: string, note: string): Promise<Item> {
        return toItem((await this.write<ItemRow>(SQL.insert, [name, note])).rows[0]);
    }

    async updateItem(id: number, name: string, note: string): Promise<{ item: Item | null; lsn: string | null }> {
        const result = await this.write<ItemRow>(SQL.update, [id, name, note]);
        if (result.rowCount === 0) return { item: null, lsn: null };
        return { item: toItem(result.rows[0]), lsn: await this.currentLsn() };
    }

    async deleteItem(id: number): Promise<{ deleted: boolean; lsn: string | null }> {
        const result = await this.write(SQL.delete, [id]);
        if (result.rowCount === 0) return { deleted: false, lsn: null };
        return { deleted: true, lsn: await this.currentLsn() };
    }

    /**
     * Reads one item from the replica, or from the primary when the replica is down, lacks the row,
     * or has not yet replayed up to `sinceLsn` (the position of the last write to this item).
     */
    async getItem(id: number, sinceLsn?: string | null): Promise<DbRead<Item | null>> {
        let fallback: FallbackReason | undefined;
        if (this.replica) {
            if (this.replicaUsable()) {
                try {
                    const row = (await this.replica.query<ItemRow & { replay_lsn: string | null }>(SQL.getWithReplay, [id])).rows[0];
                    const behind = sinceLsn !== undefined && !replayedPast(row.replay_lsn, sinceLsn);
                    if (!behind && row.id !== null) return { value: toItem(row), node: "replica" };
                    fallback = behind ? "replica-behind" : "not-on-replica";
                } catch (err) {
                    this.replicaFailed(err);
                    fallback = "replica-unavailable";
                }
            } else {
                fallback = "replica-unavailable";
            }
        }
        try {
            const rows = (await this.readPrimary<ItemRow>(SQL.get, [id])).rows;
            return { value: rows.length > 0 ? toItem(rows[0]) : null, node: "primary", fallback };
        } catch (err) {
            // The replica answered "no such item" and was not behind a known write: with the primary
            // down, that answer is the best there is.
            if (fallback === "not-on-replica" && err instanceof DatabaseUnavailableError) return { value: null, node: "replica" };
            throw err;
        }
    }

    /** Lists items from the replica (falling back to the primary when it is down), newest first. */
    async listItems(limit: number, offset: number): Promise<DbRead<Item[]>> {
        let fallback: FallbackReason | undefined;
        if (this.replica) {
            if (this.replicaUsable()) {
                try {
                    const rows = (await this.replica.query<ItemRow>(SQL.list, [limit, offset])).rows;
                    return { value: rows.map(toItem), node: "replica" };
                } catch (err) {
                    this.replicaFailed(err);
                }
            }
            fallback = "replica-unavailable";
        }
        const rows = (await this.readPrimary<ItemRow>(SQL.list, [limit, offset])).rows;
        return { value: rows.map(toItem), node: "primary", fallback };
    }

    /** Probes both nodes (readiness, the page, the lag metric); never throws. */
    async status(): Promise<{ primary: NodeStatus; replica: ReplicaStatus }> {
        const [primaryLsn, replica] = await Promise.all([
            this.primary.query<{ lsn: string }>(SQL.currentLsn).then(
                (r) => r.rows[0].lsn,
                (err: unknown) => {
                    // Debug: probes repeat every few seconds; failed writes already warn.
                    this.log.debug({ node: "primary", err: errorText(err) }, "primary database check failed");
                    return undefined;
                },
            ),
            this.replicaLag(),
        ]);
        const primary: NodeStatus = { status: primaryLsn === undefined ? "down" : "up" };
        if (!replica) return { primary, replica: { status: this.replica ? "down" : "off", lagSeconds: null, lagBytes: null } };
        const lagBytes =
            primaryLsn && replica.replayLsn ? Number(bigMax(lsnValue(primaryLsn) - lsnValue(replica.replayLsn), 0n)) : null;
        return { primary, replica: { status: "up", lagSeconds: replica.lagSeconds, lagBytes } };
    }

    /** The replica's replay lag in seconds; null without a replica or when it does not answer. */
    async replicaLagSeconds(): Promise<number | null> {
        return (await this.replicaLag())?.lagSeconds ?? null;
    }

    private async replicaLag(): Promise<{ lagSeconds: number | null; replayLsn: string | null } | undefined> {
        if (!this.replica) return undefined;
        try {
            const row = (await this.replica.query<{ replay_lsn: string | null; lag_seconds: string | number | null }>(SQL.replicaLag))
                .rows[0];
            this.replicaSkipUntil = 0; // it answers: let reads try it again at once
            const lag = row.lag_seconds === null ? null : Math.max(0, Number(row.lag_seconds));
            return { lagSeconds: row.replay_lsn === null ? null : lag, replayLsn: row.replay_lsn };
        } catch (err) {
            this.replicaFailed(err);
            return undefined;
        }
    }

    async close(): Promise<void> {
        await Promise.all([this.primary.end(), this.replica?.end()]);
    }

    private async write<R extends object = Record<string, unknown>>(text: string, values: unknown[]) {
        try {
            return await this.primary.query<R>(text, values);
        } catch (err) {
            throw isUnavailable(err) ? new DatabaseUnavailableError("primary", err) : err;
        }
    }

    private async readPrimary<R extends object>(text: string, values: unknown[]) {
        try {
            return await this.primary.query<R>(text, values);
        } catch (err) {
            throw isUnavailable(err) ? new DatabaseUnavailableError(this.replica ? "any" : "primary", err) : err;
        }
    }

    private async currentLsn(): Promise<string | null> {
        try {
            return (await this.primary.query<{ lsn: string }>(SQL.currentLsn)).rows[0].lsn;
        } catch (err) {
            // The write is committed; without its position the next read of the item trusts only the primary.
            this.log.warn({ err: errorText(err) }, "could not read the primary's WAL position after a write");
            return null;
        }
    }

    private replicaUsable(): boolean {
        return Date.now() >= this.replicaSkipUntil;
    }

    private replicaFailed(err: unknown): void {
        if (this.replicaSkipUntil === 0 || Date.now() >= this.replicaSkipUntil) {
            this.log.warn(
                { node: "replica", err: errorText(err), retryInMs: this.config.timeouts.replicaRetryMs },
                "replica unavailable: reads go to the primary",
            );
        }
        this.replicaSkipUntil = Date.now() + this.config.timeouts.replicaRetryMs;
    }
}

function toItem(row: ItemRow): Item {
    return {
        id: Number(row.id),
        name: row.name,
        note: row.note,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
    };
}

/** A WAL position ("16/B374D848") as a number of bytes. */
export function lsnValue(lsn: string): bigint {
    const [hi, lo] = lsn.split("/");
    return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

function replayedPast(replayLsn: string | null, sinceLsn: string | null): boolean {
    return replayLsn !== null && sinceLsn !== null && lsnValue(replayLsn) >= lsnValue(sinceLsn);
}

function bigMax(a: bigint, b: bigint): bigint {
    return a > b ? a : b;
}

const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

/**
 * Errors that mean "this node cannot serve now" rather than "this request is wrong": network errors,
 * pg's own timeouts, SQLSTATE classes 08 (connection), 28 (the server refused the app's login: a
 * password changed under it), 53 (resources), 57 (shutdown, cancel), and 25006 (read-only: the
 * "primary" is a standby, e.g. after a failover). None is the client's fault: 503, not 500.
 */
export function isUnavailable(err: unknown): boolean {
    const e = err as { code?: unknown; message?: unknown } | null;
    const code = typeof e?.code === "string" ? e.code : "";
    if (NETWORK_ERRORS.has(code) || /^(08|28|53|57)/.test(code) || code === "25006") return true;
    const message = typeof e?.message === "string" ? e.message : "";
    return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout|Client has encountered a connection error/i.test(
        message,
    );
}

export function errorText(err: unknown): string {
    if (err instanceof AggregateError && err.errors.length > 0) return errorText(err.errors[0]);
    if (err instanceof Error) {
        const code = (err as { code?: unknown }).code;
        return typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    }
    return String(err);
}
