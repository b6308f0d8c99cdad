import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, SERVICES } from "../names";
import { REDIS_PATHS, renderRedisConf } from "../render/redis";
import { DockerContext, containerOptions, dockerName, labLabels, pullImage, selfHealing } from "./common";

/** Redis as the app's cache-aside layer (stage 3): reads stop hitting the database every time. */
export class Cache extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly host = SERVICES.redis;

    constructor(name: string, ctx: DockerContext, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:Cache", name, {}, opts);
        const { lab, network } = ctx;
        const image = pullImage("redis", lab.images.redis, this);
        this.container = new docker.Container(SERVICES.redis, {
            name: dockerName(lab.profile, SERVICES.redis),
            image: image.imageId,
            command: ["redis-server", REDIS_PATHS.config],
            uploads: [{ file: REDIS_PATHS.config, content: renderRedisConf({ port: CONTAINER_PORTS.redis }) }],
            networksAdvanced: [{ name: network.name, aliases: [SERVICES.redis] }],
            labels: labLabels(lab.profile, "data"),
            ...selfHealing(lab.profile, ["CMD", "redis-cli", "-p", String(CONTAINER_PORTS.redis), "ping"]),
        }, containerOptions(this));
        this.registerOutputs({});
    }
}
