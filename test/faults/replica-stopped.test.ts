import * as assert from "node:assert/strict";
import { HEADERS } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless, waitFor } from "../support/servers";
import { seedItems } from "./seed";

const h = (name: string) => name.toLowerCase();

describe("faults (stage 3): the replica stopped mid-load", function () {
    this.timeout(120_000);
    let plane: DataPlane;
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        // No cache: every read goes to the database, so every read shows where it was served.
        plane = await startDataPlane({ stage: 3, apps: 2, cache: false });
    });
    after(async () => plane?.close());

    it("falls back to the primary, says so (X-Db-Fallback, /readyz degraded), and answers no 5xx", async () => {
        const items = await seedItems(plane, 20);
        let stopping: Promise<void> | undefined;
        let stoppedSince = Infinity;
        const load = await boundedLoad(plane, {
            requests: 800, concurrency: 6, deadlineMs: 20_000,
            make: (i) => ({ path: `/api/items/${items[i % items.length].id}` }),
            onReply: (_r, i) => {
                if (stopping === undefined && i >= 100) stopping = plane.replica.stop().then(() => { stoppedSince = Date.now(); });
            },
        });
        await stopping;
        const wrong = load.replies.filter((r) => r.status !== 200 || r.json?.name !== items[r.i % items.length].name);
        const after = load.replies.filter((r) => r.startedAt > stoppedSince);
        const fallbacks = load.replies.filter((r) => r.headers[h(HEADERS.dbFallback)] === "replica-unavailable").length;
        const ready = await plane.request("/readyz");
        figures("replica stopped", {
            sent: load.sent, failed: load.failed, "not 200 or wrong item": wrong.length, "sent after the stop": after.length,
            "served by the primary after": after.filter((r) => r.headers[h(HEADERS.dbNode)] === "primary").length,
            "X-Db-Fallback replica-unavailable": fallbacks, readyz: `${ready.status} ${ready.json?.status}`, ms: load.ms,
        });
        assert.equal(load.failed, 0);
        assert.deepEqual(wrong.map((r) => [r.status, r.error, r.text.slice(0, 200)]), []);
        assert.ok(after.length >= 100, `only ${after.length} reads were sent after the replica stopped`);
        assert.ok(after.every((r) => r.headers[h(HEADERS.dbNode)] === "primary"), "after the stop every read comes from the primary");
        assert.ok(after.every((r) => r.headers[h(HEADERS.dbFallback)] === "replica-unavailable"), "and says why");
        assert.equal(ready.status, 200);
        assert.equal(ready.json.status, "degraded");
        assert.equal(ready.json.replica.status, "down");
    });

    it("goes back to the replica when it returns", async () => {
        await plane.replica.restart();
        await waitFor("reads from the replica again", async () =>
            (await plane.request("/api/items?limit=1")).headers[h(HEADERS.dbNode)] === "replica", { timeoutMs: 20_000, intervalMs: 200 });
        await waitFor("/readyz ready", async () => (await plane.request("/readyz")).json?.status === "ready", { timeoutMs: 20_000, intervalMs: 200 });
    });
});
