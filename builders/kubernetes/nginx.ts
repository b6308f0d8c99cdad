import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, KUBE_NAMESPACES, METRICS_PORTS, SERVICES } from "../../program/names";
import { NginxUpstream, renderNginxConf } from "../../renderers/nginx";
import { NGINX_READ_ONLY_ROOT_PATHS, NGINX_TLS_PORT } from "../../renderers/nginx-edge";
import { EDGE_RATE_LIMIT, edgeCertificate } from "../shared";
import {
    KubeContext, SECRET_MODE, clusterService, configMap, inLab, meta, podSpec, resources, restrictedContainer, scratch, secret,
    selectorOf, serviceAccount,
} from "./common";

/** Stage 4's folder for the config, certificate and key: the same paths on Kubernetes. */
const LAB_CONF_DIR = "/etc/nginx/lab";
/** The exporter's user: nobody. */
const EXPORTER_USER = "65534:65534";

export interface EdgeArgs {
    /** The app's Services, first region first; later ones become backup upstreams (failover). */
    readonly regions: { readonly name: string; readonly host: string }[];
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Nginx as the only way in: a Deployment of two pods behind a NodePort Service (kind maps the
 * NodePort to 127.0.0.1 on the host; a LoadBalancer would never get an address there). TLS, headers
 * and the rate limit are stage 4's, from the same renderer; the upstream is the app's Service, and
 * from stage 6 the second region is a backup server. Stage 6 adds stub_status on loopback and the
 * Prometheus exporter as a sidecar.
 */
export class Edge extends pulumi.ComponentResource {
    readonly certificatePem: pulumi.Output<string>;
    readonly service: k8s.core.v1.Service;

    constructor(name: string, ctx: KubeContext, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Edge", name, {}, opts);
        const { lab, k8s: kube } = ctx;
        const { profile } = lab;
        const ns = KUBE_NAMESPACES.edge;
        const tier = "edge";
        const { keyPem, certPem } = edgeCertificate(this);
        this.certificatePem = certPem;

        const upstreams: NginxUpstream[] = args.regions.map((r, i) => ({ name: r.name, host: r.host, port: CONTAINER_PORTS.app, backup: i > 0 }));
        const conf = renderNginxConf({
            listenPort: CONTAINER_PORTS.nginx,
            upstreams,
            user: null,
            paths: NGINX_READ_ONLY_ROOT_PATHS,
            tls: {
                certificatePath: `${LAB_CONF_DIR}/tls.crt`,
                keyPath: `${LAB_CONF_DIR}/tls.key`,
                listenPort: NGINX_TLS_PORT,
                // The learner types the host port kind maps to the NodePort.
                redirectPort: lab.ports.edgeTls,
            },
            rateLimit: profile.rateLimit ? EDGE_RATE_LIMIT : undefined,
            ...(kube.observability ? { statusPort: METRICS_PORTS.nginxStatus } : {}),
        });
        const sa = serviceAccount(ctx, this, SERVICES.nginx, ns, tier);
        const confMap = configMap(ctx, this, "nginx-conf", ns, tier, { "nginx.conf": conf });
        const keys = secret(ctx, this, "nginx-tls", ns, tier, { "tls.crt": certPem, "tls.key": keyPem });
        const tmp = scratch("tmp", "/tmp");
        const http = (path: string) => ({ httpGet: { path, port: CONTAINER_PORTS.nginx, scheme: "HTTP" } });

        const nginx: k8s.types.input.core.v1.Container = {
            name: SERVICES.nginx,
            image: lab.images.nginx,
            imagePullPolicy: "IfNotPresent",
            command: ["nginx", "-c", `${LAB_CONF_DIR}/nginx.conf`, "-g", "daemon off;"],
            ports: [
                { name: "https", containerPort: NGINX_TLS_PORT, protocol: "TCP" },
                { name: "http", containerPort: CONTAINER_PORTS.nginx, protocol: "TCP" },
            ],
            readinessProbe: { ...http("/nginx-health"), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
            livenessProbe: { ...http("/nginx-health"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
            resources: resources("50m", "32Mi", "250m", "64Mi"),
            securityContext: restrictedContainer(IMAGE_USERS.nginx),
            volumeMounts: [tmp.mount, { name: "lab", mountPath: LAB_CONF_DIR, readOnly: true }],
        };
        const exporter: k8s.types.input.core.v1.Container = {
            name: "nginx-exporter",
            image: lab.images.nginxExporter,
            imagePullPolicy: "IfNotPresent",
            args: [`--nginx.scrape-uri=http://127.0.0.1:${METRICS_PORTS.nginxStatus}/stub_status`, `--web.listen-address=:${METRICS_PORTS.nginxExporter}`],
            ports: [{ name: "metrics", containerPort: METRICS_PORTS.nginxExporter, protocol: "TCP" }],
            readinessProbe: { tcpSocket: { port: METRICS_PORTS.nginxExporter }, periodSeconds: 10 },
            livenessProbe: { tcpSocket: { port: METRICS_PORTS.nginxExporter }, periodSeconds: 20 },
            resources: resources("10m", "16Mi", "100m", "32Mi"),
            securityContext: restrictedContainer(EXPORTER_USER),
        };
        const deployment = new k8s.apps.v1.Deployment(`${ns}-nginx`, {
            metadata: meta(profile, SERVICES.nginx, ns, tier, SERVICES.nginx),
            spec: {
                replicas: 2,
                selector: { matchLabels: selectorOf(SERVICES.nginx) },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                template: {
                    metadata: { labels: meta(profile, SERVICES.nginx, ns, tier, SERVICES.nginx).labels },
                    spec: podSpec({
                        serviceAccountName: sa.metadata.name,
                        user: IMAGE_USERS.nginx,
                        containers: kube.observability ? [nginx, exporter] : [nginx],
                        volumes: [
                            tmp.volume,
                            // One folder, as on Docker: the rendered config next to the certificate and key.
                            {
                                name: "lab",
                                projected: {
                                    defaultMode: SECRET_MODE,
                                    sources: [
                                        { configMap: { name: confMap.metadata.name } },
                                        { secret: { name: keys.metadata.name } },
                                    ],
                                },
                            },
                        ],
                    }),
                },
            },
        }, inLab(ctx, this, args.dependsOn));

        // NodePort, never LoadBalancer: kind has no load balancer and Pulumi would wait forever.
        this.service = new k8s.core.v1.Service(`${ns}-nginx`, {
            metadata: meta(profile, SERVICES.nginx, ns, tier, SERVICES.nginx),
            spec: {
                type: "NodePort",
                selector: selectorOf(SERVICES.nginx),
                // Keeps the client's address, so the rate limit counts clients and not the node.
                externalTrafficPolicy: "Local",
                ports: [{ name: "https", port: NGINX_TLS_PORT, targetPort: NGINX_TLS_PORT, nodePort: lab.kubernetes.edgeNodePort, protocol: "TCP" }],
            },
        }, inLab(ctx, this, [deployment]));
        if (kube.observability) {
            clusterService(ctx, this, "nginx-pods", ns, tier, SERVICES.nginx, [{ name: "metrics", port: METRICS_PORTS.nginxExporter }], true);
        }
        this.registerOutputs({});
    }
}
