/**
 * Prometheus metrics: the request rate, errors and duration per route (three of the four golden
 * signals; saturation comes from the default process metrics), plus what makes the lab's data path
 * visible: cache hits and misses, and which database node served each read.
 * One registry per app, not prom-client's global one, so tests can build several apps in a process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type DbNode = "replica" | "primary";
export type CacheState = "hit" | "miss" | "off";
export type FallbackReason = "replica-unavailable" | "replica-behind" | "not-on-replica";

export interface Metrics {
    registry: Registry;
    httpRequests: Counter<"method" | "route" | "status_code">;
    httpDuration: Histogram<"method" | "route" | "status_code">;
    cacheLookups: Counter<"result">;
    dbReads: Counter<"node">;
    dbReadFallbacks: Counter<"reason">;
    replicaLag: Gauge;
}

export function createMetrics(instance: string, version: string, replicaLagSeconds: () => Promise<number | null>): Metrics {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const registers = [registry];

    new Gauge({
        name: "app_info",
        help: "Always 1; labels name the instance and the app version.",
        labelNames: ["app_instance", "version"],
        registers,
    }).set({ app_instance: instance, version }, 1);

    return {
        registry,
        httpRequests: new Counter({
            name: "http_requests_total",
            help: "HTTP requests served, by method, route template and status code.",
            labelNames: ["method", "route", "status_code"],
            registers,
        }),
        httpDuration: new Histogram({
            name: "http_request_duration_seconds",
            help: "HTTP request duration in seconds, by method, route template and status code.",
            labelNames: ["method", "route", "status_code"],
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
            registers,
        }),
        cacheLookups: new Counter({
            name: "app_cache_lookups_total",
            help: "Item cache lookups, by result: hit, miss, or off (cache not configured or unavailable).",
            labelNames: ["result"],
            registers,
        }),
        dbReads: new Counter({
            name: "app_db_reads_total",
            help: "Database reads, by the node that served them: replica or primary.",
            labelNames: ["node"],
            registers,
        }),
        dbReadFallbacks: new Counter({
            name: "app_db_read_fallbacks_total",
            help: "Reads that went to the primary although a replica is configured, by reason.",
            labelNames: ["reason"],
            registers,
        }),
        replicaLag: new Gauge({
            name: "app_replica_lag_seconds",
            help: "How far the replica's replay is behind, measured on the replica at scrape time (absent without a replica).",
            registers,
            async collect() {
                this.reset();
                const lag = await replicaLagSeconds().catch(() => null);
                if (lag !== null) this.set(lag);
            },
        }),
    };
}
