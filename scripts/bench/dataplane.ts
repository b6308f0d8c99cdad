/**
 * The data plane under load: read throughput and latency through Nginx for stage 2's data path
 * (no cache, replica reads) against stage 3's (cache-aside), with autocannon; and the time from
 * killing an app instance to the first request that would have gone to it being served elsewhere.
 * Both use the fault tests' assembly (test/support/dataplane.ts), on loopback.
 */
import { HEADERS } from "../../program/names";
import { type DataPlane, startDataPlane } from "../../test/support/dataplane";
import { waitFor } from "../../test/support/servers";
import { median } from "./program";

interface AutocannonResult {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; average: number };
    non2xx: number;
    errors: number;
    timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require("autocannon") as Autocannon;

export interface ThroughputRow {
    shape: string;
    rps: number;
    p50: number;
    p99: number;
    total: number;
    non2xx: number;
    errors: number;
}

export const LOAD = { connections: 8, seconds: 10, warmupSeconds: 2, items: 50, apps: 3 } as const;

async function seed(plane: DataPlane, count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
        const reply = await plane.request("/api/items", { method: "POST", json: { name: `bench-${i}`, note: "x".repeat(200) } });
        if (reply.status !== 201) throw new Error(`seeding failed: ${reply.status} ${reply.text}`);
        ids.push(reply.json.id);
    }
    const last = ids[ids.length - 1];
    await waitFor("the seed on the replica", async () =>
        (await plane.replica.query("SELECT 1 FROM lab.items WHERE id = $1", [last])).rowCount === 1, { timeoutMs: 10_000 });
    return ids;
}

async function readLoad(plane: DataPlane, ids: number[], seconds: number): Promise<AutocannonResult> {
    let k = 0;
    return autocannon({
        url: plane.entry, connections: LOAD.connections, duration: seconds,
        requests: [{ method: "GET", setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/api/items/${ids[k++ % ids.length]}` }) }],
    });
}

async function throughput(shape: string, cache: boolean): Promise<ThroughputRow> {
    const plane = await startDataPlane({ stage: 3, apps: LOAD.apps, cache });
    try {
        const ids = await seed(plane, LOAD.items);
        await readLoad(plane, ids, LOAD.warmupSeconds); // JIT, pools, cache fill
        const r = await readLoad(plane, ids, LOAD.seconds);
        return { shape, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts };
    } finally {
        await plane.close();
    }
}

export async function benchThroughput(): Promise<ThroughputRow[]> {
    return [
        await throughput("stage 2's data path: replica reads, no cache", false),
        await throughput("stage 3's data path: cache-aside (Redis), then replica", true),
    ];
}

export interface RerouteResult { samplesMs: number[]; medianMs: number; maxMs: number; requestsFailed: number }

/**
 * Requests one at a time through Nginx; SIGKILL one instance; the first request Nginx sends to it
 * afterwards is refused and retried on the next instance (X-Upstream lists both): time from the
 * kill to that request's answer. Repeated on each instance in turn.
 */
export async function benchReroute(): Promise<RerouteResult> {
    const plane = await startDataPlane({ stage: 3, apps: 3 });
    const samplesMs: number[] = [];
    let requestsFailed = 0;
    try {
        for (let victim = 0; victim < plane.apps.length; victim++) {
            // Every instance back in Nginx's rotation (fail_timeout is 5 s) before the next kill.
            const seen = new Set<string>();
            await waitFor("all instances in rotation", async () => {
                seen.add(String((await plane.request("/healthz")).headers[HEADERS.instance.toLowerCase()]));
                return seen.size === plane.apps.length;
            }, { timeoutMs: 20_000, intervalMs: 50 });
            const victimAddress = `127.0.0.1:${plane.apps[victim].port}`;
            const killedAt = performance.now();
            const killing = plane.killApp(victim, "SIGKILL");
            let measured: number | undefined;
            for (let i = 0; i < 200 && measured === undefined; i++) {
                const reply = await plane.request("/healthz");
                if (reply.status !== 200) requestsFailed++;
                const upstream = String(reply.headers[HEADERS.upstream.toLowerCase()] ?? "");
                if (upstream.includes(victimAddress) && upstream.includes(",")) measured = performance.now() - killedAt;
            }
            await killing;
            if (measured !== undefined) samplesMs.push(measured);
            await plane.restartApp(victim);
        }
    } finally {
        await plane.close();
    }
    return { samplesMs, medianMs: median(samplesMs), maxMs: Math.max(...samplesMs), requestsFailed };
}
