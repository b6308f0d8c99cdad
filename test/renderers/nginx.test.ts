import * as assert from "node:assert/strict";
import * as net from "node:net";
import { HEADERS, HTTP_LIMITS } from "../../program/names";
import { renderNginxConf } from "../../renderers/nginx";
import {
    type HttpUpstream, NEEDS, type NginxServer, skipUnless, startHttpUpstream, startNginx, waitFor,
} from "../support/servers";

interface Reply { status: number; headers: Headers; body: string }
async function request(url: string, init?: RequestInit): Promise<Reply> {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: response.status, headers: response.headers, body: await response.text() };
}
const addressOf = (u: HttpUpstream) => `${u.host}:${u.port}`;

describe("render/nginx (pure)", () => {
    const upstreams = [{ name: "app-1", host: "app-1", port: 8080 }];

    it("uses the official image's paths by default", () => {
        const conf = renderNginxConf({ upstreams });
        assert.match(conf, /^pid \/tmp\/nginx\.pid;$/m);
        assert.match(conf, /^user nginx;$/m);
        assert.match(conf, /proxy_temp_path\s+\/var\/cache\/nginx\/proxy_temp;/);
        assert.match(conf, /access_log \/dev\/stdout lab_json;/);
        assert.match(conf, /listen 8080;/);
    });

    it("never uses `resolve` (Debian's nginx 1.22 lacks it) nor daemon (the image passes -g 'daemon off;')", () => {
        const conf = renderNginxConf({ upstreams });
        assert.doesNotMatch(conf, /\bresolve\b|\bdaemon\b/);
    });

    it("bounds retries by the number of upstreams", () => {
        assert.match(renderNginxConf({ upstreams }), /proxy_next_upstream_tries 1;/);
        const five = [1, 2, 3, 4, 5].map((i) => ({ name: `app-${i}`, host: `app-${i}`, port: 8080 }));
        assert.match(renderNginxConf({ upstreams: five }), /proxy_next_upstream_tries 3;/);
    });

    it("refuses values that would break out of a directive", () => {
        assert.throws(() => renderNginxConf({ upstreams: [{ name: "x", host: "a; include /etc/passwd", port: 1 }] }), /upstream host/);
        assert.throws(() => renderNginxConf({ upstreams: [] }), /at least one upstream/);
        assert.throws(() => renderNginxConf({ upstreams, listenPort: 70000 }), /not a TCP port/);
    });
});

describe("render/nginx: the load balancer, for real", function () {
    this.timeout(30_000);
    let app1: HttpUpstream | undefined;
    let app2: HttpUpstream | undefined;
    let lb: NginxServer | undefined;
    const a = () => app1!;
    const b = () => app2!;
    const url = (path?: string) => lb!.url(path);

    before(async function () {
        skipUnless(this, NEEDS.nginx);
        app1 = await startHttpUpstream("app-1");
        app2 = await startHttpUpstream("app-2");
        const upstreams = [a(), b()].map((u) => ({ name: u.name, host: u.host, port: u.port }));
        lb = await startNginx((ctx) => renderNginxConf({
            listenPort: ctx.port, listenAddress: "127.0.0.1", upstreams, paths: ctx.paths, user: ctx.user,
        }));
    });
    after(async () => {
        await lb?.close();
        await app1?.close();
        await app2?.close();
    });

    it("answers /nginx-health itself", async () => {
        const hits = a().hits + b().hits;
        const reply = await request(url("/nginx-health"));
        assert.equal(reply.status, 200);
        assert.equal(reply.body, "ok\n");
        assert.equal(a().hits + b().hits, hits, "no upstream was asked");
    });

    it("spreads requests over both upstreams and names the one that answered", async () => {
        const seen = new Map<string, string>();
        for (let i = 0; i < 10; i++) {
            const reply = await request(url(`/items?i=${i}`));
            assert.equal(reply.status, 200);
            seen.set(reply.body, reply.headers.get(HEADERS.upstream) ?? "");
        }
        assert.deepEqual(Object.fromEntries(seen), { "app-1": addressOf(a()), "app-2": addressOf(b()) });
    });

    it("passes a request id and the forwarding headers to the upstream", async () => {
        await request(url("/forwarded"));
        const headers = [a(), b()].find((u) => u.lastRequest?.url === "/forwarded")!.lastRequest!.headers;
        assert.match(String(headers["x-request-id"]), /^[0-9a-f]{32}$/);
        assert.equal(headers["x-forwarded-for"], "127.0.0.1");
        assert.equal(headers["x-forwarded-proto"], "http");
    });

    it("gives an HTTP/1.0 request without Host a Host toward the upstream (the app requires one)", async () => {
        const { port } = new URL(url("/"));
        // Written, not ended: a half-close could read as the client giving up (499) before nginx proxies.
        const answer = await new Promise<string>((resolve, reject) => {
            let out = "";
            const socket = net.connect(Number(port), "127.0.0.1", () => socket.write("GET /no-host HTTP/1.0\r\n\r\n"));
            socket.setTimeout(5000, () => socket.destroy(new Error("timed out")));
            socket.on("data", (d) => { out += d; }).on("close", () => resolve(out)).on("error", reject);
        });
        assert.match(answer, /^HTTP\/1\.1 200 /, answer);
        const upstream = [a(), b()].find((u) => u.lastRequest?.url === "/no-host");
        assert.equal(upstream?.lastRequest?.headers.host, "localhost");
    });

    it("logs one JSON object per request, with the request id the upstream got and the client got back, and no query", async () => {
        const reply = await request(url("/logged?token=query-secret-7"));
        const upstream = [a(), b()].find((u) => u.lastRequest?.url === "/logged?token=query-secret-7")!;
        const entry = await waitFor("the access log entry", () =>
            lb!.accessLog().map((line) => JSON.parse(line)).find((e) => e.path === "/logged"));
        assert.equal(entry.request_id, upstream.lastRequest!.headers["x-request-id"]);
        assert.match(entry.request_id, /^[0-9a-f]{32}$/);
        assert.equal(reply.headers.get(HEADERS.requestId), entry.request_id);
        assert.doesNotMatch(lb!.accessLog().join("\n"), /query-secret-7/);
        assert.equal(entry.status, 200);
        assert.equal(entry.upstream, addressOf(upstream));
    });

    it("does not tell its version", async () => {
        const reply = await request(url("/nginx-health"));
        assert.equal(reply.headers.get("server"), "nginx");
    });

    it("refuses a body over the app's limit with 413 before any upstream sees it, and passes one at the limit", async () => {
        const hits = a().hits + b().hits;
        const big = await request(url("/items"), { method: "POST", body: "x".repeat(HTTP_LIMITS.bodyBytes + 1) });
        assert.equal(big.status, 413);
        assert.equal(a().hits + b().hits, hits);
        // 16k is over nginx's in-memory body buffer (8k on 64-bit): it goes through client_body_temp_path.
        const small = await request(url("/items"), { method: "POST", body: "x".repeat(HTTP_LIMITS.bodyBytes) });
        assert.equal(small.status, 200);
    });

    it("refuses a request line or a header field over the shared limit itself (414, 400)", async () => {
        const hits = a().hits + b().hits;
        const longUrl = await request(url(`/items?${"q".repeat(HTTP_LIMITS.requestLineBytes)}`));
        assert.equal(longUrl.status, 414);
        const bigField = await request(url("/items"), { headers: { "x-big": "b".repeat(HTTP_LIMITS.headerFieldBytes) } });
        assert.equal(bigField.status, 400);
        assert.equal(a().hits + b().hits, hits);
    });

    it("keeps every request succeeding when an upstream dies", async () => {
        await b().stop();
        try {
            for (let i = 0; i < 50; i++) {
                const reply = await request(url(`/items?n=${i}`));
                assert.equal(reply.status, 200, `request ${i}: ${reply.status}`);
                assert.equal(reply.body, "app-1");
                assert.match(reply.headers.get(HEADERS.upstream) ?? "", new RegExp(`${addressOf(a())}$`));
            }
        } finally {
            await b().restart();
        }
    });

    it("names the upstreams it tried on a 502 too (`always`)", async () => {
        await a().stop();
        await b().stop();
        try {
            const reply = await request(url("/items"));
            assert.equal(reply.status, 502);
            assert.ok(reply.headers.get(HEADERS.upstream), "X-Upstream on the error response");
            assert.equal((await request(url("/nginx-health"))).status, 200, "nginx itself is still healthy");
        } finally {
            await a().restart();
            await b().restart();
        }
    });
});
