/** Probes and metrics: /healthz (alive), /readyz (dependencies), /metrics (Prometheus text). */
import type { FastifyPluginAsync } from "fastify";
import type { ItemCache } from "../cache";
import type { Database } from "../db";
import type { Metrics } from "../metrics";
import { noQuery } from "../schemas";

export interface Readiness {
    status: "ready" | "degraded" | "unavailable";
    instance: string;
    primary: { status: "up" | "down" | "off" };
    replica: { status: "up" | "down" | "off"; lagSeconds: number | null; lagBytes: number | null };
    cache: { status: "up" | "down" | "off" };
}

/** The primary is required; a down replica or cache only degrades the service (reads fall back). */
export async function readiness(instance: string, db: Database, cache: ItemCache): Promise<Readiness> {
    const [nodes, cacheStatus] = await Promise.all([db.status(), cache.status()]);
    const status =
        nodes.primary.status !== "up"
            ? "unavailable"
            : nodes.replica.status === "down" || cacheStatus.status === "down"
              ? "degraded"
              : "ready";
    return { status, instance, primary: nodes.primary, replica: nodes.replica, cache: cacheStatus };
}

export const healthRoutes: FastifyPluginAsync<{ instance: string; db: Database; cache: ItemCache; metrics: Metrics }> = async (
    app,
    { instance, db, cache, metrics },
) => {
    // Alive means the event loop answers; dependencies are /readyz's business, so a database outage
    // does not make an orchestrator restart every app instance. While shutting down, fastify answers 503.
    app.get("/healthz", { schema: { querystring: noQuery } }, async () => ({ status: "ok", instance }));

    app.get("/readyz", { schema: { querystring: noQuery } }, async (_request, reply) => {
        const result = await readiness(instance, db, cache);
        reply.code(result.status === "unavailable" ? 503 : 200);
        return result;
    });

    app.get("/metrics", { schema: { querystring: noQuery } }, async (_request, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
    });
};
