import * as assert from "node:assert/strict";
import * as net from "node:net";
import { APP_ENV, HEADERS } from "../../app/src/contract";
import { loadConfig } from "../../app/src/config";
import {
    type Reply, type RunningApp, call, redisPid, startApp, untilOnReplica, useLabApp,
} from "../support/app";
import { waitFor } from "../support/servers";

/** Calls and measures; every fault below must be answered quickly, never by a hang. */
async function timed(url: string, init?: Parameters<typeof call>[1]): Promise<Reply & { ms: number }> {
    const start = Date.now();
    const reply = await call(url, init);
    return { ...reply, ms: Date.now() - start };
}

describe("app: dependency faults, with real servers stopped and restarted", function () {
    const lab = useLabApp();
    const url = (path: string) => lab.app.url(path);
    const create = async (name: string) => {
        const reply = await call(url("/api/items"), { method: "POST", json: { name } });
        assert.equal(reply.status, 201, reply.text);
        return reply.json.id as number;
    };


    // The three faults run in this order: the last one (the primary) is not undone.
    describe("Redis down, then back", () => {
        it("keeps serving reads and writes from the database while Redis is down (X-Cache off)", async () => {
            const id = await create("cached before the outage");
            await untilOnReplica(lab.servers.replica!, id);
            await call(url(`/api/items/${id}`));
            assert.equal((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "hit");

            await lab.servers.redis!.stop();
            const read = await waitFor("a read without the cache", async () => {
                const reply = await timed(url(`/api/items/${id}`));
                assert.equal(reply.status, 200, "a read never fails because of the cache");
                return reply.headers.get(HEADERS.cache) === "off" ? reply : undefined;
            }, { timeoutMs: 5000 });
            assert.equal(read.headers.get(HEADERS.dbNode), "replica");
            assert.ok(read.ms < 1000, `read took ${read.ms} ms`);

            const post = await timed(url("/api/items"), { method: "POST", json: { name: "written without the cache" } });
            assert.equal(post.status, 201);
            assert.ok(post.ms < 1000, `write took ${post.ms} ms`);
            assert.equal((await call(url(`/api/items/${id}`), { method: "PUT", json: { name: "updated" } })).status, 200);
            assert.equal((await call(url(`/api/items/${post.json.id}`), { method: "DELETE" })).status, 204);
        });

        it("reports the cache down as degraded, still ready (200)", async () => {
            const reply = await call(url("/readyz"));
            assert.equal(reply.status, 200);
            assert.equal(reply.json.status, "degraded");
            assert.equal(reply.json.cache.status, "down");
        });

        it("resumes caching by itself when Redis is back", async () => {
            await lab.servers.redis!.restart();
            const id = await create("after the outage");
            await untilOnReplica(lab.servers.replica!, id);
            await waitFor("caching to resume", async () => (await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache) !== "off", {
                timeoutMs: 8000,
                intervalMs: 200,
            });
            assert.equal((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "hit");
            assert.equal((await call(url("/readyz"))).json.cache.status, "up");
        });
    });

    describe("Redis frozen (SIGSTOP): it accepts but never answers", () => {
        it("costs one read the reply timeout, then skips the cache; resumes once Redis answers again", async () => {
            const id = await create("cached before the freeze");
            await untilOnReplica(lab.servers.replica!, id);
            await call(url(`/api/items/${id}`));
            assert.equal((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "hit");

            const pid = redisPid(lab.servers.redis!.port);
            process.kill(pid, "SIGSTOP");
            try {
                const first = await timed(url(`/api/items/${id}`));
                assert.equal(first.status, 200);
                assert.equal(first.headers.get(HEADERS.cache), "off");
                assert.ok(first.ms < 1500, `the first read took ${first.ms} ms`);
                const next = await timed(url(`/api/items/${id}`));
                assert.equal(next.headers.get(HEADERS.cache), "off");
                assert.ok(next.ms < 300, `a read during the cool-down took ${next.ms} ms`);
                const post = await timed(url("/api/items"), { method: "POST", json: { name: "written while Redis is frozen" } });
                assert.equal(post.status, 201);
                assert.ok(post.ms < 300, `a write took ${post.ms} ms`);
                const ready = await timed(url("/readyz"));
                assert.equal(ready.json.cache.status, "down");
                assert.ok(ready.ms < 1500, `readyz took ${ready.ms} ms`);
            } finally {
                process.kill(pid, "SIGCONT");
            }
            // The readiness probe ends the cool-down as soon as Redis answers.
            await waitFor("the cache to answer again", async () => (await call(url("/readyz"))).json.cache.status === "up", { timeoutMs: 5000 });
            assert.notEqual((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "off");
        });
    });

    describe("replica down, then back", () => {
        let id: number;

        it("serves reads from the primary, with X-Db-Node primary and the reason", async () => {
            id = await create("read while the replica is down");
            await untilOnReplica(lab.servers.replica!, id);
            await lab.servers.replica!.stop();
            const read = await timed(url(`/api/items/${id}`));
            assert.equal(read.status, 200);
            assert.equal(read.json.name, "read while the replica is down");
            assert.equal(read.headers.get(HEADERS.dbNode), "primary");
            assert.equal(read.headers.get(HEADERS.dbFallback), "replica-unavailable");
            assert.ok(read.ms < 2000, `read took ${read.ms} ms`);
            const list = await call(url("/api/items?limit=1"));
            assert.equal(list.status, 200);
            assert.equal(list.headers.get(HEADERS.dbNode), "primary");
        });

        it("reports the replica down as degraded, still ready (200), with the lag n/a", async () => {
            const reply = await call(url("/readyz"));
            assert.equal(reply.status, 200);
            assert.equal(reply.json.status, "degraded");
            assert.deepEqual(reply.json.replica, { status: "down", lagSeconds: null, lagBytes: null });
        });

        it("goes back to the replica when it is back", async () => {
            await lab.servers.replica!.restart();
            await waitFor("reads from the replica again", async () => (await call(url("/api/items?limit=1"))).headers.get(HEADERS.dbNode) === "replica", {
                timeoutMs: 8000,
                intervalMs: 200,
            });
        });
    });

    describe("primary down", () => {
        let id: number;

        before(async () => {
            id = await create("read while the primary is down");
            await untilOnReplica(lab.servers.replica!, id);
            await lab.servers.primary.stop();
        });

        it("/readyz answers 503 and names the primary", async () => {
            const reply = await timed(url("/readyz"));
            assert.equal(reply.status, 503);
            assert.equal(reply.json.status, "unavailable");
            assert.equal(reply.json.primary.status, "down");
            assert.ok(reply.ms < 2000, `readyz took ${reply.ms} ms`);
        });

        it("/healthz still answers 200: the process is alive", async () => {
            assert.equal((await call(url("/healthz"))).status, 200);
        });

        it("refuses writes with 503 quickly, with Retry-After and a plain message", async () => {
            for (const [method, path] of [["POST", "/api/items"], ["PUT", `/api/items/${id}`], ["DELETE", `/api/items/${id}`]]) {
                const reply = await timed(url(path), { method, json: method === "DELETE" ? undefined : { name: "x" } });
                assert.equal(reply.status, 503, `${method} ${path}: ${reply.text}`);
                assert.deepEqual(reply.json, { error: "service_unavailable", message: "the primary database is unavailable; try again shortly" });
                assert.equal(reply.headers.get("retry-after"), "2");
                assert.ok(reply.ms < 2000, `${method} took ${reply.ms} ms`);
            }
        });

        it("still serves reads from the replica", async () => {
            const reply = await call(url(`/api/items/${id}`));
            assert.equal(reply.status, 200);
            assert.equal(reply.headers.get(HEADERS.dbNode), "replica");
            assert.equal((await call(url("/api/items/987654"))).status, 404, "the replica's answer stands for a missing item");
        });
    });
});

describe("app: dependencies that accept connections but never answer", function () {
    const sockets = new Set<net.Socket>();
    let blackHole: net.Server;
    let app: RunningApp;

    before(async () => {
        // Accepts TCP and then says nothing: a frozen host, the case a plain "connection refused" test misses.
        blackHole = net.createServer((socket) => {
            sockets.add(socket);
            socket.on("error", () => undefined);
        });
        await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
        const port = String((blackHole.address() as net.AddressInfo).port);
        const config = loadConfig({
            [APP_ENV.instance]: "app-test",
            [APP_ENV.dbPrimaryHost]: "127.0.0.1",
            [APP_ENV.dbPrimaryPort]: port,
            [APP_ENV.dbName]: "lab",
            [APP_ENV.dbUser]: "lab",
            [APP_ENV.dbPassword]: "unused",
            [APP_ENV.redisHost]: "127.0.0.1",
            [APP_ENV.redisPort]: port,
            [APP_ENV.logLevel]: "silent",
        });
        config.timeouts.dbConnectMs = 1000;
        app = await startApp(config);
    });
    after(async () => {
        await app?.close();
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => blackHole?.close(resolve));
    });

    it("answers a write with 503 after the connect timeout, not a hang", async () => {
        const reply = await timed(app.url("/api/items"), { method: "POST", json: { name: "x" } });
        assert.equal(reply.status, 503);
        assert.ok(reply.ms < 2500, `took ${reply.ms} ms`);
    });

    it("answers a read with 503 and the cache off, not a hang", async () => {
        const reply = await timed(app.url("/api/items/1"));
        assert.equal(reply.status, 503);
        assert.equal(reply.json.message, "the primary database is unavailable; try again shortly");
        assert.ok(reply.ms < 2500, `took ${reply.ms} ms`);
    });

    it("answers /readyz with 503 in bounded time, and /healthz with 200 at once", async () => {
        const ready = await timed(app.url("/readyz"));
        assert.equal(ready.status, 503);
        assert.equal(ready.json.cache.status, "down");
        assert.ok(ready.ms < 2500, `took ${ready.ms} ms`);
        const health = await timed(app.url("/healthz"));
        assert.equal(health.status, 200);
        assert.ok(health.ms < 500, `took ${health.ms} ms`);
    });
});
