import * as assert from "node:assert/strict";
import { renderNginxConf, type NginxConfOptions } from "../../renderers/nginx";
import { KubeProxyStandIn, startKubeProxyStandIn } from "../support/kube-proxy-standin";
import { type HttpUpstream, NEEDS, type NginxServer, skipUnless, startHttpUpstream, startNginx } from "../support/servers";

/**
 * The Kubernetes edge against a stand-in for kube-proxy (test/support/kube-proxy-standin.ts): Nginx
 * reaches each region through one Service address, and kube-proxy balances per connection. The edge
 * must reach every ready pod (and pods added later), and fail over to region 2 only when region 1
 * has no ready pod, as the Kubernetes builder renders it (builders/kubernetes/nginx.ts).
 */
describe("nginx in front of kube-proxy (stand-in): spread and failover, for real", function () {
    this.timeout(60_000);
    const closers: { close(): Promise<void> }[] = [];
    let lb: NginxServer | undefined;
    before(function () { skipUnless(this, NEEDS.nginx); });
    afterEach(async () => {
        await lb?.close();
        lb = undefined;
        for (const c of closers.splice(0)) await c.close();
    });

    async function pods(names: string[]): Promise<HttpUpstream[]> {
        const started = await Promise.all(names.map((n) => startHttpUpstream(n)));
        closers.push(...started);
        return started;
    }
    async function service(backends: HttpUpstream[]): Promise<KubeProxyStandIn> {
        const proxy = await startKubeProxyStandIn(backends.map((b) => ({ host: b.host, port: b.port })));
        closers.push(proxy);
        return proxy;
    }
    async function edge(regions: KubeProxyStandIn[], opts: Partial<NginxConfOptions>) {
        lb = await startNginx((ctx) => renderNginxConf({
            listenAddress: "127.0.0.1", listenPort: ctx.port, user: ctx.user, paths: ctx.paths, ...opts,
            // One line per region, never marked down, as builders/kubernetes/nginx.ts renders them.
            upstreams: regions.map((r, i) => ({ name: `region-${i + 1}`, host: r.host, port: r.port, backup: i > 0, maxFails: 0 })),
        }));
    }
    /** Sequential requests through the edge (a browser's or a load loop's one connection), by who answered. */
    async function send(n: number): Promise<Map<string, number>> {
        const by = new Map<string, number>();
        for (let i = 0; i < n; i++) {
            const r = await fetch(lb!.url("/api/items"), { signal: AbortSignal.timeout(5000) });
            const body = r.status === 200 ? await r.text() : `status ${r.status}`;
            by.set(body, (by.get(body) ?? 0) + 1);
        }
        return by;
    }

    it("with upstream keep-alive (the Docker edge's setting), one connection pins nearly every request to one pod", async () => {
        const region = await service(await pods(["pod-a", "pod-b", "pod-c"]));
        await edge([region], { workerProcesses: 1 });
        const by = await send(60);
        assert.ok(Math.max(...by.values()) >= 50, `kube-proxy chose once per kept-alive connection: ${JSON.stringify([...by])}`);
    });

    it("as the Kubernetes builder renders it (a connection per request), reaches every ready pod, and a pod added later", async () => {
        const backends = await pods(["pod-a", "pod-b", "pod-c"]);
        const region = await service(backends);
        await edge([region], { upstreamKeepalive: false, workerProcesses: 1 });
        const by = await send(90);
        for (const b of backends) assert.ok((by.get(b.name) ?? 0) >= 10, `${b.name} got ${by.get(b.name) ?? 0} of 90: ${JSON.stringify([...by])}`);
        // The autoscaler adds a pod; once ready it is an endpoint, and new connections reach it.
        const [added] = await pods(["pod-d"]);
        region.endpoints.push({ host: added.host, port: added.port });
        const after = await send(60);
        assert.ok((after.get("pod-d") ?? 0) >= 5, `the added pod got ${after.get("pod-d") ?? 0} of 60`);
    });

    it("keeps region 1 serving when one of its pods goes, and answers from region 2 only while region 1 has none", async () => {
        const [a, b] = await pods(["region-1-pod-a", "region-1-pod-b"]);
        const [c] = await pods(["region-2-pod"]);
        const region1 = await service([a, b]);
        const region2 = await service([c]);
        await edge([region1, region2], { upstreamKeepalive: false, workerProcesses: 1 });
        // A pod of region 1 is deleted (the chaos job): it leaves the endpoints; region 1 keeps serving alone.
        region1.endpoints = [{ host: b.host, port: b.port }];
        await a.stop();
        const oneGone = await send(40);
        assert.deepEqual([...oneGone.keys()], ["region-1-pod-b"], `region 2 answered while region 1 had a ready pod: ${JSON.stringify([...oneGone])}`);
        // Region 1 scaled to zero: no endpoint, connections refused; region 2 answers every request.
        region1.endpoints = [];
        const allGone = await send(40);
        assert.deepEqual([...allGone], [["region-2-pod", 40]]);
        // Region 1 back: never marked down (max_fails=0), so it takes the traffic again at once.
        region1.endpoints = [{ host: b.host, port: b.port }];
        const back = await send(20);
        assert.deepEqual([...back], [["region-1-pod-b", 20]]);
    });
});
