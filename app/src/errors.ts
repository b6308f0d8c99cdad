/**
 * Errors are for people: a client gets `{error, message}` that names what was wrong (the field, the
 * limit, the dependency), never a stack trace or a driver's message; the log gets the detail.
 */
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from "fastify";
import { HTTP_LIMITS } from "./contract";
import { DatabaseUnavailableError, errorText } from "./db";

export interface ErrorBody {
    error: string;
    message: string;
    /** The offending field, for validation errors. */
    field?: string;
}

const PARTS: Record<string, string> = { body: "body", querystring: "query", params: "path", headers: "header" };

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 2;

/** Turns Ajv's first error into one sentence naming the field: `body field "name" must be ...`. */
export function formatSchemaError(errors: FastifySchemaValidationError[], dataVar: string): Error {
    const e = errors[0];
    const part = PARTS[dataVar] ?? dataVar;
    const params = (e?.params ?? {}) as Record<string, unknown>;
    const path = (e?.instancePath ?? "").replace(/^\//, "").replace(/\//g, ".");
    let field = path;
    let message: string;
    switch (e?.keyword) {
        case "required":
            field = join(path, String(params.missingProperty));
            message = `${part} field "${field}" is required`;
            break;
        case "additionalProperties":
            field = join(path, String(params.additionalProperty));
            message = `${part} field "${field}" is not allowed`;
            break;
        case "type":
            message = field ? `${part} field "${field}" must be ${article(String(params.type))}` : `${part} must be ${article(String(params.type))}`;
            if (!field && dataVar === "body") message = "request body must be a JSON object";
            break;
        case "maxLength":
            message = `${part} field "${field}" must be at most ${params.limit} characters`;
            break;
        case "minLength":
            message = `${part} field "${field}" must be at least ${params.limit} character${params.limit === 1 ? "" : "s"}`;
            break;
        case "pattern":
            message = `${part} field "${field}" contains a character that is not allowed`;
            break;
        case "minimum":
        case "maximum":
            message = `${part} field "${field}" must be ${params.comparison} ${params.limit}`;
            break;
        default:
            message = `${part}${field ? ` field "${field}"` : ""} ${e?.message ?? "is invalid"}`;
    }
    return Object.assign(new Error(message), { field: field || undefined });
}

function join(path: string, name: string): string {
    return path ? `${path}.${name}` : name;
}

function article(type: string): string {
    const friendly = type === "integer" ? "an integer" : type === "object" ? "an object" : type === "array" ? "an array" : `a ${type}`;
    return friendly;
}

/** The one error handler: maps every error to a status and a safe message, and logs the detail. */
export function errorHandler(bodyLimit: number) {
    return function handle(error: FastifyError & { field?: string }, request: FastifyRequest, reply: FastifyReply): ErrorBody {
        if (error.validation) {
            reply.code(400);
            request.log.info({ err: error.message }, "rejected invalid input");
            return { error: "bad_request", message: error.message, field: error.field };
        }
        if (error instanceof DatabaseUnavailableError) {
            const code = (error.cause as { code?: unknown } | undefined)?.code;
            if (typeof code === "string" && code.startsWith("28")) {
                // What it is: not an outage, the database refused the app's own login.
                request.log.error({ node: error.node, code, err: errorText(error.cause) }, "the database refused the app's login: its credentials changed or were revoked");
            } else {
                request.log.warn({ node: error.node, err: errorText(error.cause) }, "database unavailable");
            }
            reply.code(503).header("Retry-After", String(RETRY_AFTER_SECONDS));
            return {
                error: "service_unavailable",
                message:
                    error.node === "primary"
                        ? "the primary database is unavailable; try again shortly"
                        : "no database node is available; try again shortly",
            };
        }
        const known = clientError(error, request, bodyLimit);
        if (known) {
            request.log.info({ code: error.code, err: error.message }, "rejected request");
            reply.code(known.status);
            return known.body;
        }
        const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
        if (status < 500) {
            request.log.info({ code: error.code, err: error.message }, "rejected request");
            reply.code(status);
            return { error: snake(STATUS_CODES[status] ?? "bad request"), message: (STATUS_CODES[status] ?? "Bad request").toLowerCase() };
        }
        request.log.error({ err: error }, "request failed");
        reply.code(500);
        return { error: "internal_error", message: `an internal error occurred; it has been logged as request ${request.id}` };
    };
}

function clientError(error: FastifyError, request: FastifyRequest, bodyLimit: number): { status: number; body: ErrorBody } | undefined {
    switch (error.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
            return { status: 413, body: { error: "payload_too_large", message: `request body is larger than ${bodyLimit} bytes` } };
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
            const type = String(request.headers["content-type"] ?? "none").slice(0, 100);
            return {
                status: 415,
                body: { error: "unsupported_media_type", message: `Content-Type ${JSON.stringify(type)} is not supported; send application/json` },
            };
        }
        case "FST_ERR_CTP_INVALID_JSON_BODY":
            // secure-json-parse also lands here when it refuses a prototype-poisoning key.
            return {
                status: 400,
                body: { error: "bad_request", message: "request body is not valid JSON (or holds a forbidden __proto__ or constructor.prototype key)" },
            };
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
            return { status: 400, body: { error: "bad_request", message: "request body is empty; send a JSON object" } };
        case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
            return { status: 400, body: { error: "bad_request", message: "Content-Length does not match the body" } };
        default:
            return undefined;
    }
}

export function notFound(request: FastifyRequest, reply: FastifyReply): ErrorBody {
    reply.code(404);
    return { error: "not_found", message: `no route for ${request.method} ${request.url.split("?")[0].slice(0, 200)}` };
}

function snake(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

/** The request head's problems the app checks itself, before routing matters: a URL too long, no Host. */
export function requestHeadProblem(request: FastifyRequest): { status: number; body: ErrorBody } | undefined {
    const line = `${request.method} ${request.raw.url ?? ""} HTTP/1.1`;
    if (Buffer.byteLength(line) > HTTP_LIMITS.requestLineBytes) {
        return { status: 414, body: { error: "uri_too_long", message: `the request line is longer than ${HTTP_LIMITS.requestLineBytes} bytes` } };
    }
    // Node would answer a bare 400 itself (requireHostHeader, turned off so the answer has this shape).
    if (request.raw.httpVersion === "1.1" && request.headers.host === undefined) {
        return { status: 400, body: { error: "bad_request", message: "an HTTP/1.1 request needs a Host header" } };
    }
    return undefined;
}

/** fastify's router errors (answered before any hook runs, so with the headers given here), in the app's shape. */
export function frameworkErrors(headers: Record<string, string>) {
    return function onFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
        request.log.info({ code: error.code }, "rejected request");
        reply.headers(headers);
        if (error.code === "FST_ERR_MAX_PARAM_LENGTH") {
            reply.code(414).send({ error: "uri_too_long", message: "a path segment of the URL is too long" } satisfies ErrorBody);
        } else if (error.code === "FST_ERR_BAD_URL") {
            reply.code(400).send({ error: "bad_request", message: "the URL holds an invalid percent-encoding" } satisfies ErrorBody);
        } else {
            reply.code(400).send({ error: "bad_request", message: "the request could not be routed" } satisfies ErrorBody);
        }
    };
}

/**
 * What Node's HTTP parser refuses (a head over the limit, a malformed request, a timeout) never
 * reaches fastify: it is answered on the socket, in the app's shape, and the connection closed.
 */
export function clientErrorHandler(headers: Record<string, string>) {
    return function onClientError(this: { log: { info(o: object, m: string): void } }, error: Error & { code?: string }, socket: Socket): void {
        if (error.code === "ECONNRESET" || socket.destroyed) return;
        const [status, body]: [number, ErrorBody] =
            error.code === "HPE_HEADER_OVERFLOW"
                ? [431, { error: "request_header_fields_too_large", message: `the request head is larger than ${HTTP_LIMITS.headerBytes + HTTP_LIMITS.edgeAddedBytes} bytes` }]
                : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
                  ? [408, { error: "request_timeout", message: "the request was not received in time" }]
                  : [400, { error: "bad_request", message: "the request is not valid HTTP/1.1" }];
        this.log.info({ code: error.code, status }, "rejected malformed request");
        if (!socket.writable) {
            socket.destroy();
            return;
        }
        const text = JSON.stringify(body);
        const head = { ...headers, "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)), Connection: "close" };
        socket.once("finish", () => socket.destroy());
        socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n${text}`);
    };
}
