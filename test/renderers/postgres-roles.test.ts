import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Client, type ClientConfig } from "pg";
import { DATABASE } from "../../program/names";
import { APP_DB_CONNECTION_LIMIT } from "../../renderers/postgres-roles";
import {
    APP_DB_USER, LEAST_PRIVILEGE_ENV, POSTGRES_IMAGE_ENV, REPLICA_ENV, postgresArgs, postgresSettings,
    renderPgHba, renderPrimaryInitScript, renderReplicaEntrypoint,
} from "../../renderers/postgres";
import {
    NEEDS, Proc, TEST_ONLY_ARGS, freePort, makeTempDir, postgresBinDir, postgresRunAs, removeTempDir, run, skipUnless,
    waitFor, writeOwnedFile,
} from "../support/servers";

// The app connects from 127.0.0.2, the replica from 127.0.0.1: both loopback, told apart by pg_hba.
const APP_CIDR = "127.0.0.2/32";
const REPLICATION_CIDR = "127.0.0.1/32";
const ITEMS = `${DATABASE.schema}.items`;

/** What the image's pg_hba.conf holds after initdb (no --auth) and its own appended line. */
const IMAGE_PG_HBA = `local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
local replication all trust
host replication all 127.0.0.1/32 trust
host replication all ::1/128 trust
host all all all scram-sha-256
`;

describe("render/postgres stage 4: least privilege (pure)", () => {
    it("lists exactly three ways in, all scram-sha-256, none trusted, nothing for everyone", () => {
        const hba = renderPgHba({ appCidr: "172.30.1.0/24", replicationCidr: "172.30.2.0/24" });
        const rules = hba.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));
        assert.deepEqual(rules, [
            ["local", "all", DATABASE.ownerUser, "scram-sha-256"],
            ["host", DATABASE.name, APP_DB_USER, "172.30.1.0/24", "scram-sha-256"],
            ["host", "replication", DATABASE.replicationUser, "172.30.2.0/24", "scram-sha-256"],
        ]);
        assert.doesNotMatch(renderPgHba({ appCidr: "10.0.0.0/8", replicationCidr: null }), /^host\s+replication/m);
    });

    it("keeps passwords out of the script, out of psql's arguments, and reads VAR or VAR_FILE", () => {
        const script = renderPrimaryInitScript({ replicationCidr: REPLICATION_CIDR, leastPrivilege: { appCidr: APP_CIDR } });
        assert.doesNotMatch(script, /PASSWORD\s+'/i);
        assert.doesNotMatch(script, /-v \w*password=/);
        assert.match(script, /\\getenv app_password LAB_APP_PASSWORD/);
        assert.match(script, /lab_secret APP_DB_PASSWORD /);
        assert.match(script, /lab_secret REPLICATION_PASSWORD /);
        assert.match(script, /cat > "\$PGDATA\/pg_hba\.conf"/, "replaces, does not append");
    });

    it("stops with one clear line when a password is missing, unreadable or given twice", async () => {
        const dir = makeTempDir("pg-lp-script-");
        const script = path.join(dir, "init.sh");
        fs.writeFileSync(script, renderPrimaryInitScript({ replicationCidr: REPLICATION_CIDR, leastPrivilege: { appCidr: APP_CIDR } }));
        const attempt = (extra: Record<string, string>) =>
            run("init", "bash", [script], { env: { PGDATA: dir, [LEAST_PRIVILEGE_ENV.replicationPassword]: "r", ...extra } });
        await assert.rejects(attempt({}), /APP_DB_PASSWORD or APP_DB_PASSWORD_FILE must be set/);
        await assert.rejects(attempt({ [LEAST_PRIVILEGE_ENV.appPassword]: "a", [LEAST_PRIVILEGE_ENV.appPasswordFile]: script }), /not both/);
        await assert.rejects(attempt({ [LEAST_PRIVILEGE_ENV.appPasswordFile]: path.join(dir, "missing") }), /not a readable file/);
        removeTempDir(dir);
    });

    it("refuses an app CIDR or role name that is not one", () => {
        assert.throws(() => renderPrimaryInitScript({ replicationCidr: "samenet", leastPrivilege: { appCidr: "all" } }), /appCidr/);
        assert.throws(() => renderPgHba({ appCidr: "10.0.0.0/8", appUser: "app; DROP", replicationCidr: null }), /appUser/);
    });

    it("leaves stage 1-3's primary script as it was; one reader of VAR or VAR_FILE for both scripts", () => {
        const replica = renderReplicaEntrypoint();
        assert.match(replica, /lab_secret REPLICATION_PASSWORD /);
        const reader = (script: string) => script.slice(script.indexOf("lab_secret() {"), script.indexOf("\n}\n", script.indexOf("lab_secret() {")));
        const primary = renderPrimaryInitScript({ replicationCidr: REPLICATION_CIDR, leastPrivilege: { appCidr: APP_CIDR } });
        assert.equal(reader(replica).replace(/replica:/g, "WHO:"), reader(primary).replace(/lab-init:/g, "WHO:"), "the same function");
        assert.doesNotMatch(renderPrimaryInitScript({ replicationCidr: "samenet" }), /lab_app|cat >/, "no app role, pg_hba appended to");
    });
});

interface Node { proc: Proc; port: number; dir: string; data: string }

/** Postgres binaries, user and PATH, as servers-postgres.ts finds them. */
function env() {
    const dir = postgresBinDir()!;
    return { bin: (name: string) => path.join(dir, name), runAs: postgresRunAs(), PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}` };
}

/** A socket whose connect() goes out from `localAddress` (pg calls stream.connect(port, host)). */
function fromAddress(localAddress: string): () => net.Socket {
    return () => {
        const socket = new net.Socket();
        const connect = socket.connect.bind(socket) as (opts: net.TcpSocketConnectOpts) => net.Socket;
        (socket as unknown as { connect: (port: number, host: string) => net.Socket }).connect =
            (port, host) => connect({ port, host, localAddress });
        return socket;
    };
}

/** One statement on a fresh connection; resolves to the rows, rejects with the server's error. */
async function query(config: ClientConfig, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const client = new Client({ ...config, connectionTimeoutMillis: 5000 });
    client.on("error", () => undefined);
    await client.connect();
    try { return (await client.query(sql, params)).rows; } finally { await client.end().catch(() => undefined); }
}

/** The SQLSTATE (or message) a statement fails with, or "ok". */
async function outcome(config: ClientConfig, sql: string): Promise<string> {
    try { await query(config, sql); return "ok"; } catch (e) { return (e as { code?: string }).code ?? (e as Error).message; }
}

describe("render/postgres stage 4: owner, app and replicator, for real", function () {
    this.timeout(90_000);
    const secrets = { owner: "OwnerPassw0rd", app: "AppPassw0rd", replication: "ReplPassw0rd" };
    const nodes: Node[] = [];
    let primary: Node | undefined;
    let replica: Node | undefined;

    const ownerVia = (node: Node, database: string = DATABASE.name): ClientConfig =>
        ({ host: node.dir, port: node.port, user: DATABASE.ownerUser, password: secrets.owner, database });
    const appFrom = (address: string, node: Node = primary!): ClientConfig => ({
        host: "127.0.0.1", port: node.port, user: APP_DB_USER, password: secrets.app, database: DATABASE.name, stream: fromAddress(address),
    });
    const app = () => appFrom("127.0.0.2");

    async function launch(name: string, node: Omit<Node, "proc">, command: string, args: string[], extraEnv: Record<string, string>) {
        const { runAs, PATH } = env();
        const proc = new Proc(`${name}:${node.port}`, command, args, { runAs, cwd: node.dir, env: { PATH, ...extraEnv } });
        const started = { ...node, proc };
        nodes.push(started);
        // Ready when the owner logs in over the socket: with trust before the init, with scram after.
        await waitFor(`${name} on ${node.port}`, async () => (await query(ownerVia(started, "postgres"), "SELECT 1")).length === 1,
            { proc, timeoutMs: 60_000 });
        return started;
    }

    before(async function () {
        skipUnless(this, NEEDS.postgres);
        const { bin, runAs, PATH } = env();
        const serverArgs = (node: { dir: string; data: string; port: number }, role: "primary" | "replica") =>
            ["-D", node.data, "-p", String(node.port), "-k", node.dir, ...postgresArgs(postgresSettings(role)), ...TEST_ONLY_ARGS];

        // The primary, as the image makes it: initdb, its pg_hba, the database, then the init script.
        const p = { dir: makeTempDir("pg-lp-primary-", "postgres"), port: await freePort(), data: "" };
        p.data = path.join(p.dir, "data");
        const file = (dir: string, name: string, text: string) => { writeOwnedFile(path.join(dir, name), `${text}\n`, runAs); return path.join(dir, name); };
        await run("initdb", bin("initdb"), ["-D", p.data, "-U", DATABASE.ownerUser, `--pwfile=${file(p.dir, "owner", secrets.owner)}`,
            "-E", "UTF8", "--locale=C", "--no-sync"], { runAs, env: { PATH } });
        writeOwnedFile(path.join(p.data, "pg_hba.conf"), IMAGE_PG_HBA, runAs);
        const first = await launch("primary", p, bin("postgres"), serverArgs(p, "primary"), {});
        await query(ownerVia(first, "postgres"), `CREATE DATABASE "${DATABASE.name}"`);
        const script = file(p.dir, "10-lab-init.sh", renderPrimaryInitScript({ replicationCidr: REPLICATION_CIDR, leastPrivilege: { appCidr: APP_CIDR } }));
        const out = await run("10-lab-init.sh", "bash", [script], {
            runAs, cwd: p.dir, env: {
                PATH, PGHOST: p.dir, PGPORT: String(p.port), [POSTGRES_IMAGE_ENV.dataDir]: p.data,
                [POSTGRES_IMAGE_ENV.user]: DATABASE.ownerUser, [POSTGRES_IMAGE_ENV.database]: DATABASE.name,
                [LEAST_PRIVILEGE_ENV.appPasswordFile]: file(p.dir, "app", secrets.app),
                [LEAST_PRIVILEGE_ENV.replicationPasswordFile]: file(p.dir, "replication", secrets.replication),
            },
        });
        assert.doesNotMatch(out, new RegExp(Object.values(secrets).join("|")), "the init prints no password");
        // The image restarts the server after its init scripts; that is when the new pg_hba counts.
        await first.proc.stop("SIGINT", 15_000);
        nodes.splice(nodes.indexOf(first), 1);
        primary = await launch("primary", p, bin("postgres"), serverArgs(p, "primary"), {});

        // The replica, through the rendered entrypoint, its password from a file only.
        const r = { dir: makeTempDir("pg-lp-replica-", "postgres"), port: await freePort(), data: "" };
        r.data = path.join(r.dir, "data");
        const entrypoint = file(r.dir, "entrypoint.sh", renderReplicaEntrypoint());
        replica = await launch("replica", r, "sh", [entrypoint, bin("postgres"), ...serverArgs(r, "replica")], {
            [POSTGRES_IMAGE_ENV.dataDir]: r.data, [REPLICA_ENV.primaryHost]: "127.0.0.1", [REPLICA_ENV.primaryPort]: String(p.port),
            [REPLICA_ENV.replicationUser]: DATABASE.replicationUser, [REPLICA_ENV.replicationSlot]: DATABASE.replicationSlot,
            [LEAST_PRIVILEGE_ENV.replicationPasswordFile]: file(r.dir, "replication", secrets.replication),
            [REPLICA_ENV.waitSeconds]: "30",
        });
    });
    after(async () => {
        for (const node of nodes.reverse()) {
            await node.proc.stop("SIGINT", 15_000);
            removeTempDir(node.dir);
        }
    });

    it("lets the app role read and write the lab's rows from the app's address", async () => {
        const rows = await query(app(), `INSERT INTO ${ITEMS} (name) VALUES ('least') RETURNING id`);
        const id = rows[0].id;
        await query(app(), `UPDATE ${ITEMS} SET note = 'updated' WHERE id = $1`, [id]);
        assert.deepEqual(await query(app(), `SELECT name, note FROM ${ITEMS} WHERE id = $1`, [id]), [{ name: "least", note: "updated" }]);
        await query(app(), `DELETE FROM ${ITEMS} WHERE id = $1`, [id]);
        assert.deepEqual(await query(app(), `SELECT 1 FROM ${ITEMS} WHERE id = $1`, [id]), []);
    });

    it("lets the app role run the WAL-position functions the app calls", async () => {
        const [row] = await query(app(), "SELECT pg_current_wal_lsn()::text AS lsn");
        assert.match(String(row.lsn), /^[0-9A-F]+\/[0-9A-F]+$/);
    });

    it("refuses the app role any DDL, temporary tables and role changes (42501)", async () => {
        assert.equal(await outcome(app(), `CREATE TABLE ${DATABASE.schema}.x (id int)`), "42501");
        assert.equal(await outcome(app(), `DROP TABLE ${ITEMS}`), "42501");
        assert.equal(await outcome(app(), `ALTER TABLE ${ITEMS} ADD COLUMN x int`), "42501");
        assert.equal(await outcome(app(), "CREATE SCHEMA evil"), "42501");
        assert.equal(await outcome(app(), "CREATE TABLE public.x (id int)"), "42501");
        assert.equal(await outcome(app(), "CREATE TEMP TABLE t (id int)"), "42501");
        assert.equal(await outcome(app(), `ALTER ROLE ${APP_DB_USER} CREATEDB`), "42501");
        // Bounded connections, which the role cannot lift: a stolen password cannot take them all.
        assert.equal(await outcome(app(), `ALTER ROLE ${APP_DB_USER} CONNECTION LIMIT -1`), "42501");
        const [attrs] = await query(app(), "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit FROM pg_roles WHERE rolname = current_user");
        assert.deepEqual(attrs, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: APP_DB_CONNECTION_LIMIT });
    });

    it("keeps the app's startup-packet timeouts when the app role sets its own defaults (ALTER ROLE self SET is allowed)", async () => {
        // An ordinary role may always ALTER ROLE itself SET a USERSET parameter (PG15 user.c AlterRoleSet);
        // a startup-packet parameter is PGC_S_CLIENT, which outranks role defaults (guc.h GucSource order).
        await query(app(), `ALTER ROLE ${APP_DB_USER} SET statement_timeout = 0`);
        try {
            const timed = { ...app(), statement_timeout: 200, lock_timeout: 200 };
            assert.equal(await outcome(timed, "SELECT pg_sleep(3)"), "57014", "the client's statement_timeout still cancels");
            assert.equal(await outcome(app(), "SELECT pg_sleep(0.4)"), "ok", "the role's own default is what a plain session gets");
        } finally {
            await query(app(), `ALTER ROLE ${APP_DB_USER} RESET statement_timeout`);
        }
    });

    it("gives tables from later migrations to the app with the same rights (default privileges)", async () => {
        await query(ownerVia(primary!), `CREATE TABLE ${DATABASE.schema}.later (id bigint GENERATED ALWAYS AS IDENTITY, v text)`);
        await query(app(), `INSERT INTO ${DATABASE.schema}.later (v) VALUES ('x')`);
        assert.equal(await outcome(app(), `TRUNCATE ${DATABASE.schema}.later`), "42501");
    });

    it("refuses the app role from any other address, and the owner over TCP (no pg_hba entry, 28000)", async () => {
        assert.equal(await outcome(appFrom("127.0.0.1"), "SELECT 1"), "28000");
        assert.equal(await outcome(appFrom("127.0.0.3"), "SELECT 1"), "28000");
        const ownerTcp = { ...ownerVia(primary!), host: "127.0.0.1", stream: fromAddress("127.0.0.2") };
        assert.equal(await outcome(ownerTcp, "SELECT 1"), "28000");
        assert.equal(await outcome({ ...ownerTcp, stream: fromAddress("127.0.0.1") }, "SELECT 1"), "28000");
    });

    it("gives the replicator no way into the data: no login to a database, no privilege on the table", async () => {
        const replicator = { ...app(), user: DATABASE.replicationUser, password: secrets.replication, stream: fromAddress("127.0.0.1") };
        assert.equal(await outcome(replicator, `SELECT * FROM ${ITEMS}`), "28000");
        const [row] = await query(ownerVia(primary!), "SELECT has_table_privilege($1, $2, 'SELECT') AS can, has_database_privilege($1, $3, 'CONNECT') AS connect",
            [DATABASE.replicationUser, ITEMS, DATABASE.name]);
        assert.deepEqual(row, { can: false, connect: false });
    });

    it("loaded only the rendered rules: the image's trust lines are gone", async () => {
        const rules = await query(ownerVia(primary!), "SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules ORDER BY line_number");
        assert.deepEqual(rules.map((r) => r.auth_method), ["scram-sha-256", "scram-sha-256", "scram-sha-256"]);
        assert.doesNotMatch(fs.readFileSync(path.join(primary!.data, "pg_hba.conf"), "utf8"), /trust/);
    });

    it("bootstraps the replica with the password from a file and streams to it; the app reads there too", async () => {
        const [row] = await query(appFrom("127.0.0.2"), `INSERT INTO ${ITEMS} (name) VALUES ('to the replica') RETURNING id`);
        const seen = await waitFor("the row on the replica", async () =>
            (await query(appFrom("127.0.0.2", replica!), `SELECT name FROM ${ITEMS} WHERE id = $1`, [row.id]))[0]?.name, { timeoutMs: 10_000 });
        assert.equal(seen, "to the replica");
        const [state] = await query(ownerVia(primary!), "SELECT usename, state FROM pg_stat_replication");
        assert.deepEqual(state, { usename: DATABASE.replicationUser, state: "streaming" });
    });
});
