import * as assert from "node:assert/strict";
import * as path from "node:path";
import { VAULT } from "../../app/src/contract";
import {
    VAULT_BOOTSTRAP_ENV, VAULT_SECRET_API_PATH, renderVaultBootstrap, renderVaultPolicy,
} from "../../renderers/vault";
import { Proc, type Requirement, findBinary, makeTempDir, run, skipUnless, writeOwnedFile } from "../support/servers";
import { type VaultStandIn, parsePolicy, startVaultStandIn } from "../support/vault-standin";

const NEEDS_WGET: Requirement[] = [
    { binary: "busybox", debianPackage: "busybox" },
    { binary: "wget", debianPackage: "wget" },
];

// Alphanumeric, as the program generates them.
const ROOT = "RootToken0123456789";
const SECRETS = { appToken: "AppToken0123456789ab", dbPassword: "DbPassw0rd123456", redisPassword: "RedisPassw0rd1234" };
const USERS = { db: "lab_app", redis: "lab_app" };

describe("render/vault (pure)", () => {
    it("grants read on the secret's KV v2 data/ path and nothing else", () => {
        const rules = parsePolicy(renderVaultPolicy());
        assert.deepEqual(rules, [{ path: `${VAULT.mount}/data/${VAULT.path}`, capabilities: ["read"] }]);
    });

    it("uses only wget flags busybox and GNU wget share, never curl, and puts no secret in a URL", () => {
        const script = renderVaultBootstrap();
        assert.doesNotMatch(script, /\bcurl\b/);
        const flags = [...script.matchAll(/\bwget ([^\n]*)/g)].flatMap((m) => m[1].match(/(?<=^|\s)-{1,2}[a-z][\w-]*/gi) ?? []);
        assert.ok(flags.length > 0);
        assert.deepEqual([...new Set(flags)].sort(), ["--header", "--post-file", "-O", "-q"]);
        assert.doesNotMatch(script, /\/v1\/[^"\s]*\$(root_token|app_token|db_password|redis_password)/);
    });
});

/** The bootstrap's world: secret files in a temp dir and the env pointing at them. */
function inputs(addr: string, overrides: Record<string, string> = {}) {
    const dir = makeTempDir("vault-bootstrap-");
    const file = (name: string, text: string) => { writeOwnedFile(path.join(dir, name), `${text}\n`); return path.join(dir, name); };
    const e = VAULT_BOOTSTRAP_ENV;
    return {
        dir,
        env: {
            [e.addr]: addr, [e.dbUser]: USERS.db, [e.redisUser]: USERS.redis,
            [e.rootTokenFile]: file("root", overrides.root ?? ROOT),
            [e.appTokenFile]: file("app", overrides.appToken ?? SECRETS.appToken),
            [e.dbPasswordFile]: file("db", overrides.dbPassword ?? SECRETS.dbPassword),
            [e.redisPasswordFile]: file("redis", overrides.redisPassword ?? SECRETS.redisPassword),
            [e.waitSeconds]: overrides.wait ?? "10",
        },
    };
}

/** How to run the script: a shell command and the PATH it gets. */
interface ShellCmd { command: string; args: string[]; PATH: string }

const SHELLS: { name: string; prepare(): Promise<ShellCmd> }[] = [
    {
        // The hashicorp/vault image is alpine: busybox's sh, wget, mktemp, cat and all, nothing else.
        name: "busybox sh and busybox wget, as in the hashicorp/vault image",
        async prepare() {
            const bin = makeTempDir("busybox-bin-");
            const busybox = findBinary("busybox")!;
            await run("busybox --install", busybox, ["--install", "-s", bin]);
            return { command: busybox, args: ["sh"], PATH: bin };
        },
    },
    { name: "dash and GNU wget", prepare: async () => ({ command: "sh", args: [], PATH: process.env.PATH ?? "" }) },
];

/** Runs the rendered script; never rejects: the exit code and all output. */
async function bootstrap(shell: ShellCmd, env: Record<string, string>) {
    const dir = makeTempDir("vault-script-");
    const script = path.join(dir, "bootstrap.sh");
    writeOwnedFile(script, renderVaultBootstrap());
    const proc = new Proc("vault-bootstrap", shell.command, [...shell.args, script], { env: { ...env, PATH: shell.PATH, TMPDIR: dir } });
    const code = await proc.exited;
    return { code, output: proc.output() };
}

function assertNoSecret(output: string): void {
    for (const secret of [ROOT, ...Object.values(SECRETS)]) assert.ok(!output.includes(secret), "a secret in the output");
}

/** A raw call to the stand-in, as the app's client or an attacker with the app's token makes it. */
async function call(vault: VaultStandIn, token: string, apiPath: string, body?: unknown): Promise<number> {
    const response = await fetch(`${vault.addr}/v1/${apiPath}`, {
        method: body === undefined ? "GET" : "POST", headers: { "X-Vault-Token": token }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
}

for (const shell of SHELLS) {
    describe(`vault bootstrap with ${shell.name} (against a KV v2 stand-in; Vault has no Debian package)`, function () {
        this.timeout(30_000);
        let vault: VaultStandIn | undefined;
        let sh: ShellCmd | undefined;
        let first: { code: number | null; output: string } | undefined;

        before(async function () {
            skipUnless(this, NEEDS_WGET);
            sh = await shell.prepare();
            vault = await startVaultStandIn({ rootToken: ROOT });
            first = await bootstrap(sh, inputs(vault.addr).env);
        });
        after(async () => { await vault?.stop(); });

        it("writes the secret, the policy and the app token, one line per step, no secret in its output", () => {
            assert.equal(first!.code, 0, first!.output);
            assertNoSecret(first!.output);
            const lines = first!.output.trim().split("\n");
            for (const line of lines) assert.match(line, /^vault-bootstrap: /);
            assert.match(first!.output, /created the app token/);
            assert.deepEqual(vault!.secrets.get(`${VAULT.mount}/${VAULT.path}`), {
                [VAULT.fields.dbUser]: USERS.db, [VAULT.fields.dbPassword]: SECRETS.dbPassword,
                [VAULT.fields.redisUser]: USERS.redis, [VAULT.fields.redisPassword]: SECRETS.redisPassword,
            });
            assert.equal(vault!.policies.get(VAULT.policy), renderVaultPolicy());
            const token = vault!.tokens.get(SECRETS.appToken)!;
            assert.deepEqual({ policies: token.policies, ttl: token.ttl, renewable: token.renewable },
                { policies: [VAULT.policy], ttl: "768h", renewable: true });
        });

        it("leaves the app token able to read its secret and nothing else", async () => {
            const app = SECRETS.appToken;
            assert.equal(await call(vault!, app, VAULT_SECRET_API_PATH), 200);
            assert.equal(await call(vault!, app, `${VAULT.mount}/data/devsecops/other`), 403, "another path");
            assert.equal(await call(vault!, app, VAULT_SECRET_API_PATH, { data: { db_password: "mine" } }), 403, "a write");
            assert.equal(await call(vault!, app, `sys/policies/acl/${VAULT.policy}`, { policy: 'path "*" { capabilities = ["read"] }' }), 403, "a policy");
            assert.equal(await call(vault!, app, "auth/token/create", { policies: ["root"] }), 403, "a token");
            assert.equal(await call(vault!, "not-a-token", VAULT_SECRET_API_PATH), 403, "an unknown token");
        });

        it("succeeds again on a second run, keeping the token", async () => {
            const again = await bootstrap(sh!, inputs(vault!.addr).env);
            assert.equal(again.code, 0, again.output);
            assert.match(again.output, /app token exists already with policy devsecops-app: kept/);
            assert.equal(vault!.tokens.size, 2, "root and the app's, no other");
            assertNoSecret(again.output);
        });

        it("fails with one clear line when the root token is wrong, printing no secret", async () => {
            const wrong = await bootstrap(sh!, inputs(vault!.addr, { root: "WrongRootToken123" }).env);
            assert.notEqual(wrong.code, 0);
            assert.match(wrong.output, /vault-bootstrap: FAILED: Vault refused the token in VAULT_TOKEN_FILE/);
            assertNoSecret(wrong.output.replace("WrongRootToken123", ""));
            assert.ok(!wrong.output.includes("WrongRootToken123"));
        });

        it("fails when the token given as root is not a root token", async () => {
            const notRoot = await bootstrap(sh!, inputs(vault!.addr, { root: SECRETS.appToken }).env);
            assert.notEqual(notRoot.code, 0);
            assert.match(notRoot.output, /FAILED: (Vault refused the token|the token in VAULT_TOKEN_FILE is not a root token)/);
        });
    });
}

describe("vault bootstrap's refusals (against a KV v2 stand-in; Vault has no Debian package)", function () {
    this.timeout(30_000);
    let vault: VaultStandIn | undefined;
    const dash: ShellCmd = { command: "sh", args: [], PATH: process.env.PATH ?? "" };

    before(async function () {
        skipUnless(this, NEEDS_WGET);
        vault = await startVaultStandIn({ rootToken: ROOT });
    });
    after(async () => { await vault?.stop(); });

    it("refuses a password that would break the JSON, naming the file and not the value", async () => {
        const bad = 'Passw0rd","x":"y';
        const result = await bootstrap(dash, inputs(vault!.addr, { dbPassword: bad }).env);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /FAILED: the file in DB_PASSWORD_FILE holds characters other than letters and digits only/);
        assert.ok(!result.output.includes(bad));
        assert.equal(vault!.secrets.size, 0, "nothing written");
    });

    it("refuses a token id Vault would refuse (a dot), and a missing file", async () => {
        const dotted = await bootstrap(dash, inputs(vault!.addr, { appToken: "hvs.Abc123" }).env);
        assert.match(dotted.output, /FAILED: the file in APP_TOKEN_FILE holds characters other than/);
        const env = { ...inputs(vault!.addr).env, [VAULT_BOOTSTRAP_ENV.redisPasswordFile]: "/nonexistent" };
        const missing = await bootstrap(dash, env);
        assert.match(missing.output, /FAILED: REDIS_PASSWORD_FILE names \/nonexistent, which is not a readable file/);
    });

    it("writes only the database login when the stage has no Redis login (no cache, or no ACL user)", async () => {
        const e = VAULT_BOOTSTRAP_ENV;
        const { [e.redisUser]: _user, [e.redisPasswordFile]: _file, ...env } = inputs(vault!.addr).env;
        const result = await bootstrap(dash, env);
        assert.equal(result.code, 0, result.output);
        assert.match(result.output, /redis user none/);
        assert.deepEqual(vault!.secrets.get(`${VAULT.mount}/${VAULT.path}`), {
            [VAULT.fields.dbUser]: USERS.db, [VAULT.fields.dbPassword]: SECRETS.dbPassword,
        });
        vault!.secrets.clear();
        vault!.tokens.delete(SECRETS.appToken);
    });

    it("refuses half a Redis login: a user without its password file", async () => {
        const { [VAULT_BOOTSTRAP_ENV.redisPasswordFile]: _file, ...env } = inputs(vault!.addr).env;
        const result = await bootstrap(dash, env);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /FAILED: REDIS_PASSWORD_FILE must be set: the path of a file holding the password/);
        assert.equal(vault!.secrets.size, 0, "nothing written");
    });

    it("gives up on an unreachable Vault after the bounded wait", async () => {
        const started = Date.now();
        const result = await bootstrap(dash, inputs("http://127.0.0.1:9", { wait: "2" }).env);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /FAILED: Vault at http:\/\/127\.0\.0\.1:9 was not ready \(GET \/v1\/sys\/health\) within 2s/);
        assert.ok(Date.now() - started < 10_000);
    });

    it("refuses to adopt a token with the app's id but another policy", async () => {
        vault!.tokens.set(SECRETS.appToken, { id: SECRETS.appToken, policies: ["other"], displayName: "x", ttl: "1h", renewable: true });
        const result = await bootstrap(dash, inputs(vault!.addr).env);
        assert.notEqual(result.code, 0);
        assert.match(result.output, /FAILED: a token with the id in APP_TOKEN_FILE exists without policy devsecops-app/);
    });
});
