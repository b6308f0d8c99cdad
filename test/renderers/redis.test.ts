import * as assert from "node:assert/strict";
import { createClient } from "redis";
import {
    REDIS_APP_KEY_PATTERN, REDIS_HEALTH_USER, REDIS_USERS, redisAppUser, redisHealthCheckCommand, renderRedisConf,
} from "../../renderers/redis";
import { NEEDS, type RedisServer, requireBinary, run, skipUnless, startRedis } from "../support/servers";

type Client = ReturnType<typeof createClient>;

/** A connected client, closed by closeClients() (each real-server suite runs it after each test). */
const clients: Client[] = [];
async function connect(server: RedisServer, auth: { username?: string; password?: string } = {}): Promise<Client> {
    const client = createClient({ url: server.url, ...auth, socket: { reconnectStrategy: false } });
    client.on("error", () => undefined);
    clients.push(client);
    await client.connect();
    return client;
}
function closeClients(): void {
    for (const client of clients.splice(0)) if (client.isOpen) client.destroy();
}

/** The error a command fails with, or "ok". */
async function failure(run: () => Promise<unknown>): Promise<string> {
    try { await run(); return "ok"; } catch (e) { return (e as Error).message; }
}

describe("render/redis (pure)", () => {
    it("renders a cache: LRU eviction, no persistence, the image's bind", () => {
        const conf = renderRedisConf();
        assert.match(conf, /^maxmemory-policy allkeys-lru$/m);
        assert.match(conf, /^save ""$/m);
        assert.match(conf, /^appendonly no$/m);
        assert.match(conf, /^bind \* -::\*$/m);
        assert.match(conf, /^port 6379$/m);
        assert.doesNotMatch(conf, /^user /m, "no auth in stage 3");
    });

    it("stores passwords hashed, never as written", () => {
        const conf = renderRedisConf({ password: "s3cret-default", users: [{ name: "app", password: "s3cret-app", commands: ["+get"] }] });
        assert.doesNotMatch(conf, /s3cret/);
        assert.match(conf, /^user app on resetpass #[0-9a-f]{64} /m);
    });

    it("renders stage 4's users: the app on its key prefix only, the health user with PING only and no password", () => {
        const conf = renderRedisConf({ users: [redisAppUser("s3cret-app"), REDIS_HEALTH_USER] });
        assert.match(conf, /^user default off resetpass -@all$/m);
        assert.match(conf, new RegExp(`^user ${REDIS_USERS.app} on resetpass #[0-9a-f]{64} resetkeys ~lab:item:\\* resetchannels -@all \\+get \\+set \\+watch \\+multi \\+exec \\+unwatch \\+ping$`, "m"));
        assert.match(conf, /^user health on nopass resetkeys resetchannels -@all \+ping$/m);
        assert.throws(() => renderRedisConf({ users: [{ name: "x", commands: ["+ping"] }] }), /needs a password/);
        assert.throws(() => renderRedisConf({ users: [{ name: "x", nopass: true, password: "p", commands: ["+ping"] }] }), /nopass/);
    });

    it("refuses ACL rules and names that would break the line", () => {
        assert.throws(() => renderRedisConf({ users: [{ name: "app", password: "p", commands: ["+get allcommands"] }] }), /ACL rule/);
        assert.throws(() => renderRedisConf({ users: [{ name: "default", password: "p", commands: [] }] }), /user name/);
        assert.throws(() => renderRedisConf({ dir: "/data\nsave 1 1" }), /one word/);
    });
});

describe("render/redis: an open cache (stage 3), for real", function () {
    this.timeout(20_000);
    let redis: RedisServer | undefined;

    before(async function () {
        skipUnless(this, NEEDS.redis);
        redis = await startRedis((ctx) => renderRedisConf({ ...ctx, maxmemory: "4mb" }));
    });
    afterEach(closeClients);
    after(async () => { await redis?.close(); });

    it("stores and returns a value", async () => {
        const client = await connect(redis!);
        await client.set("cache:item:1", "hello", { EX: 60 });
        assert.equal(await client.get("cache:item:1"), "hello");
    });

    it("runs with the rendered policy and no persistence", async () => {
        const client = await connect(redis!);
        assert.deepEqual({ ...await client.configGet(["maxmemory-policy", "save", "appendonly", "maxmemory"]) }, {
            "maxmemory-policy": "allkeys-lru", save: "", appendonly: "no", maxmemory: String(4 * 1024 * 1024),
        });
    });

    it("evicts old keys instead of failing writes when full", async () => {
        const client = await connect(redis!);
        const value = "x".repeat(64 * 1024);
        for (let i = 0; i < 200; i++) await client.set(`cache:big:${i}`, value); // 12.5 MiB into 4 MiB
        assert.equal(await client.get("cache:big:199"), value);
        assert.equal(await client.exists("cache:big:0"), 0);
    });
});

describe("render/redis: with auth (stage 4), for real", function () {
    this.timeout(20_000);
    const password = "default-password";
    const app = { name: "app", password: "app-password", commands: ["+get", "+set", "+del", "+ping"], keys: ["cache:*"] };
    let redis: RedisServer | undefined;

    before(async function () {
        skipUnless(this, NEEDS.redis);
        redis = await startRedis((ctx) => renderRedisConf({ ...ctx, password, users: [app] }));
    });
    afterEach(closeClients);
    after(async () => { await redis?.close(); });

    it("refuses commands without a password", async () => {
        const client = await connect(redis!);
        assert.match(await failure(() => client.ping()), /NOAUTH/);
    });

    it("refuses a wrong password", async () => {
        assert.match(await failure(() => connect(redis!, { password: "wrong" })), /WRONGPASS/);
    });

    it("lets the default user in with its password", async () => {
        const client = await connect(redis!, { password });
        assert.equal(await client.ping(), "PONG");
    });

    it("lets the app user run only its commands on its keys", async () => {
        const client = await connect(redis!, { username: app.name, password: app.password });
        await client.set("cache:x", "1");
        assert.equal(await client.get("cache:x"), "1");
        assert.match(await failure(() => client.set("other:x", "1")), /NOPERM/);
        assert.match(await failure(() => client.flushAll()), /NOPERM/);
        assert.match(await failure(() => client.configGet("*")), /NOPERM/);
    });

    it("switches the default user off when only named users are given", async () => {
        const onlyUsers = await startRedis((ctx) => renderRedisConf({ ...ctx, users: [app] }));
        try {
            const anonymous = await connect(onlyUsers);
            assert.match(await failure(() => anonymous.ping()), /NOAUTH/);
            const user = await connect(onlyUsers, { username: app.name, password: app.password });
            assert.equal(await user.ping(), "PONG");
        } finally {
            await onlyUsers.close();
        }
    });
});

describe("render/redis: stage 4's app and health users, for real", function () {
    this.timeout(20_000);
    const appPassword = "AppPassw0rdOnlyLetters";
    const app = redisAppUser(appPassword);
    const key = (id: number) => REDIS_APP_KEY_PATTERN.replace("*", String(id));
    let redis: RedisServer | undefined;

    before(async function () {
        skipUnless(this, NEEDS.redis);
        redis = await startRedis((ctx) => renderRedisConf({ ...ctx, users: [app, REDIS_HEALTH_USER] }));
    });
    afterEach(closeClients);
    after(async () => { await redis?.close(); });

    it("refuses every command without authentication (NOAUTH)", async () => {
        const client = await connect(redis!);
        assert.match(await failure(() => client.ping()), /NOAUTH/);
        assert.match(await failure(() => client.get(key(1))), /NOAUTH/);
    });

    it("connects a real node-redis v5 client as the app and runs what the app runs", async () => {
        const client = await connect(redis!, { username: app.name, password: appPassword });
        assert.equal(await client.ping(), "PONG");
        await client.set(key(1), "row", { expiration: { type: "EX", value: 60 } });
        assert.equal(await client.get(key(1)), "row");
        // The app's fill-if-unchanged (cache.ts): WATCH, GET, then MULTI/SET/EXEC on its own key.
        await client.watch(key(2));
        assert.equal(await client.get(key(2)), null);
        assert.deepEqual(await client.multi().set(key(2), "filled", { expiration: { type: "EX", value: 60 } }).exec(), ["OK"]);
        assert.equal(await client.get(key(2)), "filled");
        // No scripting at all: EVAL is what the Lua RCEs of Redis 7.4.5 need (CVE-2025-49844).
        assert.match(await failure(() => client.eval("return 1", { keys: [key(2)] })), /NOPERM/);
        // The app never deletes (a write overwrites the key with a marker), so its user may not.
        assert.match(await failure(() => client.del(key(1))), /NOPERM/);
    });

    it("refuses the app anything else: other keys, FLUSHALL, CONFIG, KEYS, a script reaching past its prefix (NOPERM)", async () => {
        const client = await connect(redis!, { username: app.name, password: appPassword });
        assert.match(await failure(() => client.set("session:1", "x")), /NOPERM/);
        assert.match(await failure(() => client.get("lab:other")), /NOPERM/);
        assert.match(await failure(() => client.flushAll()), /NOPERM/);
        assert.match(await failure(() => client.configGet("requirepass")), /NOPERM/);
        assert.match(await failure(() => client.keys("*")), /NOPERM/);
        assert.match(await failure(() => client.sendCommand(["ACL", "LIST"])), /NOPERM/);
        assert.match(await failure(() => client.eval("return redis.call('GET', 'session:1')", { keys: [key(3)] })), /NOPERM|can't access/);
    });

    it("lets the health user in without a secret, to PING and nothing else", async () => {
        const client = await connect(redis!, { username: REDIS_USERS.health, password: "anything" });
        assert.equal(await client.ping(), "PONG");
        assert.match(await failure(() => client.get(key(1))), /NOPERM/);
        assert.match(await failure(() => client.sendCommand(["INFO"])), /NOPERM/);
    });

    it("passes the container health check command (redis-cli as the health user)", async () => {
        const [cli, ...args] = redisHealthCheckCommand(redis!.port);
        const out = await run("health check", requireBinary(cli, "redis-tools"), ["-h", redis!.host, ...args]);
        assert.equal(out.trim(), "PONG");
    });
});
