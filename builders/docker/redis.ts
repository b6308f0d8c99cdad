import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DATA_ADDRESSES, IMAGE_USERS, SERVICES } from "../../program/names";
import { REDIS_PATHS } from "../../renderers/redis";
import { Login, baseOf, dirOf, redisSetup } from "../shared";
import {
    ContainerStyle, GRACE_SECONDS, containerFiles, containerOptions, dockerName, gracePeriod, hardening, labLabels, pullImage, selfHealing,
} from "./common";
import type { Tiers } from "./network";

const CONF_DIR = dirOf(REDIS_PATHS.config);
const CONF_FILE = baseOf(REDIS_PATHS.config);

export interface CacheArgs {
    readonly style: ContainerStyle;
    readonly tiers: Tiers;
    readonly image: string;
    /** The default user off, the app's own ACL user limited to its commands and keys (least privilege). */
    readonly aclUsers: boolean;
}

/**
 * Redis as the app's cache-aside layer (stage 3): reads stop hitting the database every time.
 * From stage 4 the default user is off and the app has an ACL user limited to its commands and keys.
 */
export class Cache extends pulumi.ComponentResource {
    readonly container: docker.Container;
    readonly host = SERVICES.redis;
    /** The app's Redis login with ACL users (before: none, the network is the only boundary). */
    readonly appLogin?: Login;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:Cache", name, {}, opts);
        const { style, tiers } = args;
        const image = pullImage(`${name}-image`, args.image, this);
        const setup = redisSetup(name, this, args.aclUsers);
        this.appLogin = setup.appLogin;
        const files = containerFiles(this, style, {
            consumer: `${name}-server`,
            service: SERVICES.redis,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.redis,
            dirs: [{ dir: CONF_DIR, files: [{ name: CONF_FILE, content: setup.conf, mode: "0444" }] }],
        });
        this.container = new docker.Container(`${name}-server`, {
            name: dockerName(style.stage, SERVICES.redis),
            image: image.imageId,
            command: ["redis-server", REDIS_PATHS.config],
            uploads: files.uploads,
            volumes: files.volumes,
            networksAdvanced: tiers.attach([{ tier: "data", aliases: [SERVICES.redis], ipv4Address: DATA_ADDRESSES.redis }]),
            labels: [...labLabels(style.stage, "data"), ...files.labels],
            ...selfHealing(style, ["CMD", ...setup.healthCheck]),
            ...gracePeriod(GRACE_SECONDS.redis),
            // The image's /data is a volume of its own, writable on a read-only root.
            ...hardening(style, { user: IMAGE_USERS.redis, writable: ["/tmp"], memoryMb: 128, cpus: "0.25" }),
        }, containerOptions(this, files.dependsOn));
        this.registerOutputs({});
    }
}
