/** Structured JSON logs, one object per line, with the level as a word and the instance on every line. */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import pino, { type Logger } from "pino";
import type { LogLevel } from "./config";

export function createLogger(level: LogLevel, instance?: string, destination?: pino.DestinationStream): Logger {
    return pino(
        {
            level,
            base: instance ? { instance } : { pid: process.pid },
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            // Credentials never reach the log, whatever a caller sends.
            redact: { paths: ["req.headers.authorization", "req.headers.cookie", "password", "*.password"], censor: "[redacted]" },
        },
        destination ?? pino.destination({ dest: 1, sync: true }),
    );
}

/**
 * What an edge's request id looks like: nginx's $request_id (32 hex digits), or a UUID. Anything
 * else in X-Request-Id is a client's text, not an id: it would forge or flood the log's key.
 */
const REQUEST_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The key of a request's log lines: the same one nginx logs and returns (`request_id`). */
export const REQUEST_ID_LOG_KEY = "request_id";

/**
 * The request's id (fastify's genReqId): the edge's X-Request-Id when it is one, so the app's line
 * and the edge's share a key; else one of the same shape made here (stages 1-2 have no edge).
 */
export function requestIdOf(req: IncomingMessage): string {
    const given = req.headers["x-request-id"];
    return typeof given === "string" && REQUEST_ID.test(given) ? given.toLowerCase() : randomBytes(16).toString("hex");
}
