/**
 * Stage 4's credentials: the app reads them from Vault (KV v2) with a token from a file, and caches
 * in a Redis that lets its user run only the commands the contract lists, on its keys only.
 * Vault is a stand-in HTTP server here (no Vault binary on the machine); it answers the KV v2 read
 * exactly as Vault does: GET /v1/<mount>/data/<path> with X-Vault-Token, the fields at .data.data.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { createClient } from "redis";
import { loadConfig } from "../../app/src/config";
import { APP_ENV, CACHE, HEADERS, VAULT } from "../../app/src/contract";
import { createLogger } from "../../app/src/log";
import { VaultError, withVaultSecrets } from "../../app/src/vault";
import { renderRedisConf } from "../../renderers/redis";
import { type AppProcess, NEEDS_LAB, call, labEnv, startAppProcess } from "../support/app";
import {
    type PostgresServer, type RedisServer, makeTempDir, skipUnless, startPostgresPrimary, startRedis,
} from "../support/servers";

interface FakeVault {
    addr: string;
    /** What the next reads answer: a status and the secret's fields. */
    answer: { status: number; fields?: Record<string, string> };
    reads: { url: string; token: string | undefined }[];
    close(): Promise<void>;
}

async function startFakeVault(token: string): Promise<FakeVault> {
    const vault: Omit<FakeVault, "addr" | "close"> = { answer: { status: 200, fields: {} }, reads: [] };
    const server = http.createServer((req, res) => {
        const given = req.headers["x-vault-token"] as string | undefined;
        vault.reads.push({ url: req.url ?? "", token: given });
        const send = (status: number, body: unknown) => {
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        };
        const { status, fields } = vault.answer;
        if (req.method !== "GET" || req.url !== `/v1/${VAULT.mount}/data/${VAULT.path}`) send(404, { errors: [] });
        else if (given !== token) send(403, { errors: ["permission denied"] });
        else if (status !== 200) send(status, { errors: ["stand-in error"] });
        else send(200, { data: { data: fields, metadata: { version: 1 } } });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    return Object.assign(vault, {
        addr: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    });
}

const silent = createLogger("silent");

describe("app: credentials from Vault (stage 4)", function () {
    const token = "s.app-token-for-tests";
    let vault: FakeVault;
    let tokenFile: string;
    const vaultEnv = () => ({ [VAULT.env.addr]: vault.addr, [VAULT.env.tokenFile]: tokenFile });
    const baseEnv = { [APP_ENV.dbPrimaryHost]: "127.0.0.1", [APP_ENV.dbName]: "lab" };

    before(async () => {
        vault = await startFakeVault(token);
        const dir = makeTempDir("vault-token-");
        tokenFile = path.join(dir, "token");
        fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    });
    after(async () => {
        await vault?.close();
    });

    it("takes the database and Redis credentials from the secret's fields", async () => {
        vault.answer = {
            status: 200,
            fields: { [VAULT.fields.dbUser]: "app_dml", [VAULT.fields.dbPassword]: "from-vault", [VAULT.fields.redisUser]: "app", [VAULT.fields.redisPassword]: "r" },
        };
        const config = loadConfig({ ...baseEnv, ...vaultEnv(), [APP_ENV.redisHost]: "redis" });
        assert.equal(config.db.password, "", "nothing from the environment");
        const resolved = await withVaultSecrets(config, silent);
        assert.equal(resolved.db.user, "app_dml");
        assert.equal(resolved.db.password, "from-vault");
        assert.equal(resolved.redis?.user, "app");
        assert.equal(resolved.redis?.password, "r");
        assert.deepEqual(vault.reads.at(-1), { url: `/v1/${VAULT.mount}/data/${VAULT.path}`, token });
    });

    it("refuses a password in the environment when Vault is configured", () => {
        assert.throws(
            () => loadConfig({ ...baseEnv, ...vaultEnv(), [APP_ENV.dbUser]: "x", [APP_ENV.dbPassword]: "in-env" }),
            /DB_USER must not be set when VAULT_ADDR is.*DB_PASSWORD must not be set when VAULT_ADDR is/,
        );
        assert.throws(() => loadConfig({ ...baseEnv, [VAULT.env.addr]: vault.addr }), /VAULT_TOKEN_FILE is required/);
        assert.throws(() => loadConfig({ ...baseEnv, [VAULT.env.addr]: "vault:8200", [VAULT.env.tokenFile]: tokenFile }), /VAULT_ADDR is invalid/);
    });

    const failures: [string, () => void, RegExp][] = [
        ["a token Vault refuses (403)", () => fs.writeFileSync(tokenFile, "wrong"), /refused the token .* \(403\): the app's policy must allow read on this path/],
        ["no secret at the path (404)", () => (vault.answer = { status: 404 }), /no secret at .*\/v1\/secret\/data\/devsecops\/app \(404\)/],
        ["a secret without the database password", () => (vault.answer = { status: 200, fields: { [VAULT.fields.dbUser]: "u" } }), /lacks db_password/],
        ["a sealed Vault (503) past the time budget", () => (vault.answer = { status: 503 }), /cannot read .* after \d+ attempts over 1 s: Vault answered 503/],
        ["a missing token file", () => fs.rmSync(tokenFile), /cannot read the Vault token file .*: ENOENT/],
    ];
    for (const [title, arrange, expected] of failures) {
        it(`fails with one clear message on ${title}`, async () => {
            fs.writeFileSync(tokenFile, token);
            vault.answer = { status: 200, fields: { [VAULT.fields.dbUser]: "u", [VAULT.fields.dbPassword]: "p" } };
            arrange();
            const config = loadConfig({ ...baseEnv, ...vaultEnv() });
            await assert.rejects(withVaultSecrets(config, silent, { budgetMs: 1000, requestTimeoutMs: 500 }), (err: Error) => {
                assert.ok(err instanceof VaultError);
                assert.match(err.message, expected);
                return true;
            });
        });
    }
});

describe("app: stage 4 for real: credentials only from Vault, a least-privilege Redis user", function () {
    const token = "s.stage4";
    const redisPassword = "redis-app-password";
    let primary: PostgresServer;
    let redis: RedisServer;
    let vault: FakeVault;
    let child: AppProcess;

    before(async function () {
        skipUnless(this, NEEDS_LAB);
        vault = await startFakeVault(token);
        // One at a time, so `after` can stop whatever did start if a later start fails.
        primary = await startPostgresPrimary();
        // The ACL the contract implies: the app's commands on the app's keys, nothing else.
        redis = await startRedis((ctx) =>
            renderRedisConf({
                ...ctx,
                users: [{ name: "app", password: redisPassword, commands: CACHE.commands.map((c) => `+${c}`), keys: [`${CACHE.keyPrefix}*`] }],
            }),
        );
        vault.answer = {
            status: 200,
            fields: {
                [VAULT.fields.dbUser]: primary.user,
                [VAULT.fields.dbPassword]: primary.password,
                [VAULT.fields.redisUser]: "app",
                [VAULT.fields.redisPassword]: redisPassword,
            },
        };
        const tokenFile = path.join(makeTempDir("vault-token-"), "token");
        fs.writeFileSync(tokenFile, token, { mode: 0o600 });
        const env = labEnv({ primary, redis, close: async () => undefined }, { [APP_ENV.logLevel]: "info" });
        delete env[APP_ENV.dbUser];
        delete env[APP_ENV.dbPassword];
        child = await startAppProcess({ ...env, [VAULT.env.addr]: vault.addr, [VAULT.env.tokenFile]: tokenFile });
        await child.ready();
    });
    after(async () => {
        await child?.proc.stop("SIGTERM");
        await Promise.allSettled([redis?.close(), primary?.close(), vault?.close()]);
    });

    it("starts with no password in its environment and writes to the primary", async () => {
        const env = fs.readFileSync(`/proc/${child.proc.child.pid}/environ`, "utf8").split("\0");
        assert.ok(!env.some((kv) => kv.startsWith(`${APP_ENV.dbPassword}=`) && kv.length > APP_ENV.dbPassword.length + 1));
        assert.ok(!env.some((kv) => kv.includes(primary.password)), "the database password is not in the process environment");
        const reply = await call(child.url("/api/items"), { method: "POST", json: { name: "stage 4" } });
        assert.equal(reply.status, 201, reply.text);
        assert.ok(child.logLines().some((l) => l.msg === "credentials read from Vault"));
    });

    it("caches through the ACL user: a miss, a hit, and an invalidation", async () => {
        const { json: item } = await call(child.url("/api/items"), { method: "POST", json: { name: "cached with ACL" } });
        assert.equal((await call(child.url(`/api/items/${item.id}`))).headers.get(HEADERS.cache), "miss");
        assert.equal((await call(child.url(`/api/items/${item.id}`))).headers.get(HEADERS.cache), "hit");
        await call(child.url(`/api/items/${item.id}`), { method: "PUT", json: { name: "renamed" } });
        const read = await call(child.url(`/api/items/${item.id}`));
        assert.equal(read.headers.get(HEADERS.cache), "miss");
        assert.equal(read.json.name, "renamed");
        assert.equal((await call(child.url("/readyz"))).json.cache.status, "up");
    });

    it("keeps its keys under the contract's prefix, which is all the ACL user may touch", async () => {
        const { json: item } = await call(child.url("/api/items"), { method: "POST", json: { name: "where is my key" } });
        await call(child.url(`/api/items/${item.id}`));
        const asApp = createClient({ socket: { host: redis.host, port: redis.port }, username: "app", password: redisPassword });
        asApp.on("error", () => undefined);
        await asApp.connect();
        try {
            const cached = await asApp.get(`${CACHE.keyPrefix}${item.id}`);
            assert.equal(JSON.parse(String(cached)).item.name, "where is my key");
            await assert.rejects(asApp.get("other:key"), /NOPERM/);
            await assert.rejects(asApp.sendCommand(["FLUSHALL"]), /NOPERM/);
        } finally {
            asApp.destroy();
        }
    });
});
