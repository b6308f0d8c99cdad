import * as assert from "node:assert/strict";
import * as tls from "node:tls";
import { HEADERS } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, type PlaneReply, type RequestInit, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless } from "../support/servers";
import { DATABASE } from "../../program/names";

const ITEMS = `${DATABASE.schema}.items`;
const KIB = 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `raw`: the request as written on the wire (Node's client refuses to send these bytes). */
interface Refused { what: string; path: string; init?: RequestInit & { raw?: string } }

/** A request line and head that nginx passes on but Node's strict parser refuses. */
const raw = (what: string, requestLine: string, header = "") => ({
    what, path: "(raw)", init: { raw: `${requestLine} HTTP/1.1\r\nHost: localhost\r\n${header}Connection: close\r\n\r\n` },
});

/**
 * Every oversized or malformed request class the app refuses, as a client can send it through the
 * edge. None of them is a write the app should accept: the burst below counts rows to prove it.
 */
const REFUSED: Refused[] = [
    { what: "a body just over the app's limit", path: "/api/items", init: { method: "POST", json: { name: "x", note: "n".repeat(20 * KIB) } } },
    { what: "a body between the app's and the old edge limit", path: "/api/items", init: { method: "POST", json: { name: "x", note: "n".repeat(48 * KIB) } } },
    { what: "a body far over every limit", path: "/api/items", init: { method: "POST", json: { name: "x", note: "n".repeat(100 * KIB) } } },
    { what: "a chunked body over the app's limit", path: "/api/items", init: { method: "POST", body: JSON.stringify({ name: "x", note: "n".repeat(20 * KIB) }), headers: { "content-type": "application/json", "transfer-encoding": "chunked" } } },
    { what: "a large text/plain body", path: "/api/items", init: { method: "POST", body: "n".repeat(20 * KIB), headers: { "content-type": "text/plain" } } },
    { what: "a large form body to the page", path: "/", init: { method: "POST", body: `name=x&note=${"n".repeat(20 * KIB)}`, headers: { "content-type": "application/x-www-form-urlencoded" } } },
    { what: "a PUT body over the app's limit", path: "/api/items/1", init: { method: "PUT", json: { name: "x", note: "n".repeat(20 * KIB) } } },
    { what: "invalid JSON", path: "/api/items", init: { method: "POST", body: '{"name": "x",', headers: { "content-type": "application/json" } } },
    { what: "an unknown field", path: "/api/items", init: { method: "POST", json: { name: "x", isAdmin: true } } },
    { what: "one 10 KiB header", path: "/api/items", init: { headers: { "x-big": "b".repeat(10 * KIB) } } },
    { what: "headers over 16 KiB in all", path: "/api/items", init: { headers: Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-h${i}`, "h".repeat(3 * KIB)])) } },
    { what: "a 6 KiB URL", path: `/api/items?${"q".repeat(6 * KIB)}=1` },
    { what: "a 12 KiB URL", path: `/api/items/${"9".repeat(12 * KIB)}` },
    { what: "a path parameter over the app's length", path: `/api/items/${"1".repeat(200)}` },
    { what: "a broken percent-encoding", path: "/api/items/%E0%A4%A" },
    { what: "an id that is not a number", path: "/api/items/1%20OR%201=1" },
    raw("a control character in a header value", "GET /api/items?limit=1", "X-A: a\x01b\r\n"),
    raw("DEL in a header value", "GET /api/items?limit=1", "X-A: a\x7fb\r\n"),
    // Node's parser stops at the first bad byte; the rest of the head may still be unread then.
    raw("a control character early in a 15 KiB head", "GET /api/items?limit=1",
        `X-A: a\x01b\r\n${Array.from({ length: 14 }, (_, i) => `X-Pad-${i}: ${"p".repeat(1000)}\r\n`).join("")}`),
    raw("a raw byte over 0x7f in the query", "GET /api/items?limit=\xff"),
    raw("a raw byte over 0x7f in the path", "GET /api/items/\xe9"),
];

/** One request written as given over TLS from `localAddress`; the answer parsed as far as the tests need. */
function rawRequest(plane: DataPlane, text: string, localAddress: string): Promise<PlaneReply> {
    const { port } = new URL(plane.entry);
    const start = performance.now();
    return new Promise((resolve) => {
        // tls.connect takes net.connect's options too (Node's docs); its types omit localAddress.
        const options = { host: "127.0.0.1", port: Number(port), ca: plane.ca, servername: "localhost", localAddress };
        const socket = tls.connect(options as tls.ConnectionOptions);
        let out = "";
        const done = (error?: string) => {
            const at = out.indexOf("\r\n\r\n");
            const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0);
            const headers = Object.fromEntries(out.slice(0, at < 0 ? out.length : at).split("\r\n").slice(1)
                .map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
            const text = at < 0 ? "" : out.slice(at + 4);
            let json: unknown;
            try { json = JSON.parse(text); } catch { json = undefined; }
            resolve({ status, headers, text, json, ms: performance.now() - start, ...(status ? {} : { error: error ?? "no answer" }) });
        };
        socket.setTimeout(10_000, () => socket.destroy(new Error("timed out")));
        socket.on("secureConnect", () => socket.write(Buffer.from(text, "latin1")));
        socket.on("data", (d) => { out += d.toString("latin1"); });
        socket.on("close", () => done());
        socket.on("error", (e) => done(e.message));
    });
}


const instanceOf = (r: PlaneReply) => String(r.headers[HEADERS.instance.toLowerCase()] ?? "");

describe("faults (stage 4, Vault stand-in): the edge under attack, warm (upstream connections reused)", function () {
    this.timeout(180_000);
    let plane: DataPlane;
    /** The plane's request, or the raw one for a class Node's client cannot send. */
    const send = (path: string, init: Refused["init"] & { localAddress: string }) =>
        init.raw ? rawRequest(plane, init.raw, init.localAddress) : plane.request(path, init);
    const rowCount = async () => Number((await plane.primary.query(`SELECT count(*) AS n FROM ${ITEMS}`)).rows[0].n);
    /** Instances that answer through the edge: round robin over three reads per instance, from a fresh address. */
    const inRotation = async (address: string) => {
        const seen = new Set<string>();
        for (let i = 0; i < plane.apps.length * 3; i++) seen.add(instanceOf(await plane.request("/healthz", { localAddress: address })));
        return [...seen].filter(Boolean).sort();
    };
    /** Access-log lines nginx answered with a 5xx, or where an instance answered one or failed. */
    const edgeFailures = (from: number) => plane.nginx.accessLog().slice(from).map((l) => JSON.parse(l))
        .filter((e) => e.status >= 500 || /\b5\d\d\b/.test(String(e.upstream_status)));

    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        plane = await startDataPlane({ stage: 4, apps: 3 });
        // Warm: every instance has served, so nginx holds idle keep-alive connections to each.
        for (let i = 0; i < 12; i++) assert.equal((await plane.request("/api/items?limit=1", { localAddress: "127.0.3.250" })).status, 200);
    });
    after(async () => plane?.close());

    it("lets no refused request mark an instance down: a second client's reads all succeed, under the rate limit", async () => {
        const names = plane.apps.map((a) => a.name).sort();
        const logFrom = plane.nginx.accessLog().length;
        const victim: PlaneReply[] = [];
        const attacker: { what: string; reply: PlaneReply }[] = [];
        const rounds = 4;
        // Each class from its own address, interleaved with the victim's reads; ~6 requests/s per
        // client, under the edge's limit, so the rate limit answers for nobody.
        for (const [n, c] of REFUSED.entries()) {
            for (let k = 0; k < rounds; k++) {
                attacker.push({ what: c.what, reply: await send(c.path, { ...c.init, localAddress: `127.0.3.${n + 1}` }) });
                victim.push(await plane.request("/api/items?limit=1", { localAddress: "127.0.4.1" }));
                await sleep(150);
            }
        }
        const victim5xx = victim.filter((r) => r.status === 0 || r.status >= 500);
        const attacker5xx = attacker.filter(({ reply }) => reply.status === 0 || reply.status >= 500);
        const failures = edgeFailures(logFrom);
        const rotation = await inRotation("127.0.4.2");
        const byClass = new Map<string, string>();
        for (const { what, reply } of attacker) byClass.set(what, [...new Set([...(byClass.get(what)?.split(",") ?? []), String(reply.status)])].join(","));
        figures("low-rate refused requests on a warm edge", {
            "attacker requests": attacker.length, "attacker 5xx or no answer": attacker5xx.length,
            "victim reads": victim.length, "victim 5xx or no answer": victim5xx.length,
            "victim failure %": Math.round((100 * victim5xx.length) / victim.length),
            "edge log 5xx or failed upstream": failures.length, "instances in rotation": `${rotation.length}/${names.length}`,
        });
        for (const [what, statuses] of byClass) console.log(`        ${statuses} ${what}`);

        assert.deepEqual(victim5xx.map((r) => `${r.status} ${r.error ?? r.text.slice(0, 100)}`), [], "the second client's reads");
        assert.deepEqual(attacker5xx.map(({ what, reply }) => `${what}: ${reply.status} ${reply.error ?? reply.text.slice(0, 100)}`), []);
        assert.ok(attacker.every(({ reply }) => reply.status >= 400 && reply.status < 500), "every class is refused with a 4xx");
        assert.deepEqual(failures, [], "nginx saw no failed upstream attempt");
        assert.deepEqual(rotation, names, "every instance is still in rotation");
    });

    it("never forwards a head the app refuses: every size up to past the edge's limit is answered by the app or refused by the edge", async () => {
        // Heads from 12 KiB to 20 KiB in 512-byte steps, as 2 KiB header fields; the app (Node) used to
        // refuse heads over 16 KiB that the edge had let through.
        const answers: string[] = [];
        for (let size = 12 * KIB; size <= 20 * KIB; size += 512) {
            const fields = Math.ceil(size / (2 * KIB));
            const headers = Object.fromEntries(Array.from({ length: fields }, (_, i) => [`x-pad-${i}`, "p".repeat(Math.floor(size / fields) - 12)]));
            const reply = await plane.request("/api/items?limit=1", { headers, localAddress: "127.0.3.240" });
            const by = instanceOf(reply) ? "app" : "edge";
            answers.push(`${size}: ${reply.status} ${by}`);
            await sleep(120);
        }
        figures("head sizes", { answers: answers.map((a) => a.replace(/: /, "=")).join(" ") });
        const wrong = answers.filter((a) => !/ (200 app|400 edge)$/.test(a));
        assert.deepEqual(wrong, [], "a head is either served by the app or refused by the edge");
        assert.ok(answers.some((a) => a.endsWith("200 app")) && answers.some((a) => a.endsWith("400 edge")), "the sweep crosses the limit");
    });

    it("survives a mixed hostile burst (2,000 requests, 50 at a time, 200 addresses): zero 5xx, zero writes", async () => {
        const names = plane.apps.map((a) => a.name).sort();
        const rowsBefore = await rowCount();
        const logFrom = plane.nginx.accessLog().length;
        const addresses = 200;
        // Every fourth request an ordinary read, the others the refused classes in turn.
        const load = await boundedLoad({ request: (p, init) => send(p, { localAddress: "127.0.0.1", ...init }) }, {
            requests: 2000, concurrency: 50, deadlineMs: 90_000, timeoutMs: 15_000,
            make: (i) => {
                const localAddress = `127.0.${10 + Math.floor((i % addresses) / 100)}.${(i % 100) + 1}`;
                if (i % 4 === 0) return { path: "/api/items?limit=1", localAddress };
                const c = REFUSED[Math.floor(i / 4 + i) % REFUSED.length];
                return { path: c.path, ...c.init, localAddress };
            },
        });
        const rowsAfter = await rowCount();
        const fivexx = load.replies.filter((r) => r.status === 0 || r.status >= 500);
        const reads = load.replies.filter((r) => r.path === "/api/items?limit=1");
        const written = load.replies.filter((r) => r.status >= 200 && r.status < 300 && r.method !== "GET");
        const failures = edgeFailures(logFrom);
        const rotation = await inRotation("127.0.4.3");
        const statuses = new Map<number, number>();
        for (const r of load.replies) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        figures("mixed hostile burst", {
            sent: load.sent, "5xx or no answer": fivexx.length, "reads ok": `${reads.filter((r) => r.status === 200).length}/${reads.length}`,
            "rows added": rowsAfter - rowsBefore, "edge log 5xx or failed upstream": failures.length,
            "instances in rotation": `${rotation.length}/${names.length}`, ms: load.ms,
            statuses: [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}x${n}`).join(" "),
        });
        assert.equal(load.sent, 2000, "every request was sent before the deadline");
        assert.deepEqual(fivexx.slice(0, 10).map((r) => `${r.method} ${r.path.slice(0, 40)}: ${r.status} ${r.error ?? r.text.slice(0, 100)}`), []);
        assert.equal(fivexx.length, 0);
        assert.deepEqual(written.map((r) => `${r.method} ${r.path.slice(0, 40)}: ${r.status}`), [], "no refused request was accepted");
        assert.equal(rowsAfter - rowsBefore, 0, "no row was written");
        assert.deepEqual(failures.slice(0, 5), [], "nginx saw no failed upstream attempt");
        assert.deepEqual(rotation, names, "every instance is still in rotation");
    });
});
