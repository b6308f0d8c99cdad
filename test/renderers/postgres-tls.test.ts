import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import pino from "pino";
import { Client, type ClientConfig } from "pg";
import { Database } from "../../app/src/db";
import { loadConfig } from "../../app/src/config";
import { APP_ENV } from "../../program/names";
import { renderPgHba } from "../../renderers/postgres";
import { postgresTlsSettings, replicaTlsEnvironment } from "../../renderers/tls";
import {
    NEEDS, type PostgresServer, makeTempDir, removeTempDir, skipUnless, startPostgresPrimary, startPostgresReplica, waitFor,
} from "../support/servers";
import { type LabCa, TLS_NEEDS, makeLabCa } from "../support/tls";

describe("render/postgres stage 4: TLS settings (pure)", () => {
    it("turns TLS on with the certificate and key files and TLS 1.2 at least", () => {
        assert.deepEqual(postgresTlsSettings({ certificate: "/c", key: "/k" }),
            { ssl: "on", ssl_cert_file: "/c", ssl_key_file: "/k", ssl_min_protocol_version: "TLSv1.2" });
    });

    it("admits network logins over TLS only: hostssl lines and no host line", () => {
        const hba = renderPgHba({ appCidr: "10.0.0.0/24", replicationCidr: "10.0.1.1/32", tls: true });
        const types = hba.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/)[0]);
        assert.deepEqual(types, ["local", "hostssl", "hostssl"]);
    });

    it("has the replica verify its primary's certificate and name (libpq's environment)", () => {
        assert.deepEqual(Object.fromEntries(replicaTlsEnvironment("/run/tls/ca.crt")), { PGSSLMODE: "verify-full", PGSSLROOTCERT: "/run/tls/ca.crt" });
    });
});

/** The SQLSTATE or message a login fails with, or "ok". */
async function login(config: ClientConfig): Promise<string> {
    const client = new Client({ ...config, connectionTimeoutMillis: 5000 });
    client.on("error", () => undefined);
    try {
        await client.connect();
        await client.query("SELECT 1");
        return "ok";
    } catch (e) {
        return (e as { code?: string }).code ?? (e as Error).message;
    } finally {
        await client.end().catch(() => undefined);
    }
}

describe("render/postgres stage 4: encryption in flight, for real (Debian's Postgres 15 with ssl=on)", function () {
    this.timeout(120_000);
    let dir: string | undefined;
    let ca: LabCa;
    let primary: PostgresServer | undefined;
    let replica: PostgresServer | undefined;

    before(async function () {
        skipUnless(this, [...NEEDS.postgres, ...TLS_NEEDS]);
        dir = makeTempDir("pg-tls-");
        ca = await makeLabCa(dir);
        // The name the clients dial, as the program's certificates carry the Docker alias or the Service's DNS name.
        const server = await ca.issue("postgres", ["DNS:localhost"]);
        const tls = { certificate: server.certPath, key: server.keyPath, ca: ca.caPath };
        primary = await startPostgresPrimary({ leastPrivilege: { appCidr: "127.0.0.1/32" }, tls });
        replica = await startPostgresReplica(primary, { tls });
    });
    after(async () => {
        await replica?.close();
        await primary?.close();
        if (dir) removeTempDir(dir);
    });

    const app = (extra: Partial<ClientConfig> = {}): ClientConfig => ({
        host: "localhost", port: primary!.port, database: primary!.database, user: primary!.app!.user, password: primary!.app!.password, ...extra,
    });

    it("refuses the app role over plaintext: no pg_hba line matches a connection without TLS", async () => {
        assert.equal(await login(app({ ssl: false })), "28000", "invalid_authorization_specification: no pg_hba.conf entry");
        assert.match(primary!.logs(), /no pg_hba\.conf entry for host "127\.0\.0\.1", user "lab_app", database "lab", no encryption/);
    });

    it("accepts the app over TLS verified against the lab CA, and the session is encrypted", async () => {
        const logger = pino({ level: "silent" });
        const config = loadConfig({
            [APP_ENV.dbPrimaryHost]: "localhost", [APP_ENV.dbPrimaryPort]: String(primary!.port), [APP_ENV.dbName]: primary!.database,
            [APP_ENV.dbUser]: primary!.app!.user, [APP_ENV.dbPassword]: primary!.app!.password, [APP_ENV.tlsCaFile]: ca.caPath,
        });
        const db = new Database(config, logger);
        try {
            const item = await db.createItem("over tls", "");
            assert.ok(item.id);
        } finally {
            await db.close();
        }
        const client = new Client({ ...app(), ssl: { ca: ca.caPem } });
        await client.connect();
        try {
            const { rows } = await client.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
            assert.equal(rows[0].ssl, true);
            assert.match(rows[0].version, /^TLSv1\.[23]$/);
        } finally {
            await client.end();
        }
    });

    it("is refused by the app when the certificate does not name the host it dialled, or another CA signed it", async () => {
        // The certificate names localhost; dialled as 127.0.0.1 it names the wrong host (verify-full's check).
        assert.match(await login(app({ host: "127.0.0.1", ssl: { ca: ca.caPem } })), /^ERR_TLS_CERT_ALTNAME_INVALID$/);
        const other = await makeLabCa(makeTempDir("pg-tls-other-"));
        assert.match(await login(app({ ssl: { ca: other.caPem } })), /^UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
    });

    it("streams to the replica over TLS, verify-full, as the written primary_conninfo says", async () => {
        const { rows } = await primary!.query<{ ssl: boolean; usename: string }>(
            "SELECT s.ssl, r.usename FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)");
        assert.deepEqual(rows, [{ ssl: true, usename: primary!.replicationUser }]);
        const auto = fs.readFileSync(path.join(replica!.dataDir, "postgresql.auto.conf"), "utf8");
        // Inside the quoted value, quotes are doubled: sslmode=''verify-full''.
        assert.match(auto, /primary_conninfo = '.*sslmode=''verify-full''.*'/);
        assert.match(auto, /sslrootcert=''\S*ca\.crt''/);
        // And a row written on the primary arrives.
        await primary!.query("CREATE TABLE IF NOT EXISTS lab.tls_probe (n int)");
        await primary!.query("INSERT INTO lab.tls_probe VALUES (42)");
        await waitFor("the row on the replica", async () =>
            (await replica!.query("SELECT n FROM lab.tls_probe").catch(() => ({ rows: [] }))).rows.length === 1, { timeoutMs: 10_000 });
    });
});
