import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, DATA_ADDRESSES, IMAGE_USERS, SERVICES } from "../../program/names";
import {
    REDIS_HEALTH_USER, REDIS_PATHS, REDIS_USERS, redisAppUser, redisHealthCheckCommand, renderRedisConf,
} from "../../renderers/redis";
import { Login, baseOf, dirOf, generatedSecret } from "../shared";
import { DockerContext, containerFiles, containerOptions, dockerName, hardening, labLabels, pullImage, selfHealing } from "./common";

const CONF_DIR = dirOf(REDIS_PATHS.config);
const CONF_FILE = baseOf(REDIS_PATHS.config);

/**
 * Redis as the app's cache-aside layer (stage 3): reads stop hitting the database every time.
 * From stage 4 the default user is off and the app has an ACL user limited to its commands and keys.
 */
export class Cache extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly host = SERVICES.redis;
    /** The app's Redis login from stage 4 (before: none, the network is the only boundary). */
    readonly appLogin?: Login;

    constructor(name: string, ctx: DockerContext, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:Cache", name, {}, opts);
        const { lab, networks } = ctx;
        const { profile } = lab;
        const image = pullImage("redis", lab.images.redis, this);
        if (profile.leastPrivilege) {
            this.appLogin = { user: REDIS_USERS.app, password: generatedSecret("redis-app-password", this) };
        }
        // The rendered file holds only hashed passwords, but it is derived from a secret: keep it one.
        const conf = this.appLogin
            ? this.appLogin.password.apply((pw) =>
                renderRedisConf({ port: CONTAINER_PORTS.redis, users: [redisAppUser(pw), REDIS_HEALTH_USER] }))
            : renderRedisConf({ port: CONTAINER_PORTS.redis });
        const files = containerFiles(this, profile, {
            consumer: SERVICES.redis,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.redis,
            dirs: [{ dir: CONF_DIR, files: [{ name: CONF_FILE, content: conf, mode: "0444" }] }],
        });
        this.container = new docker.Container(SERVICES.redis, {
            name: dockerName(profile, SERVICES.redis),
            image: image.imageId,
            command: ["redis-server", REDIS_PATHS.config],
            uploads: files.uploads,
            volumes: files.volumes,
            networksAdvanced: networks.attach([{ tier: "data", aliases: [SERVICES.redis], ipv4Address: DATA_ADDRESSES.redis }]),
            labels: [...labLabels(profile, "data"), ...files.labels],
            ...selfHealing(profile, profile.leastPrivilege
                ? ["CMD", ...redisHealthCheckCommand(CONTAINER_PORTS.redis)]
                : ["CMD", "redis-cli", "-p", String(CONTAINER_PORTS.redis), "ping"]),
            // The image's /data is a volume of its own, writable on a read-only root.
            ...hardening(profile, { user: IMAGE_USERS.redis, writable: ["/tmp"], memoryMb: 128, cpus: "0.25" }),
        }, containerOptions(this, files.dependsOn));
        this.registerOutputs({});
    }
}
