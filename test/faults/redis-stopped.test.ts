import * as assert from "node:assert/strict";
import { HEADERS } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless, waitFor } from "../support/servers";
import { type SeededItem, seedItems } from "./seed";

const h = (name: string) => name.toLowerCase();

describe("faults (stage 3): Redis stopped mid-load, then back", function () {
    this.timeout(120_000);
    let plane: DataPlane;
    let items: SeededItem[];
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        plane = await startDataPlane({ stage: 3, apps: 2 });
        items = await seedItems(plane, 20);
        for (const item of items) await plane.request(`/api/items/${item.id}`); // fill the cache
    });
    after(async () => plane?.close());

    it("answers every read correctly from the database while Redis is down", async () => {
        let stopping: Promise<void> | undefined;
        let stoppedSince = Infinity;
        const load = await boundedLoad(plane, {
            requests: 800, concurrency: 6, deadlineMs: 20_000,
            make: (i) => ({ path: `/api/items/${items[i % items.length].id}` }),
            onReply: (_r, i) => {
                if (stopping === undefined && i >= 100) stopping = plane.redis!.stop().then(() => { stoppedSince = Date.now(); });
            },
        });
        await stopping;
        const wrong = load.replies.filter((r) => r.status !== 200 || r.json?.name !== items[r.i % items.length].name);
        const after = load.replies.filter((r) => r.startedAt > stoppedSince);
        const hitsBefore = load.replies.filter((r) => r.i < 100 && r.headers[h(HEADERS.cache)] === "hit").length;
        figures("Redis stopped", {
            sent: load.sent, failed: load.failed, "not 200 or wrong item": wrong.length, "cache hits before": hitsBefore,
            "sent after the stop": after.length, "X-Cache off after": after.filter((r) => r.headers[h(HEADERS.cache)] === "off").length, ms: load.ms,
        });
        assert.equal(load.failed, 0);
        assert.deepEqual(wrong.map((r) => [r.status, r.error, r.text.slice(0, 200)]), []);
        assert.ok(hitsBefore > 50, "reads were served from the cache before the stop");
        assert.ok(after.length >= 100, `only ${after.length} reads were sent after Redis stopped`);
        assert.ok(after.every((r) => r.headers[h(HEADERS.cache)] === "off"), "after the stop no read claims the cache");
        const ready = await plane.request("/readyz");
        assert.equal(ready.status, 200);
        assert.equal(ready.json.cache.status, "down");
    });

    it("writes still work, and caching resumes by itself when Redis returns", async () => {
        const item = items[0];
        const put = await plane.request(`/api/items/${item.id}`, { method: "PUT", json: { name: "renamed while Redis was down" } });
        assert.equal(put.status, 200, put.text);
        await plane.redis!.restart();
        // A copy cached before the outage may outlive it until its TTL (app/README.md): read another item.
        const other = items[1];
        await waitFor("a cache hit through Nginx", async () => (await plane.request(`/api/items/${other.id}`)).headers[h(HEADERS.cache)] === "hit",
            { timeoutMs: 15_000, intervalMs: 100 });
        const hit = await plane.request(`/api/items/${other.id}`);
        assert.equal(hit.json.name, other.name);
        figures("Redis back", { "X-Cache": String(hit.headers[h(HEADERS.cache)]) });
    });
});
