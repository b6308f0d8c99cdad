/**
 * Real servers for tests, on 127.0.0.1, each in a temp dir, each started from what the renderers
 * in renderers/ produce. Stable API (the app's tests use it too):
 *
 *   Skipping and binaries
 *     skipUnless(this, NEEDS.postgres | NEEDS.redis | NEEDS.nginx)   in a `before(function () {...})`:
 *         skips the suite and prints the Debian package to install; throws instead when CI=true.
 *     requireBinary(name, debianPackage): string        findBinary(name): string | undefined
 *     IN_CI, MissingBinaryError
 *
 *   Servers (each waits until really ready; each handle has host, port, logs(), stop(), restart(),
 *   close(); stop() keeps data for restart(), close() also removes the temp dir and is idempotent)
 *     startPostgresPrimary(opts?)  -> PostgresServer   initdb (owner DATABASE.ownerUser, scram) +
 *         CREATE DATABASE DATABASE.name + the rendered init script, as the official image runs it
 *     startPostgresReplica(primary, opts?) -> PostgresServer   via the rendered replica entrypoint
 *         PostgresServer: database, user, password (owner), replicationUser/Password/Slot, dataDir,
 *         clientConfig(db?) for pg.Client/Pool, connectionString(db?), query(sql, params?, db?)
 *         opts: { settings?, extraArgs? (default TEST_ONLY_ARGS: fsync off, loopback),
 *                 replicationCidr?, replication? (false: stage 1's init, no replica possible) }
 *     startRedis(ctx => confText?) -> RedisServer   { host, port, url, dir }; ctx gives the free
 *         port, temp dir and bind ["127.0.0.1"]; default renderRedisConf(ctx) (open, stage 3)
 *     startNginx(ctx => confText) -> NginxServer   { host, port, dir, url(path), accessLog() };
 *         ctx gives the free port, temp paths and worker user to render with
 *     startHttpUpstream(name) -> HttpUpstream   answers every request 200 with its name as body;
 *         { name, host, port, hits, lastRequest, stop(), restart(), close() }
 *
 *   Plumbing: freePort(), makeTempDir(prefix, owner?: "postgres"), removeTempDir(dir),
 *     waitFor(what, check, { timeoutMs, intervalMs, proc }), tcpOpen(host, port), Proc, run()
 *
 * Leftovers are killed (process group) and temp dirs removed when the test process exits.
 * SERVERS_VERBOSE=1 streams all server output to stderr.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import type { NginxPaths } from "../../renderers/nginx";
import { renderRedisConf } from "../../renderers/redis";
import { Proc, freePort, makeTempDir, removeTempDir, requireBinary, tcpOpen, waitFor } from "./proc";

export * from "./proc";
export * from "./servers-postgres";

const HOST = "127.0.0.1";

export interface ServerHandle {
    readonly host: string;
    readonly port: number;
    logs(): string;
    stop(): Promise<void>;
    restart(): Promise<void>;
    close(): Promise<void>;
}

/** A process-backed handle: launch() starts it, ready() resolves when it serves. */
async function processHandle(
    name: string, dir: string, port: number, launch: () => Proc, ready: (proc: Proc) => Promise<unknown>, signal: NodeJS.Signals,
): Promise<ServerHandle> {
    let proc = launch();
    let closed = false;
    try {
        await ready(proc);
    } catch (e) {
        await proc.stop("SIGKILL", 5000, true);
        removeTempDir(dir);
        throw e;
    }
    return {
        host: HOST, port,
        logs: () => proc.output(),
        stop: () => proc.stop(signal),
        async restart() {
            if (closed) throw new Error(`${name} was closed`);
            await proc.stop(signal);
            proc = launch();
            await ready(proc);
        },
        async close() {
            if (closed) return;
            closed = true;
            await proc.stop(signal);
            removeTempDir(dir);
        },
    };
}

// ---------------------------------------------------------------- redis

export interface RedisServer extends ServerHandle {
    /** redis://127.0.0.1:<port> (no credentials: pass them to the client when the conf sets some). */
    readonly url: string;
    readonly dir: string;
}

/** Answers PING with anything (+PONG, or -NOAUTH when auth is on): the server is up. */
function redisAnswers(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: HOST, port });
        socket.setTimeout(1000);
        const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
        socket.once("connect", () => socket.write("PING\r\n"));
        socket.once("data", (d) => done(/^[+-]/.test(d.toString())));
        socket.once("error", () => done(false));
        socket.once("timeout", () => done(false));
    });
}

export interface RedisContext {
    /** A free port to listen on. */
    port: number;
    /** The temp dir to use as `dir` (Redis chdirs there while reading the file, so it must exist). */
    dir: string;
    /** ["127.0.0.1"]: tests listen on loopback only. */
    bind: string[];
}

/**
 * redis-server <rendered file>, used as is (no command-line overrides). `render` defaults to
 * renderRedisConf({ port, bind, dir }); pass your own to add auth or a smaller maxmemory.
 */
export async function startRedis(
    render: (ctx: RedisContext) => string = (ctx) => renderRedisConf(ctx),
): Promise<RedisServer> {
    const binary = requireBinary("redis-server", "redis-server");
    const dir = makeTempDir("redis-");
    const port = await freePort();
    const conf = path.join(dir, "redis.conf");
    fs.writeFileSync(conf, render({ port, dir, bind: [HOST] }), { mode: 0o600 });
    const base = await processHandle(`redis:${port}`, dir, port, () => new Proc(`redis:${port}`, binary, [conf]),
        (proc) => waitFor(`redis on ${HOST}:${port}`, () => redisAnswers(port), { proc }), "SIGTERM");
    return { ...base, url: `redis://${HOST}:${port}`, dir };
}

// ---------------------------------------------------------------- nginx

export interface NginxContext {
    /** A free port to listen on (render with listenAddress 127.0.0.1). */
    port: number;
    /** The temp dir nginx runs in. */
    dir: string;
    /**
     * pid, temp dirs and access log (accessLog()) in `dir`; errors to stderr (logs()). Not
     * /dev/stdout: Node gives a child sockets, not pipes, and nginx cannot open() those.
     */
    paths: NginxPaths;
    /** Worker user: an unprivileged one when the tests run as root, else null (omit the directive). */
    user: string | null;
}

export interface NginxServer extends ServerHandle {
    readonly dir: string;
    url(pathname?: string): string;
    /** The access log's lines so far (rendered as one JSON object per line). */
    accessLog(): string[];
}

function workerUser(): string | null {
    if (process.getuid?.() !== 0) return null;
    const groups = fs.readFileSync("/etc/group", "utf8");
    return /^nogroup:/m.test(groups) ? "nobody nogroup" : "nobody nobody";
}

/** nginx -p <temp> -c <rendered> -g "daemon off;" (the official image's own command adds the same -g). */
export async function startNginx(render: (ctx: NginxContext) => string): Promise<NginxServer> {
    const binary = requireBinary("nginx", "nginx");
    const dir = makeTempDir("nginx-");
    fs.chmodSync(dir, 0o755); // workers run as an unprivileged user and write their temp files here
    const port = await freePort();
    const ctx: NginxContext = {
        port, dir, user: workerUser(),
        paths: { pid: path.join(dir, "nginx.pid"), tempDir: dir, errorLog: "stderr", accessLog: path.join(dir, "access.log") },
    };
    const conf = path.join(dir, "nginx.conf");
    fs.writeFileSync(conf, render(ctx), { mode: 0o644 });
    // -e: the error log before the config is read (1.19.5+), else a non-root nginx complains about /var/log/nginx.
    const args = ["-p", dir, "-e", "stderr", "-c", conf, "-g", "daemon off;"];
    const base = await processHandle(`nginx:${port}`, dir, port, () => new Proc(`nginx:${port}`, binary, args),
        (proc) => waitFor(`nginx on ${HOST}:${port}`, () => tcpOpen(HOST, port), { proc }), "SIGTERM");
    const accessLog = () => {
        const file = ctx.paths.accessLog;
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    };
    return { ...base, dir, accessLog, url: (pathname = "/") => `http://${HOST}:${port}${pathname}` };
}

// ---------------------------------------------------------------- a stand-in app instance

export interface HttpUpstream {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    /** Requests answered since start. */
    readonly hits: number;
    readonly lastRequest?: { method: string; url: string; headers: http.IncomingHttpHeaders };
    /** Closes the listener and every open connection (keep-alive too): like a killed instance. */
    stop(): Promise<void>;
    /** Listens again on the same port. */
    restart(): Promise<void>;
    close(): Promise<void>;
}

export async function startHttpUpstream(name: string): Promise<HttpUpstream> {
    const port = await freePort();
    let server: http.Server | undefined;
    const state: { hits: number; lastRequest?: HttpUpstream["lastRequest"] } = { hits: 0 };
    const listen = () => new Promise<void>((resolve, reject) => {
        const s = http.createServer((req, res) => {
            req.resume();
            req.on("end", () => {
                state.hits++;
                state.lastRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
                res.writeHead(200, { "content-type": "text/plain" });
                res.end(name);
            });
        });
        s.once("error", reject);
        s.listen(port, HOST, () => { server = s; resolve(); });
    });
    const stop = () => new Promise<void>((resolve) => {
        const s = server;
        server = undefined;
        if (!s) return resolve();
        s.close(() => resolve());
        s.closeAllConnections();
    });
    await listen();
    return {
        name, host: HOST, port,
        get hits() { return state.hits; },
        get lastRequest() { return state.lastRequest; },
        stop,
        restart: async () => { await stop(); await listen(); },
        close: stop,
    };
}
