/**
 * The assembled data plane on loopback: what a stage's `pulumi up` wires together, built from the
 * program's own rendered configuration with the shared server helpers (servers.ts, app.ts, tls.ts),
 * on free 127.0.0.1 ports in temp dirs. Nothing listens on any other address.
 *
 *   startDataPlane({ stage: 3 | 4, apps?: 2 | 3, cache?: boolean }) -> DataPlane
 *       stage 3: Postgres primary + streaming replica (rendered init and replica entrypoint), Redis
 *                (rendered, open), `apps` app instances (child processes of app/src/main.ts, env as
 *                builders/docker/app.ts sets it), Nginx (renderNginxConf, as builders/docker/nginx.ts).
 *       stage 4: the same made secure as rendered: Nginx with TLS (self-signed), the HTTP-to-HTTPS
 *                redirect, security headers and EDGE_RATE_LIMIT; Redis with its ACL users (the app
 *                logs in as REDIS_USERS.app); Postgres with the least-privilege init (owner, app DML
 *                only, replicator; the rendered pg_hba, app and replica from 127.0.0.1/32).
 *                Credentials reach the app as in the stage: the rendered Vault bootstrap (sh + wget) writes them, from
 *                0600 files, into a Vault stand-in (vault-standin.ts: Vault has no Debian
 *                package; tests on this plane say "Vault stand-in"), and the app reads them with
 *                its own token from a 0600 file (VAULT_TOKEN_FILE): no password in any environment.
 *       Every app instance listens on 127.0.0.1 only (APP_LISTEN_HOST), as the stage's app tier is
 *       reachable only from its networks.
 *       apps: default 3 (devsecops:appReplicas' default). cache: default true; false leaves Redis
 *       out (stage 2's data path: replica reads, no cache) behind the same Nginx.
 *
 *   DataPlane
 *       stage, entry (base URL of the entry point: http://127.0.0.1:P, stage 4 https://127.0.0.1:P),
 *       httpEntry (the plain-HTTP listener: stage 4 only redirects there), ca (stage 4: the PEM to trust)
 *       primary, replica, redis? (PostgresServer / RedisServer: stop(), restart(), query(), ...), nginx
 *       apps[i]: { name, port, url(path), running, proc }    (direct, bypassing Nginx)
 *       request(path, init?) -> PlaneReply { status, headers, text, json, ms }: one request through
 *           the entry point (keep-alive; trusts `ca`); init: method, json, body, headers,
 *           localAddress ("127.0.0.N": a distinct client for the rate limit), timeoutMs (default 10 s)
 *       killApp(i, signal = "SIGKILL"), restartApp(i) (same port), close() (idempotent; everything
 *       is also killed and removed when the test process exits, see proc.ts)
 *
 *   boundedLoad(plane, { requests, concurrency, deadlineMs?, paceMs?, stopWhen?, onReply?, make(i) }) -> LoadResult
 *       at most `requests` requests, at most `concurrency` at a time, none started after deadlineMs;
 *       returns every reply (status 0 = a client-side failure: refused, reset, timed out).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { APP_ENV, VAULT } from "../../app/src/contract";
import { EDGE_RATE_LIMIT } from "../../builders/shared";
import { SERVICES } from "../../program/names";
import { renderNginxConf } from "../../renderers/nginx";
import { REDIS_HEALTH_USER, REDIS_USERS, redisAppUser, renderRedisConf } from "../../renderers/redis";
import { VAULT_BOOTSTRAP_ENV, renderVaultBootstrap } from "../../renderers/vault";
import { type AppProcess, NEEDS_LAB, labEnv, startAppProcess } from "./app";
import {
    NEEDS, type NginxServer, type PostgresServer, type RedisServer, type Requirement, freePort, makeTempDir, run, startNginx,
    startPostgresPrimary, startPostgresReplica, startRedis, tcpOpen, waitFor, writeOwnedFile,
} from "./servers";
import { startVaultStandIn } from "./vault-standin";
import { TLS_NEEDS, makeSelfSignedCert } from "./tls";

/** What startDataPlane needs installed, for skipUnless(this, DATA_PLANE_NEEDS). */
export const DATA_PLANE_NEEDS: Requirement[] = [...NEEDS_LAB, ...NEEDS.nginx, ...TLS_NEEDS, { binary: "wget", debianPackage: "wget" }];

/** On loopback the app and the replica both connect from 127.0.0.1: the rendered pg_hba admits exactly that. */
const LOOPBACK_CIDR = "127.0.0.1/32";

export interface DataPlaneOptions {
    stage: 3 | 4;
    /** App instances behind Nginx; default 3. */
    apps?: number;
    /** Default true. false: no Redis (stage 2's data path behind stage 3's edge). */
    cache?: boolean;
}

export interface DataPlaneApp {
    /** `app-N`, as the Docker builder names the instance (X-Instance). */
    readonly name: string;
    readonly port: number;
    url(pathname?: string): string;
    readonly running: boolean;
    readonly proc: AppProcess["proc"];
}

export interface RequestInit {
    method?: string;
    json?: unknown;
    body?: string | Buffer;
    headers?: Record<string, string>;
    /** Source address, e.g. "127.0.0.3": Nginx's per-client rate limit keys on it. */
    localAddress?: string;
    timeoutMs?: number;
}

export interface PlaneReply {
    /** 0 when no HTTP answer came (refused, reset, timed out); `error` says which. */
    status: number;
    headers: http.IncomingHttpHeaders;
    text: string;
    json: any;
    ms: number;
    error?: string;
}

export interface DataPlane {
    readonly stage: 3 | 4;
    readonly entry: string;
    readonly httpEntry: string;
    readonly ca?: string;
    readonly primary: PostgresServer;
    readonly replica: PostgresServer;
    readonly redis?: RedisServer;
    readonly nginx: NginxServer;
    readonly apps: DataPlaneApp[];
    request(pathname: string, init?: RequestInit): Promise<PlaneReply>;
    killApp(index: number, signal?: NodeJS.Signals): Promise<void>;
    restartApp(index: number): Promise<void>;
    close(): Promise<void>;
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<DataPlane> {
    const { stage } = opts;
    const appCount = opts.apps ?? 3;
    const secure = stage === 4;
    const closers: (() => Promise<void>)[] = [];
    const procs: (AppProcess | undefined)[] = [];
    const closeAll = async () => {
        await Promise.allSettled(procs.map((p) => p?.proc.stop("SIGKILL", 5000, true)));
        for (const close of closers.reverse()) await close().catch(() => undefined);
        closers.length = 0;
    };
    try {
        const primary = await startPostgresPrimary(secure ? { leastPrivilege: { appCidr: LOOPBACK_CIDR } } : {});
        closers.push(() => primary.close());
        // Letters and digits, as the program generates them (the Vault bootstrap refuses anything else).
        const redisPassword = secure ? `redis${Math.random().toString(36).slice(2)}${Date.now()}` : undefined;
        const [replica, redis] = await Promise.all([
            startPostgresReplica(primary).then((r) => (closers.push(() => r.close()), r)),
            opts.cache === false ? undefined : startRedis((ctx) => renderRedisConf({
                ...ctx, ...(redisPassword ? { users: [redisAppUser(redisPassword), REDIS_HEALTH_USER] } : {}),
            })).then((r) => (closers.push(() => r.close()), r)),
        ]);

        // The app's env as builders/docker/app.ts sets it, on loopback only; stage 4's credentials
        // (the least-privilege role and ACL user) from Vault, never from the environment.
        const env = labEnv({ primary, replica, redis, close: async () => undefined }, {
            [APP_ENV.listenHost]: "127.0.0.1",
            ...(secure ? await bootstrapVault(primary, redisPassword, closers) : {}),
        });
        const names = Array.from({ length: appCount }, (_, i) => `${SERVICES.app}-${i + 1}`);
        const ports = await Promise.all(names.map(() => freePort()));
        const launchApp = async (i: number) => {
            const app = await startAppProcess({ ...env, [APP_ENV.instance]: names[i], [APP_ENV.port]: String(ports[i]) });
            procs[i] = app;
            await app.ready();
            return app;
        };
        await Promise.all(names.map((_, i) => launchApp(i)));

        let tlsPort: number | undefined;
        let ca: string | undefined;
        let tlsFiles: { certificatePath: string; keyPath: string } | undefined;
        if (secure) {
            const dir = makeTempDir("dataplane-tls-");
            closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
            const cert = await makeSelfSignedCert(dir);
            tlsFiles = { certificatePath: cert.certPath, keyPath: cert.keyPath };
            ca = cert.certPem;
            tlsPort = await freePort();
        }
        const nginx = await startNginx((ctx) => renderNginxConf({
            listenPort: ctx.port, listenAddress: "127.0.0.1", user: ctx.user, paths: ctx.paths,
            upstreams: names.map((name, i) => ({ name, host: "127.0.0.1", port: ports[i] })),
            ...(secure ? { tls: { ...tlsFiles!, listenPort: tlsPort, redirectPort: tlsPort! }, rateLimit: EDGE_RATE_LIMIT } : {}),
        }));
        closers.push(() => nginx.close());
        if (tlsPort) await waitFor(`nginx TLS on 127.0.0.1:${tlsPort}`, () => tcpOpen("127.0.0.1", tlsPort!));

        const entry = secure ? `https://127.0.0.1:${tlsPort}` : nginx.url("").replace(/\/$/, "");
        const agents = new Map<string, http.Agent>();
        const agentFor = (localAddress = "") => {
            let agent = agents.get(localAddress);
            if (!agent) {
                const o = { keepAlive: true, maxSockets: 64, localAddress: localAddress || undefined };
                agent = secure ? new https.Agent({ ...o, ca, servername: "localhost" }) : new http.Agent(o);
                agents.set(localAddress, agent);
            }
            return agent;
        };
        closers.push(async () => agents.forEach((a) => a.destroy()));

        const apps: DataPlaneApp[] = names.map((name, i) => ({
            name, port: ports[i],
            url: (p = "/") => `http://127.0.0.1:${ports[i]}${p}`,
            get running() { return procs[i]?.proc.running ?? false; },
            get proc() { return procs[i]!.proc; },
        }));
        let closed = false;
        return {
            stage, entry, httpEntry: nginx.url("").replace(/\/$/, ""), ca, primary, replica, redis, nginx, apps,
            request: (pathname, init = {}) => send(`${entry}${pathname}`, agentFor(init.localAddress), init),
            async killApp(i, signal = "SIGKILL") { await procs[i]?.proc.stop(signal, 5000); },
            async restartApp(i) {
                await procs[i]?.proc.stop("SIGTERM", 10_000);
                await launchApp(i);
            },
            async close() {
                if (closed) return;
                closed = true;
                await closeAll();
            },
        };
    } catch (err) {
        await closeAll();
        throw err;
    }
}

/**
 * Stage 4's hand-over: a Vault stand-in, the rendered bootstrap run by sh and wget with the secrets
 * in 0600 files (as builders/docker/vault.ts runs it), and the app's env: Vault's address and the
 * path of its token file, the credential variables blanked.
 */
async function bootstrapVault(primary: PostgresServer, redisPassword: string | undefined, closers: (() => Promise<void>)[]): Promise<Record<string, string>> {
    if (!primary.app || !redisPassword) throw new Error("stage 4's data plane needs the app role and the Redis password");
    const token = () => `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, "");
    const rootToken = `root${token()}`;
    const vault = await startVaultStandIn({ rootToken });
    closers.push(() => vault.stop());
    const dir = makeTempDir("dataplane-vault-");
    const file = (name: string, text: string) => (writeOwnedFile(path.join(dir, name), `${text}\n`), path.join(dir, name));
    const appTokenFile = file("app-token", `app${token()}`);
    const e = VAULT_BOOTSTRAP_ENV;
    await run("vault-bootstrap", "sh", [file("bootstrap.sh", renderVaultBootstrap())], {
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin", TMPDIR: dir,
            [e.addr]: vault.addr, [e.rootTokenFile]: file("root-token", rootToken), [e.appTokenFile]: appTokenFile,
            [e.dbUser]: primary.app.user, [e.dbPasswordFile]: file("db-password", primary.app.password),
            [e.redisUser]: REDIS_USERS.app, [e.redisPasswordFile]: file("redis-password", redisPassword), [e.waitSeconds]: "10",
        },
    });
    return {
        [VAULT.env.addr]: vault.addr, [VAULT.env.tokenFile]: appTokenFile,
        [APP_ENV.dbUser]: "", [APP_ENV.dbPassword]: "", [APP_ENV.redisUser]: "", [APP_ENV.redisPassword]: "",
    };
}

function send(url: string, agent: http.Agent, init: RequestInit): Promise<PlaneReply> {
    const start = performance.now();
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] ??= "application/json";
    }
    const mod = url.startsWith("https:") ? https : http;
    return new Promise((resolve) => {
        const fail = (error: string) => resolve({ status: 0, headers: {}, text: "", json: undefined, ms: performance.now() - start, error });
        const req = mod.request(url, { method: init.method ?? "GET", headers, agent, timeout: init.timeoutMs ?? 10_000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", (e) => fail(e.message));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let json: unknown;
                try { json = JSON.parse(text); } catch { json = undefined; }
                resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, ms: performance.now() - start });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`timed out after ${init.timeoutMs ?? 10_000} ms`)));
        req.on("error", (e) => fail(e.message));
        req.end(body);
    });
}

// ---------------------------------------------------------------- bounded load

export interface LoadOptions extends Pick<RequestInit, "timeoutMs"> {
    /** At most this many requests in all. */
    requests: number;
    /** At most this many at a time. */
    concurrency: number;
    /** No request starts after this many ms (default 30 s). */
    deadlineMs?: number;
    /** The i-th request (0-based). */
    make(i: number): { path: string } & RequestInit;
    /** Each worker waits this long between its requests (default 0). */
    paceMs?: number;
    /** Checked before each request: true ends the load early. */
    stopWhen?(): boolean;
    /** Called with each reply as it arrives (e.g. to trigger a fault after N). */
    onReply?(reply: PlaneReply, i: number): void;
}

export interface LoadResult {
    /** In completion order; startedAt is Date.now() when the request was sent. */
    replies: (PlaneReply & { i: number; method: string; path: string; startedAt: number })[];
    sent: number;
    /** status 0 or >= 500 */
    failed: number;
    ms: number;
}

export async function boundedLoad(plane: Pick<DataPlane, "request">, opts: LoadOptions): Promise<LoadResult> {
    const start = Date.now();
    const deadline = start + (opts.deadlineMs ?? 30_000);
    const replies: LoadResult["replies"] = [];
    let next = 0;
    const worker = async () => {
        while (next < opts.requests && Date.now() < deadline && !opts.stopWhen?.()) {
            const i = next++;
            const { path: p, ...init } = { timeoutMs: opts.timeoutMs, ...opts.make(i) };
            const startedAt = Date.now();
            const reply = await plane.request(p, init);
            replies.push({ ...reply, i, method: init.method ?? "GET", path: p, startedAt });
            opts.onReply?.(reply, i);
            if (opts.paceMs) await new Promise((r) => setTimeout(r, opts.paceMs));
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
    return { replies, sent: replies.length, failed: replies.filter((r) => r.status === 0 || r.status >= 500).length, ms: Date.now() - start };
}

/** Where a test prints its figures: one line, easy to grep in CI logs. */
export function figures(what: string, values: Record<string, number | string>): string {
    const line = `      [figures] ${what}: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ")}`;
    console.log(line);
    return line;
}
