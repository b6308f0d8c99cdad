/**
 * A real Postgres primary and streaming replica on loopback, set up the way the official image does
 * it, but with the server binaries of this machine (Debian's 15 here, 17 in the image). Import from
 * servers.ts; the API is documented there.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client, type ClientConfig, type QueryResult, type QueryResultRow } from "pg";
import { DATABASE } from "../../program/names";
import {
    APP_DB_USER, LEAST_PRIVILEGE_ENV, POSTGRES_IMAGE_ENV, PRIMARY_INIT_ENV, REPLICA_ENV, postgresArgs, postgresSettings,
    renderPrimaryInitScript, renderReplicaEntrypoint,
} from "../../renderers/postgres";
import { postgresTlsSettings, replicaTlsEnvironment } from "../../renderers/tls";
import {
    Proc, type RunAs, makeTempDir, postgresBinDir, postgresRunAs, freePort, removeTempDir, run, waitFor, writeOwnedFile,
} from "./proc";

export interface PostgresServer {
    readonly role: "primary" | "replica";
    readonly host: string;
    readonly port: number;
    /** DATABASE.name */
    readonly database: string;
    /** DATABASE.ownerUser: the role the app uses in stages 1-3 (a superuser, as in the image). */
    readonly user: string;
    readonly password: string;
    readonly replicationUser: string;
    readonly replicationPassword: string;
    readonly replicationSlot: string;
    readonly dataDir: string;
    /** Unix socket dir; local connections there are trusted (with leastPrivilege: scram, owner only). */
    readonly socketDir: string;
    /**
     * With the leastPrivilege option: the app role (APP_DB_USER, DML only) and its password; it logs
     * in over TCP from appCidr. Without it: undefined (the app uses the owner, as in stages 1-3).
     */
    readonly app?: { readonly user: string; readonly password: string };
    /**
     * Config for `new pg.Client(...)` / `new pg.Pool(...)`, as the owner, over TCP with scram; with
     * leastPrivilege over the Unix socket, the only way the rendered pg_hba lets the owner in.
     */
    clientConfig(database?: string): ClientConfig;
    connectionString(database?: string): string;
    /** One query on a fresh connection (closed afterwards). */
    query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<QueryResult<R>>;
    logs(): string;
    /** Fast shutdown (SIGINT); data is kept for restart(). */
    stop(): Promise<void>;
    /** Stops if running, starts again on the same port and data, waits until it takes queries. */
    restart(): Promise<void>;
    /** Stops and removes the temp dir; idempotent. Call it from `after`. */
    close(): Promise<void>;
}

export interface StartPostgresOptions {
    /** Default: postgresSettings(role) (the rendered settings). */
    settings?: Record<string, string>;
    /** Appended after the rendered settings (later wins). Default TEST_ONLY_ARGS. */
    extraArgs?: string[];
    /** Primary only; default "127.0.0.1/32" (the replica connects over loopback). */
    replicationCidr?: string;
    /** Primary only; default true. false renders stage 1's init (no replication role or slot). */
    replication?: boolean;
    /**
     * Primary only: stage 4's init (renderPrimaryInitScript({ leastPrivilege })): the app role with a
     * generated password, and the rendered pg_hba.conf in force (owner over the socket only). A replica
     * of such a primary inherits its pg_hba. Use appCidr "127.0.0.1/32" for an app on loopback.
     */
    leastPrivilege?: { appCidr: string };
    /**
     * Stage 4's encryption in flight (renderers/tls.ts): the server serves TLS with this certificate
     * and key (copied into its dir, the key 0440 root:postgres as the builders hand it over, or 0600
     * when not root); with leastPrivilege, pg_hba admits network logins over TLS only (hostssl). A
     * replica also verifies its primary against `ca` (PGSSLMODE=verify-full), dialling it as
     * `primaryHost` (default "localhost": the name a certificate for loopback carries).
     */
    tls?: { certificate: string; key: string; ca: string; primaryHost?: string };
}

/** Speed and loopback only: never in the rendered settings. */
export const TEST_ONLY_ARGS = ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"];

const HOST = "127.0.0.1";
const secret = () => crypto.randomBytes(12).toString("hex");

function binaries() {
    const dir = postgresBinDir();
    if (!dir) throw new Error("Postgres server binaries not found: install the Debian package `postgresql`");
    return { dir, bin: (name: string) => path.join(dir, name), PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}` };
}

/** Copies the TLS files into `dir` as the builders hand them over; returns the settings that name them. */
function tlsFiles(dir: string, tls: NonNullable<StartPostgresOptions["tls"]>, runAs: RunAs | undefined): { settings: Record<string, string>; ca: string } {
    const at = (name: string) => path.join(dir, name);
    writeOwnedFile(at("tls.crt"), fs.readFileSync(tls.certificate, "utf8"), runAs, 0o444);
    writeOwnedFile(at("ca.crt"), fs.readFileSync(tls.ca, "utf8"), runAs, 0o444);
    // Root-owned, readable by the server's group: what Docker's uploads and Kubernetes' Secrets give it.
    writeOwnedFile(at("tls.key"), fs.readFileSync(tls.key, "utf8"), runAs && { uid: 0, gid: runAs.gid }, runAs ? 0o440 : 0o600);
    return { settings: postgresTlsSettings({ certificate: at("tls.crt"), key: at("tls.key") }), ca: at("ca.crt") };
}

/** Polls until the server accepts a password login over TCP and answers a query. */
async function untilReady(config: ClientConfig, proc: Proc, timeoutMs: number): Promise<void> {
    await waitFor(`postgres on ${config.host}:${config.port}`, async () => {
        const client = new Client({ ...config, connectionTimeoutMillis: 2000 });
        client.on("error", () => undefined);
        try {
            await client.connect();
            await client.query("SELECT 1");
            return true;
        } finally {
            await client.end().catch(() => undefined);
        }
    }, { proc, timeoutMs, intervalMs: 100 });
}

function handle(
    role: "primary" | "replica", dir: string, port: number, password: string, replicationPassword: string,
    launch: () => Proc, readyTimeoutMs: number, first: Proc, app?: PostgresServer["app"],
): PostgresServer {
    let proc = first;
    let closed = false;
    // Stage 4's pg_hba lets the owner in over the socket only; `app` marks that setup.
    const ownerHost = app ? dir : HOST;
    const clientConfig = (database: string = DATABASE.name): ClientConfig =>
        ({ host: ownerHost, port, user: DATABASE.ownerUser, password, database });
    const server: PostgresServer = {
        role, host: HOST, port, database: DATABASE.name, user: DATABASE.ownerUser, password,
        replicationUser: DATABASE.replicationUser, replicationPassword, replicationSlot: DATABASE.replicationSlot,
        dataDir: path.join(dir, "data"), socketDir: dir, app,
        clientConfig,
        connectionString: (database = DATABASE.name) =>
            `postgresql://${DATABASE.ownerUser}:${encodeURIComponent(password)}@${HOST}:${port}/${database}`,
        async query(sql, params, database) {
            const client = new Client(clientConfig(database));
            client.on("error", () => undefined);
            await client.connect();
            try { return await client.query(sql, params); } finally { await client.end().catch(() => undefined); }
        },
        logs: () => proc.output(),
        stop: () => proc.stop("SIGINT", 15_000),
        async restart() {
            if (closed) throw new Error(`postgres ${role} was closed`);
            await proc.stop("SIGINT", 15_000);
            proc = launch();
            await untilReady(clientConfig(), proc, readyTimeoutMs);
        },
        async close() {
            if (closed) return;
            closed = true;
            await proc.stop("SIGINT", 15_000);
            removeTempDir(dir);
        },
    };
    return server;
}

/** Cleans up when a start fails halfway, so a failing `before` leaves nothing behind. */
async function orCleanUp<T>(dir: string, getProc: () => Proc | undefined, start: () => Promise<T>): Promise<T> {
    try {
        return await start();
    } catch (e) {
        await getProc()?.stop("SIGKILL", 5000, true);
        removeTempDir(dir);
        throw e;
    }
}

/**
 * initdb with the owner role and password (scram), CREATE DATABASE, then the rendered init script
 * run as the image runs it (env POSTGRES_USER, POSTGRES_DB, PGDATA, REPLICATION_PASSWORD; psql over
 * the trusted Unix socket via PGHOST/PGPORT), then a reload (the image restarts instead).
 */
export async function startPostgresPrimary(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
    const { bin, PATH } = binaries();
    const runAs = postgresRunAs();
    const dir = makeTempDir("pg-primary-", "postgres");
    const data = path.join(dir, "data");
    const port = await freePort();
    const password = secret();
    const replicationPassword = secret();
    const tls = opts.tls && tlsFiles(dir, opts.tls, runAs);
    const args = [
        "-D", data, "-p", String(port), "-k", dir,
        ...postgresArgs({ ...(opts.settings ?? postgresSettings("primary")), ...tls?.settings }), ...(opts.extraArgs ?? TEST_ONLY_ARGS),
    ];
    const launch = () => new Proc(`postgres-primary:${port}`, bin("postgres"), args, { runAs, env: { PATH } });
    let proc: Proc | undefined;
    return orCleanUp(dir, () => proc, async () => {
        writeOwnedFile(path.join(dir, "pwfile"), `${password}\n`, runAs);
        await run("initdb", bin("initdb"), [
            "-D", data, "-U", DATABASE.ownerUser, `--pwfile=${path.join(dir, "pwfile")}`,
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ], { runAs, env: { PATH } });
        // Like the image's pg_hba for network clients: no replication line of its own. initdb's
        // loopback "replication all trust" lines are dropped, so the replica's loopback connection
        // stands in for a network one and only gets in through the rendered line.
        writeOwnedFile(path.join(data, "pg_hba.conf"), "local all all trust\nhost all all all scram-sha-256\n", runAs);
        proc = launch();
        const server = handle("primary", dir, port, password, replicationPassword, launch, 20_000, proc);
        const current = proc;
        await untilReady(server.clientConfig("postgres"), current, 20_000);
        await server.query(`CREATE DATABASE "${DATABASE.name}"`, [], "postgres");

        const script = path.join(dir, "10-lab-init.sh");
        const replication = opts.replication !== false;
        const lp = opts.leastPrivilege && { ...opts.leastPrivilege, tls: opts.tls !== undefined };
        const rendered = renderPrimaryInitScript({ replicationCidr: opts.replicationCidr ?? "127.0.0.1/32", replication, leastPrivilege: lp });
        writeOwnedFile(script, rendered, runAs, 0o700);
        const appPassword = secret();
        await run("10-lab-init.sh", "bash", [script], {
            runAs, cwd: dir,
            env: {
                PATH, PGHOST: dir, PGPORT: String(port), [POSTGRES_IMAGE_ENV.dataDir]: data,
                [POSTGRES_IMAGE_ENV.user]: DATABASE.ownerUser, [POSTGRES_IMAGE_ENV.database]: DATABASE.name,
                [POSTGRES_IMAGE_ENV.password]: password,
                ...(replication ? { [PRIMARY_INIT_ENV.replicationPassword]: replicationPassword } : {}),
                ...(lp ? { [LEAST_PRIVILEGE_ENV.appPassword]: appPassword } : {}),
            },
        });
        await server.query("SELECT pg_reload_conf()");
        if (!lp) return server;
        // From here the rendered pg_hba is in force: the owner gets in over the socket only.
        return handle("primary", dir, port, password, replicationPassword, launch, 20_000, current, { user: APP_DB_USER, password: appPassword });
    });
}

/**
 * Runs the rendered replica entrypoint with the env the container gets (PGDATA, PRIMARY_HOST, ...)
 * and `postgres ...` as "$@": it waits for the primary, pg_basebackup's into an empty PGDATA, then
 * execs postgres. restart() runs the entrypoint again, which now skips the clone.
 */
export async function startPostgresReplica(primary: PostgresServer, opts: StartPostgresOptions = {}): Promise<PostgresServer> {
    const { bin, PATH } = binaries();
    const runAs = postgresRunAs();
    const dir = makeTempDir("pg-replica-", "postgres");
    const data = path.join(dir, "data");
    const port = await freePort();
    const script = path.join(dir, "replica-entrypoint.sh");
    const tls = opts.tls && tlsFiles(dir, opts.tls, runAs);
    const env = {
        PATH, [POSTGRES_IMAGE_ENV.dataDir]: data,
        [REPLICA_ENV.primaryHost]: primary.host, [REPLICA_ENV.primaryPort]: String(primary.port),
        [REPLICA_ENV.replicationUser]: primary.replicationUser,
        [REPLICA_ENV.replicationPassword]: primary.replicationPassword,
        [REPLICA_ENV.replicationSlot]: primary.replicationSlot,
        [REPLICA_ENV.waitSeconds]: "30",
        ...(tls ? {
            [REPLICA_ENV.primaryHost]: opts.tls!.primaryHost ?? "localhost", ...Object.fromEntries(replicaTlsEnvironment(tls.ca)),
            // libpq looks for a client certificate in $HOME/.postgresql; the test runner's HOME
            // (/root) is unreadable to postgres ("Permission denied"); in the image it is postgres's own.
            HOME: dir,
        } : {}),
    };
    const args = [
        script, bin("postgres"), "-p", String(port), "-k", dir,
        ...postgresArgs({ ...(opts.settings ?? postgresSettings("replica")), ...tls?.settings }), ...(opts.extraArgs ?? TEST_ONLY_ARGS),
    ];
    const launch = () => new Proc(`postgres-replica:${port}`, "sh", args, { runAs, env, cwd: dir });
    let proc: Proc | undefined;
    return orCleanUp(dir, () => proc, async () => {
        writeOwnedFile(script, renderReplicaEntrypoint(), runAs, 0o700);
        proc = launch();
        const server = handle("replica", dir, port, primary.password, primary.replicationPassword, launch, 30_000, proc, primary.app);
        await untilReady(server.clientConfig(), proc, 60_000);
        return server;
    });
}
