import * as assert from "node:assert/strict";
import * as http from "node:http";
import { HEADERS } from "../../program/names";
import { NGINX_READ_ONLY_ROOT_PATHS, renderNginxConf } from "../../renderers/nginx";
import { startTlsEdge } from "../support/edge";
import { type HttpUpstream, NEEDS, type NginxServer, freePort, skipUnless, startHttpUpstream } from "../support/servers";
import { type HttpsReply, TLS_NEEDS, tlsHandshake } from "../support/tls";

const upstreams = [{ name: "app-1", host: "app-1", port: 8080 }];
const tls = { certificatePath: "/etc/nginx/tls/lab.crt", keyPath: "/etc/nginx/tls/lab.key", redirectPort: 8443 };

/** Every value of a header as sent (a repeated header is two entries). */
function values(reply: HttpsReply, name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < reply.rawHeaders.length; i += 2) {
        if (reply.rawHeaders[i].toLowerCase() === name.toLowerCase()) out.push(reply.rawHeaders[i + 1]);
    }
    return out;
}

/** The edge's headers, each exactly once with the edge's value. */
function assertEdgeHeaders(reply: HttpsReply, what: string): void {
    const expected: Record<string, string> = {
        "strict-transport-security": "max-age=31536000; includeSubDomains",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=()",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-resource-policy": "same-origin",
        "x-permitted-cross-domain-policies": "none",
        "cache-control": "no-store",
    };
    for (const [name, value] of Object.entries(expected)) assert.deepEqual(values(reply, name), [value], `${name} on ${what}`);
}

describe("render/nginx stage 4 (pure)", () => {
    it("offers TLS 1.2 and 1.3 only, lets the client pick among strong ciphers, and keeps no session tickets", () => {
        const conf = renderNginxConf({ upstreams, tls });
        assert.match(conf, /^\s+listen 8443 ssl;$/m);
        assert.match(conf, /^\s+ssl_protocols TLSv1\.2 TLSv1\.3;$/m);
        assert.match(conf, /^\s+ssl_prefer_server_ciphers off;$/m);
        assert.match(conf, /^\s+ssl_session_tickets off;$/m);
        assert.doesNotMatch(conf, /ssl_ciphers [^;]*(CBC|RC4|3DES|SHA;|:SHA:)/);
    });

    it("redirects to the host port the learner uses, and leaves 443 out of the URL", () => {
        assert.match(renderNginxConf({ upstreams, tls: { ...tls, redirectPort: 9443 } }), /return 301 https:\/\/localhost:9443\$request_uri;/);
        assert.match(renderNginxConf({ upstreams, tls: { ...tls, redirectPort: 443 } }), /return 301 https:\/\/localhost\$request_uri;/);
        assert.match(renderNginxConf({ upstreams, tls: { ...tls, redirectPort: 443, serverNames: ["lab.example"] } }), /return 301 https:\/\/lab\.example\$request_uri;/);
    });

    it("repeats the security headers in the proxying location (a level with its own add_header inherits none)", () => {
        const conf = renderNginxConf({ upstreams, tls });
        // The default server (unknown Host), the TLS server, its proxying location.
        assert.equal(conf.match(/add_header Strict-Transport-Security/g)?.length, 3);
        const location = conf.slice(conf.lastIndexOf("location / {"));
        assert.match(location, /add_header X-Upstream[^\n]*\n(.*\n)*\s+add_header Content-Security-Policy \$lab_csp always;/);
    });

    it("limits requests per client address with 429, and connections when asked", () => {
        const conf = renderNginxConf({ upstreams, rateLimit: { requestsPerSecond: 5, burst: 10, connectionsPerClient: 20 } });
        assert.match(conf, /limit_req_zone \$binary_remote_addr zone=per_client:10m rate=5r\/s;/);
        assert.match(conf, /limit_req zone=per_client burst=10 nodelay;/);
        assert.match(conf, /limit_req_status 429;/);
        assert.match(conf, /limit_conn per_client_conn 20;/);
        assert.match(conf, /limit_conn_status 429;/);
        assert.doesNotMatch(renderNginxConf({ upstreams, rateLimit: { requestsPerSecond: 5, burst: 10 } }), /limit_conn/);
    });

    it("can write everything it writes under /tmp, without a user directive (read-only root fs, uid 101)", () => {
        const conf = renderNginxConf({ upstreams, tls, user: null, paths: NGINX_READ_ONLY_ROOT_PATHS });
        assert.doesNotMatch(conf, /^user /m);
        const written = [...conf.matchAll(/^\s*(?:pid|\w+_temp_path)\s+(\S+);$/gm)].map((m) => m[1]);
        assert.equal(written.length, 6);
        for (const file of written) assert.match(file, /^\/tmp\//, file);
    });

    it("leaves stage 3's configuration without TLS, security headers or limits", () => {
        const conf = renderNginxConf({ upstreams });
        assert.doesNotMatch(conf, /ssl|Strict-Transport|limit_req|limit_conn|return 301/);
        assert.match(conf, /^# devsecops-journey: stage-3 L7 load balancer/);
    });

    it("refuses options that would not do what they say", () => {
        assert.throws(() => renderNginxConf({ upstreams, listenPort: 8443, tls }), /must differ/);
        assert.throws(() => renderNginxConf({ upstreams, tls: { ...tls, keyPath: "/k; ssl off" } }), /tls\.keyPath/);
        assert.throws(() => renderNginxConf({ upstreams, tls: { ...tls, redirectPort: 0 } }), /redirectPort/);
        assert.throws(() => renderNginxConf({ upstreams, tls: { ...tls, serverNames: [] } }), /tls\.serverNames must name/);
        assert.throws(() => renderNginxConf({ upstreams, clientTimeoutSeconds: 0 }), /clientTimeoutSeconds 0 must be a whole number/);
        assert.match(renderNginxConf({ upstreams }), /^\s+client_body_timeout 10s;$/m);
        assert.throws(() => renderNginxConf({ upstreams, tls: { ...tls, serverNames: ["a@evil.example"] } }), /tls\.serverNames "a@evil\.example"/);
        assert.throws(() => renderNginxConf({ upstreams, rateLimit: { requestsPerSecond: 0.5, burst: 1 } }), /whole number/);
        assert.throws(() => renderNginxConf({ upstreams, rateLimit: { requestsPerSecond: 1, burst: -1 } }), /burst/);
    });
});


describe("render/nginx stage 4: TLS in front of two upstreams, for real", function () {
    this.timeout(30_000);
    let app1: HttpUpstream | undefined;
    let app2: HttpUpstream | undefined;
    let edge: Awaited<ReturnType<typeof startTlsEdge>> | undefined;
    let lb: NginxServer | undefined;
    const e = () => edge!;

    before(async function () {
        skipUnless(this, [...NEEDS.nginx, ...TLS_NEEDS]);
        app1 = await startHttpUpstream("app-1");
        app2 = await startHttpUpstream("app-2");
        edge = await startTlsEdge([app1, app2].map((u) => ({ name: u.name, host: u.host, port: u.port })));
        lb = edge.server;
    });
    after(async () => {
        await lb?.close();
        await app1?.close();
        await app2?.close();
    });

    it("serves HTTPS with the certificate, spreading over both upstreams and naming the one that answered", async () => {
        const seen = new Map<string, string>();
        for (let i = 0; i < 10; i++) {
            const reply = await e().https(`/items?i=${i}`);
            assert.equal(reply.status, 200);
            seen.set(reply.body, String(reply.headers[HEADERS.upstream.toLowerCase()]));
        }
        assert.deepEqual(Object.fromEntries(seen), { "app-1": `${app1!.host}:${app1!.port}`, "app-2": `${app2!.host}:${app2!.port}` });
    });

    it("tells the app the request came over HTTPS", async () => {
        await e().https("/proto");
        const request = [app1!, app2!].find((u) => u.lastRequest?.url === "/proto")!.lastRequest!;
        assert.equal(request.headers["x-forwarded-proto"], "https");
    });

    it("accepts TLS 1.2 and TLS 1.3", async () => {
        for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
            const result = await tlsHandshake({ host: "127.0.0.1", port: e().tlsPort, ca: e().cert.certPem, minVersion: version, maxVersion: version });
            assert.deepEqual(result, { ok: true, protocol: version });
        }
    });

    it("refuses TLS 1.1 and 1.0 with a protocol_version alert from the server", async () => {
        for (const version of ["TLSv1.1", "TLSv1"] as const) {
            // SECLEVEL=0 so that our own OpenSSL 3 offers the old version: the refusal must be nginx's.
            const result = await tlsHandshake({
                host: "127.0.0.1", port: e().tlsPort, ca: e().cert.certPem, minVersion: version, maxVersion: version, ciphers: "DEFAULT@SECLEVEL=0",
            });
            assert.equal(result.ok, false, version);
            assert.match(result.ok ? "" : result.code, /ALERT_PROTOCOL_VERSION/, version);
        }
    });

    it("answers plain HTTP with a 301 to HTTPS on the canonical host and the learner's port, path and query kept", async () => {
        const before = app1!.hits + app2!.hits;
        for (const method of ["GET", "POST"]) {
            const reply = await fetch(lb!.url("/items?id=7"), { method, redirect: "manual", signal: AbortSignal.timeout(5000) });
            assert.equal(reply.status, 301, method);
            assert.equal(reply.headers.get("location"), `https://localhost:${e().redirectPort}/items?id=7`);
        }
        assert.equal(app1!.hits + app2!.hits, before, "no upstream saw a plain-HTTP request");
    });

    it("still answers the container health check on plain HTTP", async () => {
        const reply = await fetch(lb!.url("/nginx-health"), { redirect: "manual", signal: AbortSignal.timeout(5000) });
        assert.equal(reply.status, 200);
        assert.equal(await reply.text(), "ok\n");
    });

    it("sends the security headers on a proxied 200, on its own health answer and on a 413", async () => {
        const proxied = await e().https("/items");
        assert.equal(proxied.status, 200);
        assertEdgeHeaders(proxied, "a proxied 200");
        assertEdgeHeaders(await e().https("/nginx-health"), "/nginx-health");
        const tooBig = await e().https("/items", { method: "POST", body: "x".repeat(65 * 1024) });
        assert.equal(tooBig.status, 413);
        assertEdgeHeaders(tooBig, "a 413");
    });

    it("sends them on a 502 too, with X-Upstream, when every upstream is down", async () => {
        await app1!.stop();
        await app2!.stop();
        try {
            const reply = await e().https("/items");
            assert.equal(reply.status, 502);
            assertEdgeHeaders(reply, "a 502");
            assert.ok(reply.headers[HEADERS.upstream.toLowerCase()], "X-Upstream on the 502");
        } finally {
            await app1!.restart();
            await app2!.restart();
        }
    });
});

/** An app-like upstream: 404 on /missing, its own CSP and frame policy on /own-headers, slow on /slow. */
async function startAppLike(): Promise<{ host: string; port: number; close(): Promise<void> }> {
    const port = await freePort();
    const server = http.createServer((req, res) => {
        req.resume();
        if (req.url === "/missing") {
            res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
        } else if (req.url === "/own-headers") {
            res.writeHead(200, { "content-security-policy": "default-src 'none'", "x-frame-options": "SAMEORIGIN" }).end("page");
        } else {
            setTimeout(() => res.writeHead(200).end("ok"), req.url === "/slow" ? 500 : 0);
        }
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
        host: "127.0.0.1", port,
        close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    };
}

describe("render/nginx stage 4: rate limit and the app's own headers, for real", function () {
    this.timeout(30_000);
    let app: Awaited<ReturnType<typeof startAppLike>> | undefined;
    let edge: Awaited<ReturnType<typeof startTlsEdge>> | undefined;
    const e = () => edge!;

    before(async function () {
        skipUnless(this, [...NEEDS.nginx, ...TLS_NEEDS]);
        app = await startAppLike();
        edge = await startTlsEdge([{ name: "app-1", host: app.host, port: app.port }], {
            rateLimit: { requestsPerSecond: 2, burst: 3, connectionsPerClient: 2 },
        });
    });
    after(async () => {
        await edge?.server.close();
        await app?.close();
    });

    // Each test is another client (source address): the limits are per client.

    it("adds its headers to the app's 404", async () => {
        const reply = await e().https("/missing", { localAddress: "127.0.0.2" });
        assert.equal(reply.status, 404);
        assertEdgeHeaders(reply, "a proxied 404");
    });

    it("keeps the app's own CSP and frame policy instead of adding a second one (browsers enforce both)", async () => {
        const reply = await e().https("/own-headers", { localAddress: "127.0.0.3" });
        assert.deepEqual(values(reply, "content-security-policy"), ["default-src 'none'"]);
        assert.deepEqual(values(reply, "x-frame-options"), ["SAMEORIGIN"]);
        assert.deepEqual(values(reply, "x-content-type-options"), ["nosniff"]);
        assert.equal(values(reply, "strict-transport-security").length, 1);
    });

    it("answers 429 past rate + burst, with the security headers, and serves the client again later", async () => {
        const client = { localAddress: "127.0.0.4" };
        const statuses: number[] = [];
        let limited: HttpsReply | undefined;
        for (let i = 0; i < 10; i++) {
            const reply = await e().https(`/items?i=${i}`, client);
            statuses.push(reply.status);
            if (reply.status === 429) limited ??= reply;
        }
        const ok = statuses.filter((s) => s === 200).length;
        // 1 + burst 3 at once; the 2 r/s refill may add one more while the loop runs.
        assert.ok(ok >= 4 && ok <= 5, `served ${ok}: ${statuses.join(" ")}`);
        assert.deepEqual(new Set(statuses), new Set([200, 429]));
        assertEdgeHeaders(limited!, "a 429");
        assert.equal(JSON.parse(limited!.body).error, "too_many_requests", "in the app's {error, message} shape");
        assert.equal((await e().https("/nginx-health", client)).status, 200, "the health check is not limited");
        await new Promise((r) => setTimeout(r, 600));
        assert.equal((await e().https("/items", client)).status, 200, "a rate, not a ban");
        assert.equal((await e().https("/items", { localAddress: "127.0.0.5" })).status, 200, "other clients are served");
    });

    it("answers 429 past the simultaneous connections allowed per client", async () => {
        const replies = await Promise.all([1, 2, 3].map(() => e().https("/slow", { localAddress: "127.0.0.6" })));
        assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 429]);
    });
});
