/** One HTTP(S) request, no redirects followed, trusting exactly the lab's certificate when given. */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { TLSSocket } from "node:tls";

export interface Reply {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
    /** "TLSv1.3" over HTTPS, undefined over plain HTTP. */
    readonly protocol?: string;
}

export interface RequestOptions {
    readonly method?: string;
    readonly json?: unknown;
    /** The certificate (PEM) to trust for https URLs; the system's CAs otherwise. */
    readonly ca?: string;
    readonly timeoutMs?: number;
}

export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
    const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    const secure = url.startsWith("https:");
    const client = secure ? https : http;
    return new Promise((resolve, reject) => {
        const req = client.request(url, {
            method: opts.method ?? "GET",
            agent: false,
            timeout: opts.timeoutMs ?? 5000,
            headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {},
            ...(secure && opts.ca ? { ca: opts.ca } : {}),
        }, (res) => {
            const protocol = secure ? (res.socket as TLSSocket).getProtocol?.() ?? undefined : undefined;
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), protocol }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 5000} ms`)));
        req.on("error", reject);
        req.end(body);
    });
}

/** Whether a TCP connection to host:port succeeds within the timeout. Never rejects. */
export function tcpConnects(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
    });
}

/** A header's value as one string. */
export const header = (reply: Reply, name: string): string | undefined => {
    const value = reply.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(", ") : value;
};
