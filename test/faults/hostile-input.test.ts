import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tls from "node:tls";
import { APP_DB_USER } from "../../renderers/postgres";
import { EDGE_RATE_LIMIT } from "../../builders/shared";
import { DATABASE, VAULT } from "../../program/names";
import { DATA_PLANE_NEEDS, type DataPlane, type PlaneReply, type RequestInit, boundedLoad, figures, startDataPlane } from "../support/dataplane";
import { skipUnless, tcpOpen } from "../support/servers";

const ITEMS = `${DATABASE.schema}.items`;
const SQL_INJECTION = "x'); DROP TABLE lab.items; --";
const HEADER_INJECTION = "a\r\nSet-Cookie: pwned=1\r\nX-Injected: yes";

interface Case { what: string; path: string; init?: RequestInit; expect: number[] }

/**
 * Bad and hostile requests and the answers they must get. Two are valid on purpose (an injection
 * string is just a name): they are written verbatim, and are the only rows the test may add.
 */
const CASES: Case[] = [
    { what: "body far over every limit", path: "/api/items", init: { method: "POST", json: { name: "x", note: "n".repeat(100 * 1024) } }, expect: [413] },
    { what: "body over the shared 16 KiB", path: "/api/items", init: { method: "POST", json: { name: "x", note: "n".repeat(20 * 1024) } }, expect: [413] },
    { what: "invalid JSON", path: "/api/items", init: { method: "POST", body: '{"name": "x",', headers: { "content-type": "application/json" } }, expect: [400] },
    { what: "JSON that is not an object", path: "/api/items", init: { method: "POST", json: ["name", "x"] }, expect: [400] },
    { what: "name a number", path: "/api/items", init: { method: "POST", json: { name: 42 } }, expect: [400] },
    { what: "name null", path: "/api/items", init: { method: "POST", json: { name: null } }, expect: [400] },
    { what: "name an object", path: "/api/items", init: { method: "POST", json: { name: { $gt: "" } } }, expect: [400] },
    { what: "name missing", path: "/api/items", init: { method: "POST", json: {} }, expect: [400] },
    { what: "name too long", path: "/api/items", init: { method: "POST", json: { name: "n".repeat(101) } }, expect: [400] },
    { what: "an unknown field", path: "/api/items", init: { method: "POST", json: { name: "x", isAdmin: true } }, expect: [400] },
    { what: "not JSON (text/plain)", path: "/api/items", init: { method: "POST", body: "name=x", headers: { "content-type": "text/plain" } }, expect: [415] },
    { what: "PUT with a wrong type", path: "/api/items/1", init: { method: "PUT", json: { name: "x", note: 7 } }, expect: [400] },
    { what: "SQL injection in the id", path: "/api/items/1%20OR%201=1", expect: [400] },
    { what: "SQL injection in the id (DELETE)", path: "/api/items/1;DROP%20TABLE%20lab.items", init: { method: "DELETE" }, expect: [400] },
    { what: "SQL injection in limit", path: "/api/items?limit=1%20OR%201=1", expect: [400] },
    { what: "SQL injection in offset", path: "/api/items?offset=0;DELETE%20FROM%20lab.items", expect: [400] },
    { what: "an unknown query parameter", path: "/api/items?where=1=1", expect: [400] },
    { what: "CRLF in the path", path: "/api/items/1%0d%0aSet-Cookie:%20pwned=1", expect: [400] },
    { what: "an unknown route", path: "/api/admin", expect: [404] },
    { what: "a 10 KiB header", path: "/api/items", init: { headers: { "x-big": "b".repeat(10 * 1024) } }, expect: [400, 431, 494] },
    { what: "SQL injection as a name (valid: stored verbatim)", path: "/api/items", init: { method: "POST", json: { name: SQL_INJECTION } }, expect: [201] },
    { what: "header injection as a name (valid: stored verbatim)", path: "/api/items", init: { method: "POST", json: { name: HEADER_INJECTION } }, expect: [201] },
];

/** A request written byte by byte over TLS (Node's client refuses to send a CR inside a header). */
function rawRequest(plane: DataPlane, text: string): Promise<string> {
    const { port } = new URL(plane.entry);
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: Number(port), ca: plane.ca, servername: "localhost" });
        let out = "";
        socket.setTimeout(5000, () => socket.destroy(new Error("raw request timed out")));
        socket.on("secureConnect", () => socket.write(text));
        socket.on("data", (d) => { out += d.toString("utf8"); });
        socket.on("end", () => resolve(out));
        socket.on("close", () => resolve(out));
        socket.on("error", reject);
    });
}

/** A person can act on it: the app's JSON message, or Nginx's own page naming the status. */
function clearMessage(reply: PlaneReply): boolean {
    if (typeof reply.json?.message === "string" && reply.json.message.length > 0) return true;
    return new RegExp(`<title>${reply.status} [^<]+</title>`).test(reply.text) || (reply.status === 400 && /<title>400 /.test(reply.text));
}

describe("faults (stage 4, Vault stand-in): bad and hostile input through the TLS edge", function () {
    this.timeout(120_000);
    let plane: DataPlane;
    const rowCount = async () => Number((await plane.primary.query(`SELECT count(*) AS n FROM ${ITEMS}`)).rows[0].n);
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        plane = await startDataPlane({ stage: 4, apps: 2 });
    });
    after(async () => plane?.close());

    it("is assembled as stage 4 renders it: HTTPS only, the app logs in as the DML-only role", async () => {
        const plain = await fetch(`${plane.httpEntry}/api/items`, { redirect: "manual" });
        assert.equal(plain.status, 301);
        assert.match(plain.headers.get("location") ?? "", /^https:\/\//);
        const reply = await plane.request("/api/items?limit=1", { localAddress: "127.0.1.250" });
        assert.equal(reply.status, 200);
        assert.match(String(reply.headers["strict-transport-security"]), /max-age=/);
        const write = await plane.request("/api/items", { method: "POST", json: { name: "stage 4" }, localAddress: "127.0.1.250" });
        assert.equal(write.status, 201);
        // Who the apps are logged in as, on both nodes (the owner itself asks over the socket: no client_addr).
        const sql = "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND client_addr IS NOT NULL AND backend_type = 'client backend'";
        const roles = new Set<string>();
        for (const node of [plane.primary, plane.replica]) for (const r of (await node.query<{ usename: string }>(sql, [DATABASE.name])).rows) roles.add(r.usename);
        assert.deepEqual([...roles], [APP_DB_USER]);
    });

    it("runs the app tier as the stage does: on loopback only, credentials from Vault, none in the environment", async () => {
        for (const app of plane.apps) {
            assert.equal(await tcpOpen("127.0.0.1", app.port), true, `${app.name} on 127.0.0.1`);
            // 127.0.0.0/8 is all loopback: a listener on every interface would accept here too.
            assert.equal(await tcpOpen("127.0.0.2", app.port), false, `${app.name} must not listen beyond 127.0.0.1`);
            const env = Object.fromEntries(fs.readFileSync(`/proc/${app.proc.child.pid}/environ`, "utf8").split("\0").filter(Boolean)
                .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
            const secrets = Object.entries(env).filter(([k, v]) => /PASSWORD|SECRET|TOKEN/.test(k) && !k.endsWith("_FILE") && v !== "");
            assert.deepEqual(secrets.map(([k]) => k), [], `${app.name}'s environment`);
            assert.equal(fs.statSync(env[VAULT.env.tokenFile]).mode & 0o777, 0o600, "the token file is the owner's only");
        }
    });

    it("answers every bad request with a 4xx and a clear message, writes only the valid ones, stays up", async () => {
        const before = await rowCount();
        const results: { c: Case; reply: PlaneReply }[] = [];
        // Each case from its own loopback address: the rate limit (tested below) must not answer for the app.
        for (const [n, c] of CASES.entries()) {
            results.push({ c, reply: await plane.request(c.path, { ...c.init, localAddress: `127.0.1.${n + 1}` }) });
        }
        const bareCr = await rawRequest(plane, "GET /api/items HTTP/1.1\r\nHost: localhost\r\nX-Evil: a\rSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n");
        const smuggle = await rawRequest(plane,
            "POST /api/items HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n0\r\n\r\n");

        const unexpected = results.filter(({ c, reply }) => !c.expect.includes(reply.status));
        const unclear = results.filter(({ reply }) => reply.status >= 400 && !clearMessage(reply));
        const cookies = results.filter(({ reply }) => reply.headers["set-cookie"] !== undefined || reply.headers["x-injected"] !== undefined);
        const written = results.filter(({ reply }) => reply.status === 201);
        const after = await rowCount();
        const stored = await plane.primary.query<{ name: string }>(`SELECT name FROM ${ITEMS} WHERE id = ANY($1::bigint[])`,
            [written.map(({ reply }) => reply.json.id)]);
        const up = await Promise.all(plane.apps.map(async (a) => (await fetch(a.url("/healthz"))).status));
        const fivexx = plane.nginx.accessLog().filter((line) => JSON.parse(line).status >= 500);
        figures("hostile input", {
            sent: results.length + 2, "4xx": results.filter(({ reply }) => reply.status >= 400 && reply.status < 500).length,
            "5xx or no answer": results.filter(({ reply }) => reply.status >= 500 || reply.status === 0).length + fivexx.length,
            "written (valid on purpose)": written.length, "rows added": after - before, "apps up": up.filter((s) => s === 200).length,
        });
        for (const { c, reply } of results) console.log(`        ${reply.status} ${c.what}: ${(reply.json?.message ?? reply.text.match(/<title>([^<]*)/)?.[1] ?? "").slice(0, 90)}`);

        assert.deepEqual(unexpected.map(({ c, reply }) => `${c.what}: ${reply.status} ${reply.error ?? reply.text.slice(0, 120)}`), []);
        assert.deepEqual(unclear.map(({ c, reply }) => `${c.what}: ${reply.text.slice(0, 120)}`), []);
        assert.deepEqual(cookies.map(({ c }) => c.what), [], "no injected header comes back");
        assert.match(bareCr, /^HTTP\/1\.1 400 /, "a bare CR in a header is refused by Nginx");
        assert.doesNotMatch(bareCr, /set-cookie/i);
        assert.match(smuggle, /^HTTP\/1\.1 4\d\d /, "Content-Length with Transfer-Encoding is refused, or the body is refused");
        assert.equal(after - before, written.length, "only the valid requests wrote a row");
        assert.deepEqual(stored.rows.map((r) => r.name).sort(), [HEADER_INJECTION, SQL_INJECTION].sort(), "stored verbatim");
        assert.deepEqual(up, plane.apps.map(() => 200), "every instance is still up");
        assert.ok(plane.apps.every((a) => a.running));
        assert.deepEqual(fivexx, []);
    });

    it("answers a burst past the rate limit with 429, and nothing else fails", async () => {
        const requests = 80;
        const load = await boundedLoad(plane, {
            requests, concurrency: 10, deadlineMs: 10_000,
            make: () => ({ path: "/api/items?limit=1", localAddress: "127.0.2.1" }),
        });
        const ok = load.replies.filter((r) => r.status === 200).length;
        const limited = load.replies.filter((r) => r.status === 429).length;
        const allowed = EDGE_RATE_LIMIT.burst + 1 + Math.ceil((EDGE_RATE_LIMIT.requestsPerSecond * load.ms) / 1000);
        const other = load.replies.filter((r) => r.status !== 200 && r.status !== 429);
        figures("rate limit burst", { sent: load.sent, "200": ok, "429": limited, other: other.length, "allowed at most": allowed, ms: load.ms });
        assert.deepEqual(other.map((r) => [r.status, r.error]), []);
        assert.ok(limited > 0, "the burst met the limit");
        assert.ok(ok <= allowed, `${ok} requests got through, more than the limit allows (${allowed})`);
        // Another client is not limited by this one.
        assert.equal((await plane.request("/api/items?limit=1", { localAddress: "127.0.2.2" })).status, 200);
    });
});
