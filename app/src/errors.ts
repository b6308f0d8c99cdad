/**
 * Errors are for people: a client gets `{error, message}` that names what was wrong (the field, the
 * limit, the dependency), never a stack trace or a driver's message; the log gets the detail.
 */
import { STATUS_CODES } from "node:http";
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from "fastify";
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
            request.log.warn({ node: error.node, err: errorText(error.cause) }, "database unavailable");
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
