import * as assert from "node:assert/strict";
import { Client } from "pg";
import { APP_ENV, DATABASE } from "../../app/src/contract";
import { type AppProcess, type LabServers, NEEDS_LAB, call, labEnv, startAppProcess, startLabServers } from "../support/app";
import { skipUnless, waitFor } from "../support/servers";

describe("app: graceful shutdown of the real process", function () {
    let servers: LabServers;
    let child: AppProcess | undefined;

    before(async function () {
        skipUnless(this, NEEDS_LAB);
        servers = await startLabServers({ replica: false, redis: false });
    });
    afterEach(async () => {
        await child?.proc.stop("SIGKILL", 5000, true);
        child = undefined;
    });
    after(async () => {
        await servers?.close();
    });

    it("on SIGTERM finishes the request in flight (201), stops accepting, closes its pools and exits 0", async () => {
        child = await startAppProcess(labEnv(servers, { [APP_ENV.logLevel]: "info" }));
        await child.ready();

        // Hold the table: the app's INSERT waits on the lock, so the request is truly in flight.
        const locker = new Client(servers.primary.clientConfig());
        await locker.connect();
        try {
            await locker.query("BEGIN");
            await locker.query(`LOCK TABLE ${DATABASE.schema}.items IN ACCESS EXCLUSIVE MODE`);
            const inFlight = call(child.url("/api/items"), { method: "POST", json: { name: "in flight at shutdown" } });
            // From another connection: inside the locker's transaction pg_stat_activity is a frozen snapshot.
            await waitFor("the INSERT to wait on the lock", async () => {
                const waiting = await servers.primary.query(
                    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%'",
                );
                return waiting.rows[0].n === 1;
            }, { timeoutMs: 5000, intervalMs: 50 });

            child.proc.child.kill("SIGTERM");
            await waitFor("the shutdown to start", () => child!.logLines().some((l) => /^shutting down/.test(String(l.msg))), {
                timeoutMs: 5000,
                intervalMs: 20,
            });
            assert.ok(child.proc.running, "waits for the request in flight");
            await assert.rejects(
                fetch(child.url("/healthz"), { signal: AbortSignal.timeout(2000) }),
                "a new connection is refused once shutdown has begun",
            );

            await locker.query("COMMIT");
            const reply = await inFlight;
            assert.equal(reply.status, 201, reply.text);
            assert.equal(reply.json.name, "in flight at shutdown");
        } finally {
            await locker.end().catch(() => undefined);
        }

        const code = await Promise.race([child.proc.exited, new Promise((r) => setTimeout(() => r("still running"), 5000).unref())]);
        assert.equal(code, 0, child.proc.output());
        const messages = child.logLines().map((l) => String(l.msg));
        assert.ok(messages.includes("database pools and cache connection closed"), messages.join("\n"));
        assert.equal(messages[messages.length - 1], "shut down cleanly");
        const stored = await servers.primary.query(`SELECT count(*)::int AS n FROM ${DATABASE.schema}.items WHERE name = 'in flight at shutdown'`);
        assert.equal(stored.rows[0].n, 1);
    });

    it("logs every request as one JSON line with its route, status, node and duration", async () => {
        child = await startAppProcess(labEnv(servers, { [APP_ENV.logLevel]: "info" }));
        await child.ready();
        const created = await call(child.url("/api/items"), { method: "POST", json: { name: "logged" } });
        await call(child.url(`/api/items/${created.json.id}`));
        await waitFor("the request lines", () => child!.logLines().filter((l) => l.msg === "request").length >= 2, { timeoutMs: 3000 });
        const lines = child.logLines();
        assert.ok(lines.every((l) => !("unparsed" in l)), "every line is JSON");
        const read = lines.find((l) => l.msg === "request" && l.method === "GET" && l.route === "/api/items/:id");
        assert.ok(read, JSON.stringify(lines));
        assert.equal(read.level, "info");
        assert.equal(read.status, 200);
        assert.equal(read.dbNode, "primary");
        assert.equal(read.cache, "off");
        assert.equal(read.instance, "app-child");
        assert.equal(typeof read.ms, "number");
        assert.ok(!lines.some((l) => l.route === "/healthz" && l.level === "info"), "probes are not logged at info");

        child.proc.child.kill("SIGINT");
        assert.equal(await child.proc.exited, 0, "SIGINT shuts down cleanly too");
    });
});
