import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Client } from "pg";
import { DATABASE } from "../../program/names";
import {
    REPLICA_ENV, postgresArgs, postgresSettings, renderPrimaryInitScript, renderPrimaryInitSql, renderReplicaEntrypoint,
} from "../../renderers/postgres";
import {
    NEEDS, type PostgresServer, postgresBinDir, run, skipUnless, startPostgresPrimary, startPostgresReplica, waitFor,
} from "../support/servers";

/** SQLSTATE of a failed query, or "ok". */
async function sqlState(server: PostgresServer, sql: string, params: unknown[] = []): Promise<string> {
    try {
        await server.query(sql, params);
        return "ok";
    } catch (e) {
        return (e as { code?: string }).code ?? String(e);
    }
}

describe("render/postgres (pure)", () => {
    it("turns settings into -c key=value pairs, in order", () => {
        assert.deepEqual(postgresArgs({ wal_level: "replica", listen_addresses: "*" }), ["-c", "wal_level=replica", "-c", "listen_addresses=*"]);
    });

    it("refuses a setting name that is not one", () => {
        assert.throws(() => postgresArgs({ "wal_level=x -c fsync": "off" }), /not a setting name/);
    });

    it("gives both roles the same replication limits (a hot standby needs at least its primary's)", () => {
        const primary = postgresSettings("primary");
        const replica = postgresSettings("replica");
        for (const key of ["max_connections", "max_wal_senders", "max_replication_slots", "wal_level"]) {
            assert.equal(replica[key], primary[key], key);
        }
        assert.equal(replica.hot_standby_feedback, "on");
        assert.equal(primary.password_encryption, "scram-sha-256");
    });

    it("holds no password in the init SQL or script: the password is a psql variable", () => {
        const sql = renderPrimaryInitSql();
        assert.match(sql, /PASSWORD :'replication_password'/);
        assert.doesNotMatch(sql, /PASSWORD\s+'/i);
        assert.doesNotMatch(renderPrimaryInitScript({ replicationCidr: "10.0.0.0/8" }), /PASSWORD\s+'/i);
    });

    it("refuses a replication CIDR that is not one (it lands in a shell script and pg_hba)", () => {
        assert.throws(() => renderPrimaryInitScript({ replicationCidr: "0.0.0.0/0; rm -rf /" }), /not a CIDR/);
        assert.throws(() => renderPrimaryInitScript({ replicationCidr: "all" }), /not a CIDR/);
    });

    it("without replication, renders no replication role, slot or pg_hba line", () => {
        const script = renderPrimaryInitScript({ replicationCidr: "samenet", replication: false });
        assert.doesNotMatch(script, /REPLICATION|replication_password|pg_hba/);
    });

    it("reads every replica env name it exports", () => {
        const script = renderReplicaEntrypoint();
        for (const name of Object.values(REPLICA_ENV)) assert.match(script, new RegExp(`\\$\\{?${name}`), name);
    });
});

describe("render/postgres: a primary and a streaming replica, for real", function () {
    this.timeout(60_000);
    let primary: PostgresServer | undefined;
    let replica: PostgresServer | undefined;
    const p = () => primary!;
    const r = () => replica!;

    before(async function () {
        skipUnless(this, NEEDS.postgres);
        primary = await startPostgresPrimary();
        replica = await startPostgresReplica(primary);
    });
    after(async () => {
        await replica?.close();
        await primary?.close();
    });

    it("runs with the rendered settings", async () => {
        const { rows } = await p().query<{ name: string; setting: string }>(
            "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'password_encryption', 'hot_standby')");
        const settings = Object.fromEntries(rows.map((row) => [row.name, row.setting]));
        assert.deepEqual(settings, { wal_level: "replica", password_encryption: "scram-sha-256", hot_standby: "on" });
    });

    it("creates the schema and table owned by the owner role", async () => {
        const { rows } = await p().query<{ schema_owner: string; table_owner: string }>(
            `SELECT n.nspowner::regrole::text AS schema_owner, t.tableowner AS table_owner
             FROM pg_namespace n JOIN pg_tables t ON t.schemaname = n.nspname
             WHERE n.nspname = $1 AND t.tablename = 'items'`, [DATABASE.schema]);
        assert.deepEqual(rows, [{ schema_owner: DATABASE.ownerUser, table_owner: DATABASE.ownerUser }]);
    });

    it("streams to the replica through the slot", async () => {
        const row = await waitFor("the replica streaming through the slot", async () => {
            const { rows } = await p().query<{ state: string; active: boolean }>(
                `SELECT r.state, s.active FROM pg_replication_slots s
                 JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1`, [DATABASE.replicationSlot]);
            return rows[0]?.state === "streaming" ? rows[0] : undefined;
        }, { timeoutMs: 10_000 });
        assert.deepEqual(row, { state: "streaming", active: true });
    });

    it("replicates a row written on the primary to the replica", async () => {
        const name = `replicated-${Date.now()}`;
        const { rows } = await p().query<{ id: string }>(`INSERT INTO ${DATABASE.schema}.items (name) VALUES ($1) RETURNING id`, [name]);
        const seen = await waitFor("the row on the replica", async () => {
            const result = await r().query<{ name: string }>(`SELECT name FROM ${DATABASE.schema}.items WHERE id = $1`, [rows[0].id]);
            return result.rows[0]?.name;
        }, { timeoutMs: 10_000, intervalMs: 50 });
        assert.equal(seen, name);
    });

    it("keeps the replica in recovery, refusing writes", async () => {
        const { rows } = await r().query<{ recovery: boolean }>("SELECT pg_is_in_recovery() AS recovery");
        assert.equal(rows[0].recovery, true);
        // 25006: read_only_sql_transaction
        assert.equal(await sqlState(r(), `INSERT INTO ${DATABASE.schema}.items (name) VALUES ('nope')`), "25006");
    });

    it("rejects rows the CHECK constraints forbid", async () => {
        const insert = `INSERT INTO ${DATABASE.schema}.items (name, note) VALUES ($1, $2)`;
        assert.equal(await sqlState(p(), insert, ["", ""]), "23514", "empty name");
        assert.equal(await sqlState(p(), insert, ["x".repeat(101), ""]), "23514", "name over 100");
        assert.equal(await sqlState(p(), insert, ["ok", "x".repeat(1001)]), "23514", "note over 1000");
        assert.equal(await sqlState(p(), insert, [null, ""]), "23502", "null name");
        assert.equal(await sqlState(p(), `INSERT INTO ${DATABASE.schema}.items (id, name) VALUES (1, 'x')`), "428C9", "explicit id");
        assert.equal(await sqlState(p(), insert, ["x".repeat(100), "x".repeat(1000)]), "ok", "the limits themselves");
    });

    it("lets the replication role in only through the rendered pg_hba line, with its password", async () => {
        const psql = path.join(postgresBinDir()!, "psql");
        const conninfo = (password: string) =>
            `host=${p().host} port=${p().port} user=${DATABASE.replicationUser} password=${password} replication=true dbname=replication`;
        const out = await run("psql IDENTIFY_SYSTEM", psql, ["-Atc", "IDENTIFY_SYSTEM", conninfo(p().replicationPassword)]);
        assert.match(out, /\|/);
        await assert.rejects(run("psql wrong password", psql, ["-Atc", "IDENTIFY_SYSTEM", conninfo("wrong")]), /password authentication failed/);
    });

    it("refuses a replica from outside replicationCidr: the rendered line is the only way in", async () => {
        const elsewhere = await startPostgresPrimary({ replicationCidr: "10.0.0.0/8" });
        try {
            await assert.rejects(startPostgresReplica(elsewhere), /no pg_hba\.conf entry for replication connection/);
        } finally {
            await elsewhere.close();
        }
    });

    it("gives the replication role no rights on the lab's data", async () => {
        const client = new Client({ ...p().clientConfig(), user: DATABASE.replicationUser, password: p().replicationPassword });
        await client.connect();
        try {
            await assert.rejects(client.query(`SELECT * FROM ${DATABASE.schema}.items`), { code: "42501" });
            const { rows } = await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
            assert.deepEqual(rows, [{ rolsuper: false }]);
        } finally {
            await client.end();
        }
    });

    it("restarts the replica from its data without cloning again, and catches up", async () => {
        await r().stop();
        const name = `while-down-${Date.now()}`;
        await p().query(`INSERT INTO ${DATABASE.schema}.items (name) VALUES ($1)`, [name]);
        await r().restart();
        assert.doesNotMatch(r().logs(), /cloning/, "the entrypoint skipped pg_basebackup");
        await waitFor("the replica to catch up", async () =>
            (await r().query(`SELECT 1 FROM ${DATABASE.schema}.items WHERE name = $1`, [name])).rowCount === 1, { timeoutMs: 10_000 });
    });
});

describe("render/postgres: stage 1's primary (no replica), for real", function () {
    this.timeout(30_000);
    let primary: PostgresServer | undefined;

    before(async function () {
        skipUnless(this, NEEDS.postgres);
        primary = await startPostgresPrimary({ replication: false });
    });
    after(async () => { await primary?.close(); });

    it("initialises without REPLICATION_PASSWORD: the table, but no replication role or slot", async () => {
        const { rows } = await primary!.query<{ tables: number; roles: number; slots: number }>(
            `SELECT (SELECT count(*)::int FROM pg_tables WHERE schemaname = $1 AND tablename = 'items') AS tables,
                    (SELECT count(*)::int FROM pg_roles WHERE rolname = $2) AS roles,
                    (SELECT count(*)::int FROM pg_replication_slots) AS slots`, [DATABASE.schema, DATABASE.replicationUser]);
        assert.deepEqual(rows, [{ tables: 1, roles: 0, slots: 0 }]);
    });
});
