/**
 * Stage 6's prometheus.yml: scrape the app's /metrics in every region and Nginx's exporter. Pure
 * text, no Pulumi. Targets are found through DNS (headless Services answer with every ready pod's
 * address), so Prometheus needs no Kubernetes API token and no RBAC at all.
 */

export interface PrometheusJob {
    /** The `job` label: "app", "nginx". */
    name: string;
    /** Headless Service names (FQDN), one per region or tier; each target gets its name as `service`. */
    dnsNames: string[];
    port: number;
    /** Default /metrics. */
    metricsPath?: string;
}

export interface PrometheusConfigOptions {
    jobs: PrometheusJob[];
    /** Default 15s. */
    scrapeInterval?: string;
}

const DURATION = /^[0-9]+(ms|s|m|h)$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
    const interval = opts.scrapeInterval ?? "15s";
    if (!DURATION.test(interval)) throw new Error(`prometheus scrapeInterval "${interval}" must look like 15s`);
    if (opts.jobs.length === 0) throw new Error("prometheus needs at least one job");
    const jobs = opts.jobs.map((job) => {
        if (!/^[a-z_][a-z0-9_]*$/.test(job.name)) throw new Error(`prometheus job "${job.name}" must be a lower-case name`);
        if (job.dnsNames.length === 0) throw new Error(`prometheus job ${job.name} has no DNS name`);
        for (const name of job.dnsNames) if (!DNS_NAME.test(name)) throw new Error(`prometheus DNS name "${name}" is not a host name`);
        if (!Number.isInteger(job.port) || job.port < 1 || job.port > 65535) throw new Error(`prometheus port ${job.port} is not a TCP port`);
        const path = job.metricsPath ?? "/metrics";
        if (!/^\/[A-Za-z0-9/_.-]*$/.test(path)) throw new Error(`prometheus metricsPath "${path}" is not a path`);
        return `  - job_name: ${job.name}
    metrics_path: ${path}
    dns_sd_configs:
      - type: A
        port: ${job.port}
        refresh_interval: 15s
        names:
${job.dnsNames.map((n) => `          - ${n}`).join("\n")}
    relabel_configs:
      # Which headless Service (region, tier) a target came from: app-pods.devsecops-app-2... -> devsecops-app-2.
      - source_labels: [__meta_dns_name]
        regex: '[^.]+\\.([^.]+)\\..*'
        target_label: namespace`;
    });
    return `# devsecops-journey: Prometheus (stage 6). Rendered; do not edit.
# The four golden signals, read with the queries in docs (and the stage's tryThis):
#   latency    histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
#   traffic    sum(rate(nginx_http_requests_total[1m]))
#   errors     sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
#   saturation max(nginx_connections_active), rate(process_cpu_seconds_total{job="app"}[1m])
global:
  scrape_interval: ${interval}
  evaluation_interval: ${interval}
scrape_configs:
${jobs.join("\n")}
`;
}
