/**
 * Process plumbing for the real-server tests: temp dirs, free ports, binaries, child processes in
 * their own process group, polling. servers.ts re-exports all of it; import from there.
 *
 * Everything started here is registered and killed (whole process group, SIGKILL) and every temp
 * dir removed when the test process exits, even after a failed test or a forgotten close().
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Context } from "mocha";

/** In CI a missing binary is a failure; on a laptop the test is skipped with the package to install. */
export const IN_CI = process.env.CI === "true";
/** SERVERS_VERBOSE=1 streams every server's output to stderr. */
const VERBOSE = process.env.SERVERS_VERBOSE === "1";
const OUTPUT_LIMIT = 64 * 1024;

const liveGroups = new Set<number>();
const tempDirs = new Set<string>();
function cleanupSync(): void {
    for (const pid of liveGroups) {
        try { process.kill(-pid, "SIGKILL"); } catch { /* already gone */ }
    }
    // A killed server may still be writing into its dir for a moment: pause, then retry the rm.
    if (liveGroups.size > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    liveGroups.clear();
    for (const dir of tempDirs) {
        try {
            fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        } catch (e) {
            process.stderr.write(`test/support: could not remove ${dir}: ${(e as Error).message}\n`);
        }
    }
    tempDirs.clear();
}
process.once("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => { cleanupSync(); process.exit(signal === "SIGINT" ? 130 : 143); });
}

// ---------------------------------------------------------------- users, ports, temp dirs

export interface RunAs { uid: number; gid: number }

/** Postgres refuses to run as root: as root, its processes run as the `postgres` user. */
export function postgresRunAs(): RunAs | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("running as root, but there is no `postgres` user to run Postgres as (apt-get install postgresql)");
    const [, , uid, gid] = line.split(":");
    return { uid: Number(uid), gid: Number(gid) };
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; tiny race until the server binds it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** A fresh dir under the OS temp dir, removed at exit; owner "postgres" chowns it when root. */
export function makeTempDir(prefix: string, owner?: "postgres"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `djlab-${prefix}`));
    tempDirs.add(dir);
    const runAs = owner === "postgres" ? postgresRunAs() : undefined;
    if (runAs) fs.chownSync(dir, runAs.uid, runAs.gid);
    return dir;
}

/** Writes a file (mode 0600 unless given) owned by runAs when given. */
export function writeOwnedFile(file: string, text: string, runAs?: RunAs, mode = 0o600): void {
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    if (runAs) fs.chownSync(file, runAs.uid, runAs.gid);
}

export function removeTempDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    tempDirs.delete(dir);
}

// ---------------------------------------------------------------- binaries

export interface Requirement { binary: string; debianPackage: string }

const POSTGRES_TOOLS = new Set(["postgres", "initdb", "pg_ctl", "pg_basebackup", "pg_isready", "psql"]);

/** The binaries each server's tests need, with the Debian package that provides them. */
export const NEEDS = {
    postgres: ["postgres", "initdb", "pg_basebackup", "pg_isready", "psql"].map((binary) => ({ binary, debianPackage: "postgresql" })),
    redis: [{ binary: "redis-server", debianPackage: "redis-server" }],
    nginx: [{ binary: "nginx", debianPackage: "nginx" }],
} satisfies Record<string, Requirement[]>;

function executable(file: string): boolean {
    try { fs.accessSync(file, fs.constants.X_OK); return fs.statSync(file).isFile(); } catch { return false; }
}

/**
 * The dir holding the Postgres server binaries: where the first `postgres` on PATH really lives, else Debian's
 * /usr/lib/postgresql/<newest>/bin. All Postgres tools come from there, so client and server match
 * (Debian's /usr/bin/psql is a wrapper that may pick another version).
 */
export function postgresBinDir(): string | undefined {
    const fromPath = (process.env.PATH ?? "").split(path.delimiter).find((d) => d && executable(path.join(d, "postgres")));
    // Resolve symlinks (e.g. /usr/local/bin/postgres -> /usr/lib/postgresql/15/bin/postgres).
    if (fromPath) return path.dirname(fs.realpathSync(path.join(fromPath, "postgres")));
    const root = "/usr/lib/postgresql";
    const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
    return versions.map((v) => path.join(root, v, "bin")).find((d) => executable(path.join(d, "postgres")));
}

/** Absolute path of a binary, or undefined. Also looks in the sbin dirs a non-root PATH may lack. */
export function findBinary(name: string): string | undefined {
    if (POSTGRES_TOOLS.has(name)) {
        const dir = postgresBinDir();
        return dir && executable(path.join(dir, name)) ? path.join(dir, name) : undefined;
    }
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
    return dirs.filter(Boolean).map((d) => path.join(d, name)).find(executable);
}

export class MissingBinaryError extends Error {}

/** The binary's path, or a MissingBinaryError naming the Debian package to install. */
export function requireBinary(name: string, debianPackage: string): string {
    const found = findBinary(name);
    if (!found) throw new MissingBinaryError(`\`${name}\` not found: install the Debian package \`${debianPackage}\``);
    return found;
}

/**
 * For a mocha `before` hook (use `function () {...}`, not an arrow): skips the suite, saying why,
 * when a binary is missing; in CI (CI=true) throws instead, because there a skip would hide a gap.
 *     before(function () { skipUnless(this, NEEDS.postgres); });
 */
export function skipUnless(ctx: Context, needs: readonly Requirement[]): void {
    const missing: string[] = [];
    for (const need of needs) {
        try { requireBinary(need.binary, need.debianPackage); } catch (e) {
            if (!(e instanceof MissingBinaryError)) throw e;
            missing.push(e.message);
        }
    }
    if (missing.length === 0) return;
    const why = [...new Set(missing)].join("; ");
    if (IN_CI) throw new MissingBinaryError(`${why} (CI=true: a missing server binary fails the run)`);
    console.log(`      skipped "${ctx.test?.parent?.fullTitle() ?? "suite"}": ${why}`);
    ctx.skip();
}

// ---------------------------------------------------------------- processes

export interface StartOptions {
    /** Added to the parent's environment, from which PG* variables are removed (a developer's PGHOST must not leak in). */
    env?: Record<string, string>;
    runAs?: RunAs;
    cwd?: string;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("PG")) env[key] = value;
    return { ...env, ...extra };
}

/** A child process in its own process group, its output kept (the last 64 KiB) for error messages. */
export class Proc {
    readonly child: ChildProcess;
    readonly exited: Promise<number | null>;
    private out = "";
    private exitCode: number | null | undefined;

    constructor(readonly name: string, command: string, args: readonly string[], opts: StartOptions = {}) {
        this.child = spawn(command, args, {
            env: childEnv(opts.env), cwd: opts.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"],
            uid: opts.runAs?.uid, gid: opts.runAs?.gid,
        });
        const pid = this.child.pid;
        if (pid !== undefined) liveGroups.add(pid);
        const keep = (chunk: Buffer) => {
            this.out = (this.out + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
            if (VERBOSE) process.stderr.write(`[${name}] ${chunk.toString("utf8")}`);
        };
        this.child.stdout!.on("data", keep);
        this.child.stderr!.on("data", keep);
        this.exited = new Promise((resolve) => {
            this.child.once("error", (err) => { keep(Buffer.from(`spawn failed: ${err.message}\n`)); this.exitCode = null; resolve(null); });
            this.child.once("close", (code) => {
                if (pid !== undefined) {
                    try { process.kill(-pid, "SIGKILL"); } catch { /* group empty */ }
                    liveGroups.delete(pid);
                }
                this.exitCode = code;
                resolve(code);
            });
        });
    }

    get running(): boolean { return this.exitCode === undefined; }
    output(): string { return this.out; }

    /** Signals the leader (or the group), waits; after timeoutMs the whole group gets SIGKILL. */
    async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000, group = false): Promise<void> {
        const pid = this.child.pid;
        if (!this.running || pid === undefined) return;
        try { process.kill(group ? -pid : pid, signal); } catch { /* already exiting */ }
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((r) => { timer = setTimeout(() => r("timeout"), timeoutMs); });
        const result = await Promise.race([this.exited, timedOut]);
        clearTimeout(timer);
        if (result === "timeout") {
            try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
            await this.exited;
        }
    }
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(name: string, command: string, args: readonly string[], opts: StartOptions = {}): Promise<string> {
    const proc = new Proc(name, command, args, opts);
    const code = await proc.exited;
    if (code !== 0) throw new Error(`${name} failed (exit ${code}): ${command} ${args.join(" ")}\n${proc.output()}`);
    return proc.output();
}

export interface WaitOptions { timeoutMs?: number; intervalMs?: number; proc?: Proc }

/**
 * Polls `check` until it returns something other than undefined/false. Fails early when `proc`
 * exits, and on timeout, with the last error and the process output in the message.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions = {}): Promise<T> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    let lastError: unknown;
    for (;;) {
        if (opts.proc && !opts.proc.running) {
            throw new Error(`${opts.proc.name} exited while waiting for ${what}:\n${opts.proc.output()}`);
        }
        try {
            const value = await check();
            if (value !== undefined && value !== false) return value;
        } catch (e) { lastError = e; }
        if (Date.now() > deadline) {
            const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
            throw new Error(`timed out waiting for ${what}${last}${opts.proc ? `\n${opts.proc.output()}` : ""}`);
        }
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
    }
}

/** True when something accepts TCP connections on host:port. */
export function tcpOpen(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.setTimeout(1000);
        const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
        socket.once("timeout", () => done(false));
    });
}
