import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, KUBE_NAMESPACES, KubeNamespace, METRICS_PORTS, OPS_TIER, SERVICES } from "../../program/names";
import { renderPrometheusConfig } from "../../renderers/prometheus";
import {
    KubeContext, clusterService, configMap, inLab, meta, podSpec, resources, restrictedContainer, scratch, selectorOf, serviceAccount,
    serviceHost,
} from "./common";

const PROMETHEUS_USER = "65534:65534";
const CONFIG_DIR = "/etc/prometheus";

/**
 * Stage 6's golden signals: Prometheus scrapes the app's /metrics in every region (latency, traffic,
 * errors) and Nginx's exporter (traffic and saturation at the edge). It finds the pods through
 * headless Services' DNS, so it needs no API token. Storage is an emptyDir: a lab keeps two days.
 */
export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, ctx: KubeContext, appNamespaces: KubeNamespace[], opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Monitoring", name, {}, opts);
        const { profile } = ctx.lab;
        const ns = KUBE_NAMESPACES.ops;
        const service = SERVICES.prometheus;
        const conf = renderPrometheusConfig({
            jobs: [
                { name: "app", dnsNames: appNamespaces.map((n) => serviceHost("app-pods", n)), port: CONTAINER_PORTS.app },
                { name: "nginx", dnsNames: [serviceHost("nginx-pods", KUBE_NAMESPACES.edge)], port: METRICS_PORTS.nginxExporter },
            ],
        });
        const config = configMap(ctx, this, "prometheus-config", ns, OPS_TIER, { "prometheus.yml": conf });
        const sa = serviceAccount(ctx, this, service, ns, OPS_TIER);
        const data = scratch("data", "/prometheus");
        const http = (path: string) => ({ httpGet: { path, port: METRICS_PORTS.prometheus, scheme: "HTTP" } });
        new k8s.apps.v1.Deployment(`${ns}-prometheus`, {
            metadata: meta(profile, service, ns, OPS_TIER, service),
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: selectorOf(service) },
                template: {
                    metadata: { labels: meta(profile, service, ns, OPS_TIER, service).labels },
                    spec: podSpec({
                        serviceAccountName: sa.metadata.name,
                        user: PROMETHEUS_USER,
                        containers: [{
                            name: service,
                            image: ctx.lab.images.prometheus,
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
                            resources: resources("100m", "256Mi", "500m", "512Mi"),
                            securityContext: restrictedContainer(PROMETHEUS_USER),
                            volumeMounts: [data.mount, { name: "config", mountPath: CONFIG_DIR, readOnly: true }],
                        }],
                        volumes: [
                            { name: "data", emptyDir: { sizeLimit: "1Gi" } },
                            { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o444 } },
                        ],
                    }),
                },
            },
        }, inLab(ctx, this));
        // ClusterIP only: reach it with kubectl port-forward (no NetworkPolicy opens it to other pods).
        clusterService(ctx, this, service, ns, OPS_TIER, service, [{ name: "http", port: METRICS_PORTS.prometheus }]);
        this.registerOutputs({});
    }
}
