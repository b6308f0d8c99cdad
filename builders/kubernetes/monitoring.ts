import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, KUBE_NAMESPACES, KubeNamespace, METRICS_PORTS, OPS_TIER, SERVICES } from "../../program/names";
import { renderPrometheusConfig } from "../../renderers/prometheus";
import { KubeScope, Place, clusterService, configMap, containerSecurity, resources, scratch, serviceHost, workload } from "./common";

const PROMETHEUS_USER = "65534:65534";
const CONFIG_DIR = "/etc/prometheus";

export interface MonitoringArgs {
    readonly scope: KubeScope;
    readonly image: string;
    /** The app's regions: Prometheus scrapes every pod of each through its headless Service. */
    readonly appNamespaces: KubeNamespace[];
}

/**
 * Stage 6's golden signals: Prometheus scrapes the app's /metrics in every region (latency, traffic,
 * errors) and Nginx's exporter (traffic and saturation at the edge). It finds the pods through
 * headless Services' DNS, so it needs no API token. Storage is an emptyDir: a lab keeps two days.
 */
export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Monitoring", name, {}, opts);
        const { scope } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.ops, tier: OPS_TIER };
        const service = SERVICES.prometheus;
        const conf = renderPrometheusConfig({
            jobs: [
                { name: "app", dnsNames: args.appNamespaces.map((n) => serviceHost("app-pods", n)), port: CONTAINER_PORTS.app },
                { name: "nginx", dnsNames: [serviceHost("nginx-pods", KUBE_NAMESPACES.edge)], port: METRICS_PORTS.nginxExporter },
            ],
        });
        const config = configMap(at, "prometheus-config", { "prometheus.yml": conf });
        const data = scratch("data", "/prometheus");
        const http = (path: string) => ({ httpGet: { path, port: METRICS_PORTS.prometheus, scheme: "HTTP" } });
        workload(at, {
            service,
            replicas: 1,
            strategy: { type: "Recreate" },
            pod: {
                user: PROMETHEUS_USER,
                containers: [{
                    name: service,
                    image: args.image,
                    imagePullPolicy: "IfNotPresent",
                    args: [
                        `--config.file=${CONFIG_DIR}/prometheus.yml`,
                        "--storage.tsdb.path=/prometheus",
                        "--storage.tsdb.retention.time=2d",
                        `--web.listen-address=:${METRICS_PORTS.prometheus}`,
                    ],
                    ports: [{ name: "http", containerPort: METRICS_PORTS.prometheus, protocol: "TCP" }],
                    readinessProbe: { ...http("/-/ready"), periodSeconds: 10, timeoutSeconds: 3 },
                    livenessProbe: { ...http("/-/healthy"), periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
                    resources: resources(scope, "100m", "256Mi", "500m", "512Mi"),
                    ...containerSecurity(scope, PROMETHEUS_USER),
                    volumeMounts: [data.mount, { name: "config", mountPath: CONFIG_DIR, readOnly: true }],
                }],
                volumes: [
                    { name: "data", emptyDir: { sizeLimit: "1Gi" } },
                    { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                ],
            },
        });
        // ClusterIP only: reach it with kubectl port-forward (no NetworkPolicy opens it to other pods).
        clusterService(at, service, service, [{ name: "http", port: METRICS_PORTS.prometheus }]);
        this.registerOutputs({});
    }
}
