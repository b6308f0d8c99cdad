/**
 * The demo app against real servers: start the lab's data tier (Postgres primary, streaming
 * replica, Redis) from the shared server helpers, derive the app's environment from it (names from
 * the contract), and run the app in-process (buildApp) or as a child process (main.ts, as deployed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type AppDeps, buildApp } from "../../app/src/app";
import { type AppConfig, DEFAULT_TIMEOUTS, loadConfig } from "../../app/src/config";
import { APP_ENV, DATABASE } from "../../app/src/contract";
import {
    NEEDS, type PostgresServer, Proc, type RedisServer, freePort, skipUnless, startPostgresPrimary, startPostgresReplica,
    startRedis, waitFor,
} from "./servers";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const APP_MAIN = path.join(REPO_ROOT, "app/src/main.ts");

/** What the app's tests need installed: Postgres and Redis. */
export const NEEDS_LAB = [...NEEDS.postgres, ...NEEDS.redis];

/** APP_TEST_LOG=1 shows the in-process apps' JSON logs. */
const TEST_LOG_LEVEL = process.env.APP_TEST_LOG === "1" ? "info" : "silent";

export interface LabServers {
    primary: PostgresServer;
    replica?: PostgresServer;
    redis?: RedisServer;
    close(): Promise<void>;
}

/** Starts the primary, then (in parallel) the replica and Redis; cleans up if any start fails. */
export async function startLabServers(opts: { replica?: boolean; redis?: boolean } = {}): Promise<LabServers> {
    const started: { close(): Promise<void> }[] = [];
    const close = async () => {
        await Promise.allSettled(started.reverse().map((s) => s.close()));
    };
    try {
        const primary = await startPostgresPrimary();
        started.push(primary);
        const [replica, redis] = await Promise.all([
            opts.replica === false ? undefined : startPostgresReplica(primary).then((r) => (started.push(r), r)),
            opts.redis === false ? undefined : startRedis().then((r) => (started.push(r), r)),
        ]);
        return { primary, replica, redis, close };
    } catch (err) {
        await close();
        throw err;
    }
}

/** The environment a builder would give the app for these servers; `extra` adds or overrides. */
export function labEnv(servers: LabServers, extra: Record<string, string> = {}): Record<string, string> {
    const { primary, replica, redis } = servers;
    const env: Record<string, string> = {
        [APP_ENV.dbPrimaryHost]: primary.host,
        [APP_ENV.dbPrimaryPort]: String(primary.port),
        [APP_ENV.dbName]: primary.database,
        [APP_ENV.dbUser]: primary.user,
        [APP_ENV.dbPassword]: primary.password,
        [APP_ENV.logLevel]: TEST_LOG_LEVEL,
    };
    if (replica) Object.assign(env, { [APP_ENV.dbReplicaHost]: replica.host, [APP_ENV.dbReplicaPort]: String(replica.port) });
    if (redis) Object.assign(env, { [APP_ENV.redisHost]: redis.host, [APP_ENV.redisPort]: String(redis.port) });
    return { ...env, ...extra };
}

/** The config main.ts would load from labEnv, with test-sized timeouts. */
export function labConfig(servers: LabServers, extra: Record<string, string> = {}): AppConfig {
    const config = loadConfig(labEnv(servers, { [APP_ENV.instance]: "app-test", ...extra }));
    config.timeouts = { ...DEFAULT_TIMEOUTS, dbConnectMs: 1000, replicaRetryMs: 1000 };
    return config;
}

export interface RunningApp {
    readonly config: AppConfig;
    url(pathname?: string): string;
    close(): Promise<void>;
}

/**
 * A describe block's lab: the data tier and the app in-process, started before its tests (skipped,
 * naming the package to install, when a server binary is missing) and closed after them.
 */
export function useLabApp(): { readonly servers: LabServers; readonly app: RunningApp } {
    const lab: { servers?: LabServers; app?: RunningApp } = {};
    before(async function () {
        skipUnless(this, NEEDS_LAB);
        lab.servers = await startLabServers();
        lab.app = await startApp(labConfig(lab.servers));
    });
    after(async () => {
        await lab.app?.close();
        await lab.servers?.close();
    });
    return {
        get servers() { return lab.servers!; },
        get app() { return lab.app!; },
    };
}

/** buildApp + listen on a free loopback port. */
export async function startApp(config: AppConfig, deps: AppDeps = {}): Promise<RunningApp> {
    const app = buildApp(config, deps);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as { port: number };
    let closed = false;
    return {
        config,
        url: (pathname = "/") => `http://127.0.0.1:${port}${pathname}`,
        async close() {
            if (closed) return;
            closed = true;
            await app.close();
        },
    };
}

export interface AppProcess {
    readonly proc: Proc;
    readonly port: number;
    url(pathname?: string): string;
    /** The JSON log lines written so far. */
    logLines(): Record<string, unknown>[];
    /** Resolves when /healthz answers 200. */
    ready(): Promise<void>;
}

/**
 * Runs app/src/main.ts in a child process (ts-node, transpile only), as `node dist/main.js` runs in
 * the image. Every variable of the contract not given in `env` is blanked, so a developer's shell
 * cannot leak into the test.
 */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
    const port = env[APP_ENV.port] ? Number(env[APP_ENV.port]) : await freePort();
    const blank = Object.fromEntries(Object.values(APP_ENV).map((name) => [name, ""]));
    const proc = new Proc("app", process.execPath, ["-r", "ts-node/register/transpile-only", APP_MAIN], {
        cwd: REPO_ROOT,
        env: { ...blank, [APP_ENV.port]: String(port), [APP_ENV.instance]: "app-child", ...env, TS_NODE_TRANSPILE_ONLY: "true" },
    });
    const url = (pathname = "/") => `http://127.0.0.1:${port}${pathname}`;
    return {
        proc,
        port,
        url,
        logLines: () => parseLogLines(proc.output()),
        ready: () =>
            waitFor("the app's /healthz", async () => (await fetch(url("/healthz"))).status === 200, { proc, timeoutMs: 20_000 }).then(
                () => undefined,
            ),
    };
}

export function parseLogLines(output: string): Record<string, unknown>[] {
    return output
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => {
            try {
                return JSON.parse(line) as Record<string, unknown>;
            } catch {
                return { unparsed: line };
            }
        });
}

export interface Reply {
    status: number;
    headers: Headers;
    text: string;
    /** The parsed body when it is JSON, else undefined. */
    json: any;
}

/** fetch with a JSON body (or a raw string body) and the reply read in full. */
export async function call(url: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] ??= "application/json";
    }
    const response = await fetch(url, { method: init.method ?? "GET", headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
}

/** Polls a replica until it has replayed the row (bounded): then a read from it is deterministic. */
export async function untilOnReplica(replica: PostgresServer, id: number): Promise<void> {
    await waitFor(
        `item ${id} on the replica`,
        async () => (await replica.query(`SELECT 1 FROM ${DATABASE.schema}.items WHERE id = $1`, [id])).rowCount === 1,
        { timeoutMs: 10_000, intervalMs: 50 },
    );
}

/**
 * The pid of the redis-server this test process started on `port` (Redis titles itself
 * "redis-server 127.0.0.1:<port>"), to freeze it with SIGSTOP: a Redis that accepts and never answers.
 */
export function redisPid(port: number): number {
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let cmdline = "";
        try {
            cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
        } catch {
            continue; // gone meanwhile
        }
        if (/^(\S*\/)?redis-server /.test(cmdline) && cmdline.includes(`:${port}\0`)) return Number(entry);
    }
    throw new Error(`no redis-server process on port ${port}`);
}
