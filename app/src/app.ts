/**
 * Builds the app: one fastify instance wired to its database pools, cache and metrics. main.ts
 * listens with it; tests build it in-process with their own config.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { ItemCache } from "./cache";
import type { AppConfig } from "./config";
import { HEADERS, HTTP_LIMITS } from "./contract";
import { Database } from "./db";
import {
    type ErrorBody, RETRY_AFTER_SECONDS, clientErrorHandler, errorHandler, formatSchemaError, frameworkErrors, notFound, requestHeadProblem,
} from "./errors";
import { ItemService } from "./items";
import type { ApiKeys } from "./keys";
import { REQUEST_ID_LOG_KEY, createLogger, requestIdOf } from "./log";
import { createMetrics } from "./metrics";
import { healthRoutes } from "./routes/health";
import { itemRoutes } from "./routes/items";
import { pageRoutes } from "./routes/page";
import { validatorCompiler } from "./schemas";

/** The routes a kubelet, a health check or Prometheus calls, not a user: never counted as traffic. */
const OPERATIONS_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

/** Bodies are small JSON objects; anything larger is refused with 413 before it is parsed (the edge refuses it first). */
export const BODY_LIMIT = HTTP_LIMITS.bodyBytes;

/** The app's version, from app/package.json (next to src/ and dist/ alike). */
export const VERSION = readVersion();

function readVersion(): string {
    try {
        return (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
    } catch {
        return "unknown";
    }
}

export interface AppDeps {
    /** A pino logger to use instead of one on stdout (tests capture lines with it). */
    logger?: FastifyBaseLogger;
    /** With config.auth "jwt": the API's signing keys (ApiKeys.load), for bearer tokens and the form's. */
    keys?: ApiKeys;
}

// Sent on every response (the page replaces the CSP with its own). HSTS is the TLS edge's job (stage 4).
const SECURITY_HEADERS: Record<string, string> = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
};

// Probes and scrapes would drown the log at info.
const QUIET_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

export function buildApp(config: AppConfig, deps: AppDeps = {}): FastifyInstance {
    if (!config.db.password) throw new Error("buildApp: no database password (with Vault, await withVaultSecrets(config) first)");
    if (config.auth === "jwt" && !deps.keys) throw new Error("buildApp: auth \"jwt\" needs the signing keys (await ApiKeys.load(...) first)");
    const keys = config.auth === "jwt" ? deps.keys : undefined;
    const logger = deps.logger ?? createLogger(config.logLevel, config.instance);
    const app = Fastify({
        loggerInstance: logger,
        // One line per request, in onResponse below; every line of a request carries the edge's id for
        // it (validated), under the key the edge's access log uses.
        logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: REQUEST_ID_LOG_KEY }),
        genReqId: requestIdOf,
        requestIdHeader: false,
        bodyLimit: BODY_LIMIT,
        onProtoPoisoning: "error",
        onConstructorPoisoning: "error",
        requestTimeout: 30_000, // a slow client cannot hold a connection forever
        // Shed requests while closing in onRequest below instead: fastify's own 503 has its shape, not ours.
        return503OnClosing: false,
        schemaErrorFormatter: formatSchemaError,
        routerOptions: { maxParamLength: 100 },
        http: {
            // Every head the edge accepts, with what the edge adds to it: the app never refuses one
            // the edge let through (Node's own limit is 16 KiB, below the edge's).
            maxHeaderSize: HTTP_LIMITS.headerBytes + HTTP_LIMITS.edgeAddedBytes,
            // A missing Host is answered in the app's error shape (onRequest below), not Node's bare 400.
            requireHostHeader: false,
        },
        // What fastify and Node answer before any route or hook runs, in the app's one error shape.
        frameworkErrors: frameworkErrors(SECURITY_HEADERS),
        clientErrorHandler: clientErrorHandler(SECURITY_HEADERS),
    });
    app.setValidatorCompiler(validatorCompiler);
    // Fastify parses text/plain by default; the API takes JSON only, so anything else is a 415.
    app.removeContentTypeParser("text/plain");

    const db = new Database(config, app.log);
    const cache = new ItemCache(config, app.log);
    const metrics = createMetrics(config.instance, VERSION, () => db.replicaLagSeconds());
    const items = new ItemService(db, cache, metrics);

    // A request in flight when shutdown begins gets its answer, then its keep-alive connection is
    // closed: server.close() waits for every connection, and an idle client would otherwise hold it.
    // One that arrives on such a connection meanwhile gets a 503, and the edge tries another instance.
    let closing = false;
    app.addHook("preClose", async () => {
        closing = true;
    });
    app.addHook("onRequest", async (request, reply) => {
        reply.header(HEADERS.instance, config.instance).headers(SECURITY_HEADERS);
        if (closing) {
            reply.code(503).header("Retry-After", String(RETRY_AFTER_SECONDS));
            return reply.send({ error: "service_unavailable", message: "this instance is shutting down; try again" } satisfies ErrorBody);
        }
        const problem = requestHeadProblem(request);
        if (problem) {
            request.log.info({ err: problem.body.message }, "rejected request");
            return reply.code(problem.status).send(problem.body);
        }
    });
    app.addHook("onSend", async (_request, reply) => {
        if (closing) reply.header("Connection", "close");
    });
    app.addHook("onResponse", async (request, reply) => {
        const route = request.routeOptions.url ?? "(unmatched)";
        const labels = { method: request.method, route, status_code: String(reply.statusCode) };
        // The golden signals measure the product: probes (every few seconds, always fast and fine)
        // and scrapes would dilute the error ratio and the latency an SLO is read off.
        if (!OPERATIONS_ROUTES.has(route)) {
            metrics.httpRequests.inc(labels);
            metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
        }
        const line = {
            method: request.method,
            // The path alone: a query string may carry what no log should keep.
            path: request.url.split("?", 1)[0].slice(0, 200),
            route,
            status: reply.statusCode,
            ms: Math.round(reply.elapsedTime * 10) / 10,
            dbNode: reply.getHeader(HEADERS.dbNode),
            cache: reply.getHeader(HEADERS.cache),
            fallback: reply.getHeader(HEADERS.dbFallback),
        };
        if (QUIET_ROUTES.has(route)) request.log.debug(line, "request");
        else request.log.info(line, "request");
    });
    app.setErrorHandler(errorHandler(BODY_LIMIT));
    app.setNotFoundHandler(notFound);

    app.register(healthRoutes, { instance: config.instance, db, cache, metrics });
    app.register(itemRoutes, { prefix: "/api/items", items, keys });
    app.register(pageRoutes, { instance: config.instance, items, db, cache, keys });

    // Runs after the server has stopped accepting and every in-flight request has been answered.
    app.addHook("onClose", async () => {
        keys?.stop();
        await Promise.all([db.close(), cache.close()]);
        app.log.info("database pools and cache connection closed");
    });
    return app;
}
