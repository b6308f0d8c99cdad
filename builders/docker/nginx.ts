import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, SERVICES } from "../../program/names";
import { NGINX_PATHS, renderNginxConf } from "../../renderers/nginx";
import { NGINX_READ_ONLY_ROOT_PATHS, NGINX_TLS_PORT } from "../../renderers/nginx-edge";
import { EDGE_RATE_LIMIT, dirOf, edgeCertificate } from "../shared";
import {
    DockerContext, LabFile, containerFiles, containerOptions, dockerName, hardening, labLabels, publish, pullImage, selfHealing,
} from "./common";

/** Stage 4 keeps the config, certificate and key together in one read-only folder. */
const LAB_CONF_DIR = "/etc/nginx/lab";

export interface LoadBalancerArgs {
    /** The app instances' DNS names on the app network. */
    readonly upstreams: string[];
    /** The instances' containers: Nginx resolves upstream names once at start, so they must exist. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Nginx as the single entry point (stage 3): L7 load balancing with passive health checks. From
 * stage 4 it terminates TLS with a self-signed certificate the program generates, redirects plain
 * HTTP, sets HSTS and the security headers, and limits each client's request rate.
 */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The self-signed certificate (PEM), to trust it in a browser or pass to curl --cacert. */
    readonly certificatePem?: pulumi.Output<string>;

    constructor(name: string, ctx: DockerContext, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:LoadBalancer", name, {}, opts);
        const { lab, networks } = ctx;
        const { profile } = lab;
        const image = pullImage("nginx", lab.images.nginx, this);
        const upstreams = args.upstreams.map((host) => ({ name: host, host, port: CONTAINER_PORTS.app }));

        let files: LabFile[];
        let confPath: string = NGINX_PATHS.config;
        if (profile.tls) {
            const { keyPem, certPem } = edgeCertificate(this);
            this.certificatePem = certPem;
            confPath = `${LAB_CONF_DIR}/nginx.conf`;
            const conf = renderNginxConf({
                listenPort: CONTAINER_PORTS.nginx,
                upstreams,
                // Started as uid 101 on a read-only root: no `user` switch, pid and temp files in /tmp.
                user: profile.hardening ? null : undefined,
                paths: profile.hardening ? NGINX_READ_ONLY_ROOT_PATHS : undefined,
                tls: {
                    certificatePath: `${LAB_CONF_DIR}/tls.crt`,
                    keyPath: `${LAB_CONF_DIR}/tls.key`,
                    listenPort: NGINX_TLS_PORT,
                    redirectPort: lab.ports.edgeTls,
                },
                rateLimit: profile.rateLimit ? EDGE_RATE_LIMIT : undefined,
            });
            files = [
                { name: "nginx.conf", content: conf, mode: "0444" },
                { name: "tls.crt", content: certPem, mode: "0444" },
                { name: "tls.key", content: keyPem, mode: "0440" },
            ];
        } else {
            files = [{ name: "nginx.conf", content: renderNginxConf({ listenPort: CONTAINER_PORTS.nginx, upstreams }), mode: "0444" }];
        }
        const delivered = containerFiles(this, profile, {
            consumer: SERVICES.nginx,
            image: image.imageId,
            tier: "edge",
            runAs: IMAGE_USERS.nginx,
            dirs: [{ dir: dirOf(confPath), files }],
        });
        this.container = new docker.Container(SERVICES.nginx, {
            name: dockerName(profile, SERVICES.nginx),
            image: image.imageId,
            command: ["nginx", "-c", confPath, "-g", "daemon off;"],
            uploads: delivered.uploads,
            volumes: delivered.volumes,
            // The edge is the only tier with a way in; Nginx also joins the app network to reach upstreams.
            networksAdvanced: networks.attach([
                { tier: "edge", aliases: [SERVICES.nginx] },
                { tier: "app", aliases: [SERVICES.nginx] },
            ]),
            ports: [
                ...publish(profile, CONTAINER_PORTS.nginx, lab.ports.edge),
                ...(profile.tls ? publish(profile, NGINX_TLS_PORT, lab.ports.edgeTls) : []),
            ],
            labels: [...labLabels(profile, "edge"), ...delivered.labels],
            ...selfHealing(profile, ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORTS.nginx}/nginx-health`]),
            ...hardening(profile, { user: IMAGE_USERS.nginx, writable: ["/tmp"], memoryMb: 64, cpus: "0.25" }),
        }, containerOptions(this, [...args.dependsOn, ...delivered.dependsOn]));
        this.registerOutputs({});
    }
}
