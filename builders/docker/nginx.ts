import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, SERVICES } from "../../program/names";
import { NGINX_TLS_PORT } from "../../renderers/nginx";
import { EDGE_FILES, edgeCertificate, edgeConf } from "../shared";
import {
    ContainerStyle, GRACE_SECONDS, LabFile, containerFiles, containerOptions, dockerName, gracePeriod, hardening, labLabels, publish, pullImage,
    selfHealing,
} from "./common";
import type { Tiers } from "./network";

export interface EdgeArgs {
    readonly style: ContainerStyle;
    readonly tiers: Tiers;
    readonly image: string;
    /** The app instances: their names (for the config's comments) and fixed addresses (what Nginx dials). */
    readonly upstreams: { readonly name: string; readonly address: string }[];
    /** The host port of plain HTTP (from stage 4 it only redirects to HTTPS). */
    readonly httpPort: number;
    /** HTTPS on this host port (the profile's `tls`); absent: plain HTTP only. */
    readonly httpsPort?: number;
    /** A per-client request rate limit (the profile's `rateLimit`). */
    readonly rateLimit: boolean;
    /** The instances' containers: created first, so their fixed addresses are taken when Nginx starts. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Nginx as the single entry point (stage 3): L7 load balancing with passive health checks. From
 * stage 4 it terminates TLS with a self-signed certificate the program generates, redirects plain
 * HTTP, sets HSTS and the security headers, and limits each client's request rate.
 */
export class Edge extends pulumi.ComponentResource {
    readonly container: docker.Container;
    /** The self-signed certificate (PEM), to trust it in a browser or pass to curl --cacert. */
    readonly certificatePem?: pulumi.Output<string>;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:Edge", name, {}, opts);
        const { style, tiers } = args;
        const image = pullImage(`${name}-image`, args.image, this);
        const conf = edgeConf({
            upstreams: args.upstreams.map((u) => ({ name: u.name, host: u.address, port: CONTAINER_PORTS.app })),
            tls: args.httpsPort === undefined ? undefined : { redirectPort: args.httpsPort },
            rateLimit: args.rateLimit,
            readOnlyRoot: style.hardening,
        });
        const files: LabFile[] = [{ name: EDGE_FILES.conf, content: conf, mode: "0444" }];
        if (args.httpsPort !== undefined) {
            const { keyPem, certPem } = edgeCertificate(name, this);
            this.certificatePem = certPem;
            files.push(
                { name: EDGE_FILES.certificate, content: certPem, mode: "0444" },
                { name: EDGE_FILES.key, content: keyPem, mode: "0440" },
            );
        }
        const delivered = containerFiles(this, style, {
            consumer: `${name}-nginx`,
            service: SERVICES.nginx,
            image: image.imageId,
            tier: "edge",
            runAs: IMAGE_USERS.nginx,
            dirs: [{ dir: EDGE_FILES.dir, files }],
        });
        this.container = new docker.Container(`${name}-nginx`, {
            name: dockerName(style.stage, SERVICES.nginx),
            image: image.imageId,
            command: ["nginx", "-c", `${EDGE_FILES.dir}/${EDGE_FILES.conf}`, "-g", "daemon off;"],
            uploads: delivered.uploads,
            volumes: delivered.volumes,
            // The edge is the only tier with a way in; Nginx also joins the app network to reach upstreams.
            networksAdvanced: tiers.attach([
                { tier: "edge", aliases: [SERVICES.nginx] },
                { tier: "app", aliases: [SERVICES.nginx] },
            ]),
            ports: [
                ...publish(style, CONTAINER_PORTS.nginx, args.httpPort),
                ...(args.httpsPort !== undefined ? publish(style, NGINX_TLS_PORT, args.httpsPort) : []),
            ],
            labels: [...labLabels(style.stage, "edge"), ...delivered.labels],
            ...selfHealing(style, ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORTS.nginx}/nginx-health`]),
            ...gracePeriod(GRACE_SECONDS.nginx),
            ...hardening(style, { user: IMAGE_USERS.nginx, writable: ["/tmp"], memoryMb: 64, cpus: "0.25" }),
        }, containerOptions(this, [...args.dependsOn, ...delivered.dependsOn]));
        this.registerOutputs({});
    }
}
