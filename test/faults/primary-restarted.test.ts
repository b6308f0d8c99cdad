import * as assert from "node:assert/strict";
import { DATABASE } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless, waitFor } from "../support/servers";

/** A write must be answered, one way or the other, well before a client would give up. */
const WRITE_BOUND_MS = 8000;
const OUTAGE_MS = 1500;

describe("faults (stage 3): the primary restarted under a write load", function () {
    this.timeout(120_000);
    let plane: DataPlane;
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        plane = await startDataPlane({ stage: 3, apps: 2 });
    });
    after(async () => plane?.close());

    it("keeps every acknowledged write, and refuses writes during the outage with 503 (no 500, no hang)", async () => {
        let restarting: Promise<void> | undefined;
        let window = { from: Infinity, to: Infinity };
        const load = await boundedLoad(plane, {
            requests: 3000, concurrency: 4, paceMs: 5, deadlineMs: 25_000, timeoutMs: WRITE_BOUND_MS + 2000,
            // Up to a second of writes after the primary is back.
            stopWhen: () => Date.now() > window.to + 1000,
            make: (i) => ({ path: "/api/items", method: "POST", json: { name: `write-${i}` } }),
            onReply: (_r, i) => {
                if (restarting === undefined && i >= 150) {
                    window = { from: Date.now(), to: Infinity };
                    // Down for a while (a fast restart is over in ~0.2 s): stop, wait, start on the same data.
                    restarting = plane.primary.stop()
                        .then(() => new Promise((r) => setTimeout(r, OUTAGE_MS)))
                        .then(() => plane.primary.restart())
                        .then(() => { window.to = Date.now(); });
                }
            },
        });
        await restarting;
        const acked = load.replies.filter((r) => r.status === 201);
        const refused = load.replies.filter((r) => r.status === 503);
        const other = load.replies.filter((r) => r.status !== 201 && r.status !== 503);
        const slow = load.replies.filter((r) => r.ms > WRITE_BOUND_MS);
        const ackedIds = acked.map((r) => Number(r.json.id));
        const stored = await plane.primary.query<{ id: string; name: string }>(
            `SELECT id, name FROM ${DATABASE.schema}.items WHERE id = ANY($1::bigint[])`, [ackedIds]);
        const storedNames = new Map(stored.rows.map((row) => [Number(row.id), row.name]));
        const lost = acked.filter((r) => storedNames.get(Number(r.json.id)) !== `write-${r.i}`);
        figures("primary restarted", {
            sent: load.sent, "writes acknowledged": acked.length, "refused with 503": refused.length, "other answers": other.length,
            lost: lost.length, "slowest ms": Math.round(Math.max(...load.replies.map((r) => r.ms))),
            "outage ms": Math.round(window.to - window.from),
            "503 with Retry-After": refused.filter((r) => r.headers["retry-after"] !== undefined).length,
        });
        assert.deepEqual(other.map((r) => [r.status, r.error, r.text.slice(0, 200)]).slice(0, 5), [], "every write is 201 or 503");
        assert.deepEqual(slow.map((r) => r.ms), [], "no write hangs");
        assert.equal(lost.length, 0, "every acknowledged write is on the primary after the restart");
        assert.ok(refused.length > 0, "some writes met the outage");
        assert.ok(refused.every((r) => typeof r.json?.message === "string" && r.json.message.length > 0), "a 503 says why");
        assert.ok(acked.some((r) => r.startedAt > window.to), "writes succeed again after the restart");
    });

    it("serves the writes from before the outage through Nginx afterwards", async () => {
        const reply = await waitFor("a write after the restart", async () => {
            const r = await plane.request("/api/items", { method: "POST", json: { name: "after the restart" } });
            return r.status === 201 ? r : undefined;
        }, { timeoutMs: 15_000 });
        const read = await plane.request(`/api/items/${reply.json.id}`);
        assert.equal(read.status, 200);
        assert.equal(read.json.name, "after the restart");
    });
});
