import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, SERVICES } from "../names";
import { NGINX_PATHS, renderNginxConf } from "../render/nginx";
import { DockerContext, containerOptions, dockerName, labLabels, publish, pullImage, selfHealing } from "./common";

export interface LoadBalancerArgs {
    /** The app instances' DNS names on the lab network. */
    readonly upstreams: string[];
    /** The instances' containers: Nginx resolves upstream names once at start, so they must exist. */
    readonly dependsOn: pulumi.Resource[];
}

/** Nginx as the single entry point (stage 3): L7 load balancing with passive health checks. */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly container: docker.Container;

    constructor(name: string, ctx: DockerContext, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:LoadBalancer", name, {}, opts);
        const { lab, network } = ctx;
        const image = pullImage("nginx", lab.images.nginx, this);
        const conf = renderNginxConf({
            listenPort: CONTAINER_PORTS.nginx,
            upstreams: args.upstreams.map((host) => ({ name: host, host, port: CONTAINER_PORTS.app })),
        });
        this.container = new docker.Container(SERVICES.nginx, {
            name: dockerName(lab.profile, SERVICES.nginx),
            image: image.imageId,
            uploads: [{ file: NGINX_PATHS.config, content: conf }],
            networksAdvanced: [{ name: network.name, aliases: [SERVICES.nginx] }],
            ports: publish(lab.profile, CONTAINER_PORTS.nginx, lab.ports.edge),
            labels: labLabels(lab.profile, "edge"),
            ...selfHealing(lab.profile, ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${CONTAINER_PORTS.nginx}/nginx-health`]),
        }, containerOptions(this, args.dependsOn));
        this.registerOutputs({});
    }
}
