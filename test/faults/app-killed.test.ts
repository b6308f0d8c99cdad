import * as assert from "node:assert/strict";
import { HEADERS } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless, waitFor } from "../support/servers";
import { seedItems } from "./seed";

// Stage 3's promise: kill an instance under load and no request fails. The load is reads: Nginx
// retries a read on the next instance, never a POST already sent (it may have been written).
describe("faults (stage 3): an app instance SIGKILLed mid-load", function () {
    this.timeout(120_000);
    let plane: DataPlane;
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        plane = await startDataPlane({ stage: 3, apps: 3 });
    });
    after(async () => plane?.close());

    it("fails no client request through Nginx, and the others serve what it would have", async () => {
        const items = await seedItems(plane, 20);
        const victim = plane.apps[1];
        let killedAt = -1;
        let deadSince = Infinity;
        let killing: Promise<void> | undefined;
        const load = await boundedLoad(plane, {
            requests: 1500, concurrency: 8, deadlineMs: 20_000,
            make: (i) => ({ path: i % 5 === 4 ? "/api/items?limit=5" : `/api/items/${items[i % items.length].id}` }),
            onReply: (_reply, i) => {
                if (killing === undefined && i >= 150) {
                    killedAt = i;
                    killing = plane.killApp(1, "SIGKILL").then(() => { deadSince = Date.now(); });
                }
            },
        });
        await killing;
        const byVictimBefore = load.replies.filter((r) => r.i < killedAt && r.headers[HEADERS.instance.toLowerCase()] === victim.name).length;
        const afterKill = load.replies.filter((r) => r.startedAt > deadSince);
        const byVictimAfter = afterKill.filter((r) => r.headers[HEADERS.instance.toLowerCase()] === victim.name).length;
        const retried = load.replies.filter((r) => String(r.headers[HEADERS.upstream.toLowerCase()] ?? "").includes(",")).length;
        figures("app instance killed", {
            sent: load.sent, failed: load.failed, "served by the victim before": byVictimBefore,
            "sent after it died": afterKill.length, "served by it after": byVictimAfter, "retried on another instance": retried, ms: load.ms,
        });
        assert.equal(victim.running, false, "the instance was killed");
        assert.ok(load.sent >= 300, `only ${load.sent} requests were sent`);
        assert.ok(afterKill.length >= 100, `only ${afterKill.length} requests were sent after the kill`);
        assert.equal(load.failed, 0, `failed: ${JSON.stringify(load.replies.filter((r) => r.status !== 200).slice(0, 3).map((r) => [r.status, r.error, r.text.slice(0, 200)]))}`);
        assert.ok(load.replies.every((r) => r.status === 200));
        assert.ok(byVictimBefore > 0, "the victim served its share before it was killed");
        assert.equal(byVictimAfter, 0, "nothing is served by a dead instance");
    });

    it("takes the instance back when it returns", async () => {
        await plane.restartApp(1);
        // Nginx keeps a failed instance out for fail_timeout (5 s), then tries it again.
        const seen = new Set<string>();
        await waitFor("every instance to answer through Nginx", async () => {
            seen.add(String((await plane.request("/healthz")).headers[HEADERS.instance.toLowerCase()]));
            return seen.size === plane.apps.length;
        }, { timeoutMs: 15_000, intervalMs: 50 });
        assert.deepEqual([...seen].sort(), plane.apps.map((a) => a.name).sort());
    });
});
