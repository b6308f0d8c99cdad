import * as assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { HTTP_LIMITS } from "../../program/names";
import { startTlsEdge } from "../support/edge";
import { type HttpUpstream, NEEDS, skipUnless, startHttpUpstream } from "../support/servers";
import { TLS_NEEDS, tlsHandshake } from "../support/tls";

/** Status and headers of a raw HTTP/1.x answer, and its JSON body if it has one. */
function parse(text: string): { status: number; head: string; json: any } {
    const at = text.indexOf("\r\n\r\n");
    const head = at < 0 ? text : text.slice(0, at);
    let json: unknown;
    try { json = JSON.parse(text.slice(at + 4)); } catch { json = undefined; }
    return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, json };
}

/** A plain-HTTP request written as given. */
function rawHttp(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1");
        let out = "";
        socket.setTimeout(5000, () => socket.destroy(new Error("raw request timed out")));
        socket.on("connect", () => socket.write(text));
        socket.on("data", (d) => { out += d.toString("latin1"); });
        socket.on("close", () => resolve(out));
        socket.on("error", reject);
    });
}

describe("render/nginx stage 4: what the edge refuses itself, for real", function () {
    this.timeout(60_000);
    let app: HttpUpstream | undefined;
    let edge: Awaited<ReturnType<typeof startTlsEdge>> | undefined;
    const e = () => edge!;
    const get = (path: string, host: string, extra = "") => e().raw(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);

    before(async function () {
        skipUnless(this, [...NEEDS.nginx, ...TLS_NEEDS]);
        app = await startHttpUpstream("app-1");
        edge = await startTlsEdge([{ name: app.name, host: app.host, port: app.port }], {
            rateLimit: { requestsPerSecond: 100, burst: 100, connectionsPerClient: 5 },
            // The default is 10 s; 2 s keeps the slow-client test short and still tells "closed by
            // the edge" from "closed by the client's own 25 s give-up".
            clientTimeoutSeconds: 2,
        });
    });
    after(async () => {
        await edge?.server.close();
        await app?.close();
    });

    it("serves only its own names: any other Host gets 421, over HTTPS and plain HTTP, and never reaches the app", async () => {
        const hits = app!.hits;
        for (const host of ["evil.example", "a@evil.example", "localhost.evil.example"]) {
            const tlsReply = parse(await get("/items", host));
            assert.equal(tlsReply.status, 421, `${host} over HTTPS: ${tlsReply.head}`);
            assert.equal(tlsReply.json?.error, "misdirected_request");
            const plain = parse(await rawHttp(e().server.port, `GET /items HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
            assert.equal(plain.status, 421, `${host} over HTTP: ${plain.head}`);
            assert.doesNotMatch(plain.head, /evil/i, "the made-up name is not echoed");
        }
        assert.equal(app!.hits, hits);
        for (const host of [`localhost:${e().tlsPort}`, `127.0.0.1:${e().tlsPort}`]) assert.equal(parse(await get("/items", host)).status, 200, host);
    });

    it("still answers the health check by address (probes do not send the edge's name)", async () => {
        const reply = parse(await rawHttp(e().server.port, "GET /nginx-health HTTP/1.1\r\nHost: 10.244.0.7:8080\r\nConnection: close\r\n\r\n"));
        assert.equal(reply.status, 200);
    });

    it("asks a request without Host (HTTP/1.0) to name it, in the app's shape", async () => {
        const hits = app!.hits;
        const reply = parse(await e().raw("GET /items HTTP/1.0\r\n\r\n"));
        assert.equal(reply.status, 400, reply.head);
        assert.equal(reply.json?.error, "bad_request");
        assert.match(reply.json?.message, /Host/);
        assert.equal(app!.hits, hits);
        assert.equal(parse(await e().raw("GET /items HTTP/1.0\r\nHost: localhost\r\n\r\n")).status, 200, "with a Host it is served");
    });

    it("answers its own errors in the app's shape, with Cross-Origin-Resource-Policy and Cache-Control: no-store", async () => {
        const hits = app!.hits;
        const cases: [string, Promise<string>, number, string][] = [
            ["a bare CR in a header", e().raw("GET /items HTTP/1.1\r\nHost: localhost\r\nX-Evil: a\rb\r\nConnection: close\r\n\r\n"), 400, "bad_request"],
            ["a header field over the limit", get("/items", "localhost", `X-Big: ${"b".repeat(HTTP_LIMITS.headerFieldBytes)}\r\n`), 400, "bad_request"],
            ["a body over the limit", e().raw(`POST /items HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${HTTP_LIMITS.bodyBytes + 1}\r\nConnection: close\r\n\r\n`), 413, "payload_too_large"],
            ["a request line over the limit", get(`/items?${"q".repeat(HTTP_LIMITS.requestLineBytes)}`, "localhost"), 414, "uri_too_long"],
            ["an unknown transfer encoding", e().raw("POST /items HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"), 501, "not_implemented"],
        ];
        for (const [what, pending, status, error] of cases) {
            const reply = parse(await pending);
            assert.equal(reply.status, status, `${what}: ${reply.head}`);
            assert.equal(reply.json?.error, error, what);
            assert.equal(typeof reply.json?.message, "string", what);
            assert.match(reply.head, /^cross-origin-resource-policy: same-origin$/im, what);
            assert.match(reply.head, /^cache-control: no-store$/im, what);
        }
        assert.equal(app!.hits, hits, "none of them reached the app");
    });

    it("answers 502 in the app's shape when no instance is up", async () => {
        await app!.stop();
        try {
            const reply = parse(await get("/items", "localhost"));
            assert.equal(reply.status, 502);
            assert.deepEqual(Object.keys(reply.json ?? {}).sort(), ["error", "message"]);
            assert.match(reply.head, /^cache-control: no-store$/im);
        } finally {
            await app!.restart();
        }
    });

    it("does not serve the app's /readyz or /metrics (versions, heap, dependency states) to the world", async () => {
        const hits = app!.hits;
        for (const path of ["/readyz", "/metrics", "/metrics?x=1", "/%6detrics", "//readyz", "/readyz/"]) {
            const reply = parse(await get(path, "localhost"));
            assert.equal(reply.status, 404, `${path}: ${reply.head}`);
            assert.equal(reply.json?.error, "not_found", path);
        }
        assert.equal(app!.hits, hits);
        assert.equal(parse(await get("/healthz", "localhost")).status, 200, "the liveness answer stays public");
    });

    it("offers only the key exchange groups of Mozilla's intermediate profile (X25519, P-256, P-384)", async () => {
        const at = { host: "127.0.0.1", port: e().tlsPort, ca: e().cert.certPem };
        for (const group of ["X25519", "prime256v1", "secp384r1"]) assert.equal((await tlsHandshake({ ...at, ecdhCurve: group })).ok, true, group);
        const p521 = await tlsHandshake({ ...at, ecdhCurve: "secp521r1" });
        assert.equal(p521.ok, false, "P-521 alone is refused");
    });

    it("caps one client's simultaneous requests and closes slow ones after the body and header timeouts", async () => {
        // 12 uploads from one address that never finish their body, 4 heads that never finish.
        const cap = 5;
        const open = (i: number, text: string) => new Promise<{ i: number; answer: string }>((resolve) => {
            // tls.connect takes net.connect's options too (Node's docs); its types omit localAddress.
            const options = { host: "127.0.0.1", port: e().tlsPort, ca: e().cert.certPem, servername: "localhost", localAddress: "127.0.0.9" };
            const socket = tls.connect(options as tls.ConnectionOptions);
            let answer = "";
            socket.setTimeout(25_000, () => socket.destroy());
            socket.on("secureConnect", () => socket.write(text));
            socket.on("data", (d) => { answer += d.toString("latin1"); });
            socket.on("close", () => resolve({ i, answer }));
            socket.on("error", () => undefined);
        });
        const slowBody = "POST /items HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"name\":";
        const slowHead = "GET /items HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
        const started = Date.now();
        const bodies = Array.from({ length: 12 }, (_, i) => open(i, slowBody));
        const heads = Array.from({ length: 4 }, (_, i) => open(100 + i, slowHead));
        const done = await Promise.all([...bodies, ...heads]);
        const statuses = done.map(({ answer }) => parse(answer).status);
        // nginx closes a timed-out connection without an answer (ngx_http_request_body.c: c->error).
        const limited = statuses.filter((s) => s === 429).length;
        const silentBodies = done.filter(({ i, answer }) => i < 100 && answer === "").length;
        const silentHeads = done.filter(({ i, answer }) => i >= 100 && answer === "").length;
        console.log(`      [figures] slow clients: 429=${limited}, bodies closed silently=${silentBodies}, heads closed silently=${silentHeads}, all closed after ${Date.now() - started} ms`);
        assert.equal(limited, 12 - cap, `past ${cap} at once, refused: ${statuses.join(" ")}`);
        assert.equal(silentBodies, cap, "the others were closed by the body timeout");
        assert.equal(silentHeads, 4, "slow heads were closed by the header timeout");
        assert.ok(Date.now() - started < 25_000, "every slow connection was closed by the edge, not by the client's 25 s give-up");
    });
});
