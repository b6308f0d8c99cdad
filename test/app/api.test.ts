import * as assert from "node:assert/strict";
import { HEADERS } from "../../app/src/contract";
import { call, untilOnReplica, useLabApp } from "../support/app";
import { type PostgresServer, waitFor } from "../support/servers";

/** Stops the replica applying WAL (it still receives it): a replica that lags, on demand. */
async function pauseReplay(replica: PostgresServer): Promise<void> {
    await replica.query("SELECT pg_wal_replay_pause()");
    await waitFor("replay paused", async () => (await replica.query("SELECT pg_get_wal_replay_pause_state() AS s")).rows[0].s === "paused");
}
async function resumeReplay(replica: PostgresServer): Promise<void> {
    await replica.query("SELECT pg_wal_replay_resume()");
}

describe("app: the JSON API against a real primary, replica and Redis", function () {
    const lab = useLabApp();
    const url = (path: string) => lab.app.url(path);
    const create = async (name: string, note?: string) => {
        const reply = await call(url("/api/items"), { method: "POST", json: note === undefined ? { name } : { name, note } });
        assert.equal(reply.status, 201, reply.text);
        return reply.json as { id: number; name: string; note: string };
    };

    describe("writes and reads", () => {
        it("creates an item on the primary: 201, the row, its Location, X-Db-Node primary", async () => {
            const reply = await call(url("/api/items"), { method: "POST", json: { name: "first", note: "hello" } });
            assert.equal(reply.status, 201);
            assert.deepEqual(Object.keys(reply.json).sort(), ["createdAt", "id", "name", "note", "updatedAt"]);
            assert.equal(reply.json.name, "first");
            assert.equal(reply.json.note, "hello");
            assert.equal(reply.headers.get("location"), `/api/items/${reply.json.id}`);
            assert.equal(reply.headers.get(HEADERS.dbNode), "primary");
            assert.equal(reply.headers.get(HEADERS.instance), "app-test");
        });

        it("defaults the note to empty", async () => {
            assert.equal((await create("no note")).note, "");
        });

        it("reads a written item from the replica once it has replayed it: a miss, then a hit", async () => {
            const { id } = await create("replicated");
            await untilOnReplica(lab.servers.replica!, id);
            const first = await call(url(`/api/items/${id}`));
            assert.equal(first.status, 200);
            assert.equal(first.json.name, "replicated");
            assert.equal(first.headers.get(HEADERS.dbNode), "replica");
            assert.equal(first.headers.get(HEADERS.cache), "miss");
            assert.equal(first.headers.get(HEADERS.dbFallback), null);
            const second = await call(url(`/api/items/${id}`));
            assert.equal(second.headers.get(HEADERS.cache), "hit");
            assert.equal(second.headers.get(HEADERS.dbNode), "replica", "a hit names the node its copy came from");
            assert.deepEqual(second.json, first.json);
        });

        it("reads from the primary, and says so, when the replica does not have the row yet", async () => {
            await pauseReplay(lab.servers.replica!);
            try {
                const { id } = await create("not replayed yet");
                const reply = await call(url(`/api/items/${id}`));
                assert.equal(reply.status, 200);
                assert.equal(reply.json.name, "not replayed yet");
                assert.equal(reply.headers.get(HEADERS.dbNode), "primary");
                assert.equal(reply.headers.get(HEADERS.dbFallback), "not-on-replica");
            } finally {
                await resumeReplay(lab.servers.replica!);
            }
        });

        it("invalidates on PUT, and a lagging replica cannot put the old row back in the cache", async () => {
            const { id } = await create("before", "old note");
            await untilOnReplica(lab.servers.replica!, id);
            await call(url(`/api/items/${id}`)); // miss: cached from the replica
            assert.equal((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "hit");

            await pauseReplay(lab.servers.replica!);
            try {
                const put = await call(url(`/api/items/${id}`), { method: "PUT", json: { name: "after" } });
                assert.equal(put.status, 200);
                assert.equal(put.json.name, "after");
                assert.equal(put.json.note, "", "a PUT replaces the item: an omitted note becomes empty");

                const read = await call(url(`/api/items/${id}`));
                assert.equal(read.headers.get(HEADERS.cache), "miss");
                assert.equal(read.json.name, "after");
                assert.equal(read.headers.get(HEADERS.dbNode), "primary");
                assert.equal(read.headers.get(HEADERS.dbFallback), "replica-behind");
                const again = await call(url(`/api/items/${id}`));
                assert.equal(again.headers.get(HEADERS.cache), "hit");
                assert.equal(again.json.name, "after");
            } finally {
                await resumeReplay(lab.servers.replica!);
            }
        });

        it("invalidates on DELETE: the next read is a 404, even from a replica that still has the row", async () => {
            const { id } = await create("doomed");
            await untilOnReplica(lab.servers.replica!, id);
            await call(url(`/api/items/${id}`));
            assert.equal((await call(url(`/api/items/${id}`))).headers.get(HEADERS.cache), "hit");
            await pauseReplay(lab.servers.replica!);
            try {
                const del = await call(url(`/api/items/${id}`), { method: "DELETE" });
                assert.equal(del.status, 204);
                assert.equal(del.text, "");
                const read = await call(url(`/api/items/${id}`));
                assert.equal(read.status, 404);
                assert.deepEqual(read.json, { error: "not_found", message: `item ${id} does not exist` });
                assert.equal(read.headers.get(HEADERS.cache), "miss");
            } finally {
                await resumeReplay(lab.servers.replica!);
            }
            assert.equal((await call(url(`/api/items/${id}`), { method: "DELETE" })).status, 404);
        });

        it("answers 404 for an item that never existed, and for PUT on it", async () => {
            assert.equal((await call(url("/api/items/999999"))).status, 404);
            const put = await call(url("/api/items/999999"), { method: "PUT", json: { name: "x" } });
            assert.equal(put.status, 404);
            assert.equal(put.json.message, "item 999999 does not exist");
        });

        it("lists items from the replica, newest first, bounded by limit and offset", async () => {
            const a = await create("list a");
            const b = await create("list b");
            await untilOnReplica(lab.servers.replica!, b.id);
            const reply = await call(url("/api/items?limit=2"));
            assert.equal(reply.status, 200);
            assert.equal(reply.headers.get(HEADERS.dbNode), "replica");
            assert.equal(reply.headers.get(HEADERS.cache), "off", "lists are not cached");
            assert.deepEqual(reply.json.items.map((i: { id: number }) => i.id), [b.id, a.id]);
            const next = await call(url("/api/items?limit=1&offset=1"));
            assert.deepEqual(next.json.items.map((i: { id: number }) => i.id), [a.id]);
        });
    });

    describe("bad input: 400 with a message naming the field, never a stack trace", () => {
        const cases: { title: string; method?: string; path?: string; json?: unknown; body?: string; type?: string; status?: number; message: RegExp }[] = [
            { title: "a name of the wrong type", json: { name: 42 }, message: /body field "name" must be a string/ },
            { title: "a note of the wrong type", json: { name: "x", note: ["a"] }, message: /body field "note" must be a string/ },
            { title: "an extra field", json: { name: "x", admin: true }, message: /body field "admin" is not allowed/ },
            { title: "a missing name", json: { note: "x" }, message: /body field "name" is required/ },
            { title: "an empty name", json: { name: "" }, message: /body field "name" must be at least 1 character/ },
            { title: "a name over 100 characters", json: { name: "n".repeat(101) }, message: /body field "name" must be at most 100 characters/ },
            { title: "a note over 1000 characters", json: { name: "x", note: "n".repeat(1001) }, message: /body field "note" must be at most 1000 characters/ },
            { title: "a NUL character", json: { name: "a\u0000b" }, message: /body field "name" contains a character that is not allowed/ },
            { title: "a JSON array body", json: [1, 2], message: /request body must be a JSON object/ },
            { title: "invalid JSON", body: "{\"name\": ", message: /request body is not valid JSON/ },
            { title: "an empty JSON body", body: "", message: /request body is empty/ },
            { title: "a prototype-poisoning body", body: '{"name":"x","__proto__":{"admin":true}}', message: /forbidden __proto__/ },
            { title: "a negative id", method: "GET", path: "/api/items/-1", message: /path field "id" must be >= 1/ },
            { title: "a zero id", method: "GET", path: "/api/items/0", message: /path field "id" must be >= 1/ },
            { title: "a non-numeric id", method: "GET", path: "/api/items/abc", message: /path field "id" must be an integer/ },
            { title: "a fractional id", method: "DELETE", path: "/api/items/1.5", message: /path field "id" must be an integer/ },
            { title: "an unknown query parameter", method: "GET", path: "/api/items/1?debug=1", message: /query field "debug" is not allowed/ },
            { title: "a limit over 100", method: "GET", path: "/api/items?limit=101", message: /query field "limit" must be <= 100/ },
            { title: "a negative offset", method: "GET", path: "/api/items?offset=-5", message: /query field "offset" must be >= 0/ },
            { title: "a bad PUT body", method: "PUT", path: "/api/items/1", json: { name: "x", id: 7 }, message: /body field "id" is not allowed/ },
            { title: "a body over 16 KiB (413)", json: { name: "x", note: "n".repeat(20_000) }, status: 413, message: /larger than 16384 bytes/ },
            { title: "a form-encoded body (415)", body: "name=x", type: "application/x-www-form-urlencoded", status: 415, message: /send application\/json/ },
            { title: "a text body (415)", body: "name", type: "text/plain", status: 415, message: /not supported/ },
        ];
        for (const c of cases) {
            it(`refuses ${c.title}`, async () => {
                const method = c.method ?? "POST";
                const headers = c.body !== undefined || method === "POST" ? { "content-type": c.type ?? "application/json" } : undefined;
                const reply = await call(url(c.path ?? "/api/items"), { method, json: c.json, body: c.body, headers });
                assert.equal(reply.status, c.status ?? 400, reply.text);
                assert.match(reply.json.message, c.message);
                assert.equal(typeof reply.json.error, "string");
                assert.doesNotMatch(reply.text, /\bat .*\(|node_modules|Error:|lab\.items/, "no stack trace or internals");
                assert.equal(reply.headers.get(HEADERS.instance), "app-test");
            });
        }

        it("names the offending field in a field property too", async () => {
            const reply = await call(url("/api/items"), { method: "POST", json: { name: "x", extra: 1 } });
            assert.equal(reply.json.field, "extra");
        });

        it("answers an unknown route with a JSON 404", async () => {
            const reply = await call(url("/nope"));
            assert.equal(reply.status, 404);
            assert.deepEqual(reply.json, { error: "not_found", message: "no route for GET /nope" });
        });
    });

    describe("probes, metrics and headers", () => {
        it("/healthz says alive", async () => {
            const reply = await call(url("/healthz"));
            assert.equal(reply.status, 200);
            assert.deepEqual(reply.json, { status: "ok", instance: "app-test" });
        });

        it("/readyz details the primary, the replica with its lag, and the cache", async () => {
            const reply = await call(url("/readyz"));
            assert.equal(reply.status, 200);
            assert.equal(reply.json.status, "ready");
            assert.equal(reply.json.primary.status, "up");
            assert.equal(reply.json.replica.status, "up");
            assert.equal(typeof reply.json.replica.lagSeconds, "number");
            assert.equal(typeof reply.json.replica.lagBytes, "number");
            assert.equal(reply.json.cache.status, "up");
        });

        it("/metrics counts requests by route and status, cache results, and reads by node", async () => {
            const reply = await call(url("/metrics"));
            assert.equal(reply.status, 200);
            assert.match(reply.headers.get("content-type") ?? "", /^text\/plain/);
            const text = reply.text;
            assert.match(text, /^http_requests_total\{method="POST",route="\/api\/items",status_code="201"\} \d+/m);
            assert.match(text, /^http_requests_total\{method="GET",route="\/api\/items\/:id",status_code="400"\} \d+/m);
            assert.match(text, /^http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/api\/items\/:id",status_code="200"\} \d+/m);
            // Probes and scrapes are operations, not the product: the SLO is read off the product's requests.
            assert.doesNotMatch(text, /^http_request(s_total|_duration_seconds_count)\{[^}]*route="\/(healthz|readyz|metrics)"/m);
            assert.match(text, /^app_cache_lookups_total\{result="hit"\} [1-9]/m);
            assert.match(text, /^app_cache_lookups_total\{result="miss"\} [1-9]/m);
            assert.match(text, /^app_db_reads_total\{node="replica"\} [1-9]/m);
            assert.match(text, /^app_db_reads_total\{node="primary"\} [1-9]/m);
            assert.match(text, /^app_db_read_fallbacks_total\{reason="replica-behind"\} [1-9]/m);
            assert.match(text, /^app_replica_lag_seconds \d/m);
            assert.match(text, /^process_cpu_seconds_total /m);
            assert.match(text, /^nodejs_eventloop_lag_seconds /m);
            assert.match(text, /^app_info\{app_instance="app-test",version="[^"]+"\} 1/m);
        });

        it("labels an unmatched route as one series, not one per URL", async () => {
            await call(url("/random/path/1"));
            const text = (await call(url("/metrics"))).text;
            assert.match(text, /route="\(unmatched\)",status_code="404"/);
            assert.doesNotMatch(text, /random\/path/);
        });

        it("sends the security headers on every response", async () => {
            for (const path of ["/api/items/1", "/nope", "/healthz"]) {
                const reply = await call(url(path));
                assert.equal(reply.headers.get("x-content-type-options"), "nosniff", path);
                assert.equal(reply.headers.get("x-frame-options"), "DENY", path);
                assert.equal(reply.headers.get("cache-control"), "no-store", path);
                assert.match(reply.headers.get("content-security-policy") ?? "", /default-src 'none'/, path);
            }
        });
    });
});
