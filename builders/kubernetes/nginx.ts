import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, KUBE_NAMESPACES, METRICS_PORTS, SERVICES } from "../../program/names";
import { NGINX_TLS_PORT, NginxUpstream } from "../../renderers/nginx";
import { EDGE_FILES, edgeCertificate, edgeConf } from "../shared";
import {
    KubeScope, Place, SECRET_MODE, clusterService, configMap, containerSecurity, inLab, meta, resources, scratch, secret, selectorOf, workload,
} from "./common";

/** The exporter's user: nobody. */
const EXPORTER_USER = "65534:65534";

export interface EdgeArgs {
    readonly scope: KubeScope;
    readonly image: string;
    /** The app's Services, first region first; later ones become backup upstreams (failover). */
    readonly regions: { readonly name: string; readonly host: string }[];
    /** HTTPS (the profile's `tls`): the NodePort serves it, plain HTTP redirects to this host port. */
    readonly tls?: { readonly nodePort: number; readonly redirectPort: number };
    /** Without TLS: the NodePort of plain HTTP. */
    readonly httpNodePort: number;
    readonly rateLimit: boolean;
    /** Stage 6: stub_status and the Prometheus exporter sidecar, with a headless Service to scrape it. */
    readonly exporter?: { readonly image: string };
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Nginx as the only way in: a Deployment of two pods behind a NodePort Service (kind maps the
 * NodePort to 127.0.0.1 on the host; a LoadBalancer would never get an address there). TLS, headers
 * and the rate limit come from the same nginx.conf as on Docker; the upstream is the app's Service,
 * and from stage 6 the second region is a backup server. Stage 6 adds stub_status on loopback and
 * the Prometheus exporter as a sidecar.
 */
export class Edge extends pulumi.ComponentResource {
    readonly certificatePem?: pulumi.Output<string>;
    readonly service: k8s.core.v1.Service;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Edge", name, {}, opts);
        const { scope } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.edge, tier: "edge" };
        // One line per region (its Service), never marked down (maxFails 0): one pod being replaced must
        // not swing every request to the backup region, which answers only what region 1 cannot.
        const upstreams: NginxUpstream[] = args.regions.map((r, i) => ({ name: r.name, host: r.host, port: CONTAINER_PORTS.app, backup: i > 0, maxFails: 0 }));
        const conf = edgeConf({
            upstreams,
            // The learner types the host port kind maps to the NodePort.
            tls: args.tls ? { redirectPort: args.tls.redirectPort } : undefined,
            rateLimit: args.rateLimit,
            readOnlyRoot: scope.hardening,
            upstreamKeepalive: false,
            ...(args.exporter ? { statusPort: METRICS_PORTS.nginxStatus } : {}),
        });
        const confMap = configMap(at, "nginx-conf", { [EDGE_FILES.conf]: conf });
        const sources: k8s.types.input.core.v1.VolumeProjection[] = [{ configMap: { name: confMap.metadata.name } }];
        if (args.tls) {
            const { keyPem, certPem } = edgeCertificate(name, this);
            this.certificatePem = certPem;
            const keys = secret(at, "nginx-tls", { [EDGE_FILES.certificate]: certPem, [EDGE_FILES.key]: keyPem });
            sources.push({ secret: { name: keys.metadata.name } });
        }
        const tmp = scratch("tmp", "/tmp");
        const http = (path: string) => ({ httpGet: { path, port: CONTAINER_PORTS.nginx, scheme: "HTTP" } });
        const nginx: k8s.types.input.core.v1.Container = {
            name: SERVICES.nginx,
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: ["nginx", "-c", `${EDGE_FILES.dir}/${EDGE_FILES.conf}`, "-g", "daemon off;"],
            ports: [
                ...(args.tls ? [{ name: "https", containerPort: NGINX_TLS_PORT, protocol: "TCP" }] : []),
                { name: "http", containerPort: CONTAINER_PORTS.nginx, protocol: "TCP" },
            ],
            readinessProbe: { ...http("/nginx-health"), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
            livenessProbe: { ...http("/nginx-health"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
            resources: resources(scope, "50m", "32Mi", "250m", "64Mi"),
            ...containerSecurity(scope, IMAGE_USERS.nginx),
            volumeMounts: [tmp.mount, { name: "lab", mountPath: EDGE_FILES.dir, readOnly: true }],
        };
        const exporter: k8s.types.input.core.v1.Container[] = args.exporter ? [{
            name: "nginx-exporter",
            image: args.exporter.image,
            imagePullPolicy: "IfNotPresent",
            args: [`--nginx.scrape-uri=http://127.0.0.1:${METRICS_PORTS.nginxStatus}/stub_status`, `--web.listen-address=:${METRICS_PORTS.nginxExporter}`],
            ports: [{ name: "metrics", containerPort: METRICS_PORTS.nginxExporter, protocol: "TCP" }],
            readinessProbe: { tcpSocket: { port: METRICS_PORTS.nginxExporter }, periodSeconds: 10 },
            livenessProbe: { tcpSocket: { port: METRICS_PORTS.nginxExporter }, periodSeconds: 20 },
            resources: resources(scope, "10m", "16Mi", "100m", "32Mi"),
            ...containerSecurity(scope, EXPORTER_USER),
        }] : [];
        const deployment = workload(at, {
            service: SERVICES.nginx,
            replicas: 2,
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            pod: {
                user: IMAGE_USERS.nginx,
                containers: [nginx, ...exporter],
                volumes: [
                    tmp.volume,
                    // One folder, as on Docker: the rendered config next to the certificate and key.
                    { name: "lab", projected: { defaultMode: SECRET_MODE, sources } },
                ],
            },
            dependsOn: args.dependsOn,
        });

        // NodePort, never LoadBalancer: kind has no load balancer; Pulumi waits ten minutes for an
        // address that never comes, then fails the update.
        const port = args.tls
            ? { name: "https", port: NGINX_TLS_PORT, targetPort: NGINX_TLS_PORT, nodePort: args.tls.nodePort, protocol: "TCP" }
            : { name: "http", port: CONTAINER_PORTS.nginx, targetPort: CONTAINER_PORTS.nginx, nodePort: args.httpNodePort, protocol: "TCP" };
        this.service = new k8s.core.v1.Service(`${name}-nginx-service`, {
            metadata: meta(scope.stage, SERVICES.nginx, at.namespace, at.tier, SERVICES.nginx),
            spec: {
                type: "NodePort",
                selector: selectorOf(SERVICES.nginx),
                // Keeps the source address the node saw (on a real cluster a client's or a load
                // balancer's), so the rate limit counts clients. Behind kind's port mapping every laptop
                // client arrives from the one proxy address: on kind they share one limit.
                externalTrafficPolicy: "Local",
                ports: [port],
            },
        }, inLab(scope, this, [deployment]));
        if (args.exporter) {
            clusterService(at, "nginx-pods", SERVICES.nginx, [{ name: "metrics", port: METRICS_PORTS.nginxExporter }], true);
        }
        this.registerOutputs({});
    }
}
