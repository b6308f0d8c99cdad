import * as assert from "node:assert/strict";
import * as net from "node:net";
import { HTTP_LIMITS } from "../../app/src/contract";
import { useLabApp } from "../support/app";

/** One request written as given (Node's client will not send most of these), the raw answer back. */
function raw(url: string, text: string): Promise<{ status: number; headers: string; body: any }> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
        const socket = net.connect(Number(port), "127.0.0.1");
        let out = "";
        socket.setTimeout(5000, () => socket.destroy(new Error("raw request timed out")));
        socket.on("connect", () => socket.write(text));
        socket.on("data", (d) => { out += d.toString("latin1"); });
        socket.on("error", reject);
        socket.on("close", () => {
            const [head, ...rest] = out.split("\r\n\r\n");
            let body: unknown;
            try { body = JSON.parse(rest.join("\r\n\r\n")); } catch { body = undefined; }
            resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
        });
    });
}

describe("app: errors fastify and Node answer before any route, in the app's shape", function () {
    const lab = useLabApp();
    const url = () => lab.app.url("/");
    const shaped = (reply: { body: any }) => typeof reply.body?.error === "string" && typeof reply.body?.message === "string"
        && Object.keys(reply.body).every((k) => ["error", "message", "field"].includes(k));

    const cases: { what: string; request: string; status: number; message: RegExp }[] = [
        { what: "a broken percent-encoding (FST_ERR_BAD_URL)", request: "GET /api/items/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n", status: 400, message: /percent-encoding/ },
        { what: "a path segment over maxParamLength (FST_ERR_MAX_PARAM_LENGTH)", request: `GET /api/items/${"1".repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414, message: /too long/ },
        { what: "a request line over the shared limit", request: `GET /api/items?${"q".repeat(HTTP_LIMITS.requestLineBytes)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 414, message: new RegExp(`${HTTP_LIMITS.requestLineBytes} bytes`) },
        { what: "a head over the app's limit (Node's 431)", request: `GET /api/items HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(HTTP_LIMITS.headerBytes + HTTP_LIMITS.edgeAddedBytes)}\r\n\r\n`, status: 431, message: /head is larger than/ },
        { what: "a malformed request (Node's parser)", request: "GET /api/items HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", status: 400, message: /not valid HTTP/ },
        { what: "HTTP/1.1 without Host", request: "GET /api/items HTTP/1.1\r\nConnection: close\r\n\r\n", status: 400, message: /Host header/ },
    ];
    for (const c of cases) {
        it(`answers ${c.what} with ${c.status} {error, message}`, async () => {
            const reply = await raw(url(), c.request.replace(/\r\n\r\n$/, "\r\nConnection: close\r\n\r\n"));
            assert.equal(reply.status, c.status, reply.headers);
            assert.ok(shaped(reply), `${reply.headers}\n${JSON.stringify(reply.body)}`);
            assert.match(reply.body.message, c.message);
            assert.match(reply.headers, /^cache-control: no-store$/im);
            assert.match(reply.headers, /^x-content-type-options: nosniff$/im);
        });
    }

    it("serves HTTP/1.0 without Host (the protocol allows it)", async () => {
        const reply = await raw(url(), "GET /healthz HTTP/1.0\r\n\r\n");
        assert.equal(reply.status, 200, reply.headers);
        assert.equal(reply.body.status, "ok");
    });
});
