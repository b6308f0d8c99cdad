import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, KUBE_NAMESPACES, SERVICES } from "../../program/names";
import { REDIS_PATHS } from "../../renderers/redis";
import { Login, baseOf, dirOf, redisSetup } from "../shared";
import { KubeScope, Place, SECRET_MODE, clusterService, containerSecurity, resources, scratch, secret, serviceHost, workload } from "./common";

const CONF_DIR = dirOf(REDIS_PATHS.config);
const CONF_FILE = baseOf(REDIS_PATHS.config);

export interface CacheArgs {
    readonly scope: KubeScope;
    readonly image: string;
    /** The default user off, the app's own ACL user limited to its commands and keys (least privilege). */
    readonly aclUsers: boolean;
}

/**
 * Redis, the app's cache. With ACL users (stage 4's least privilege) the default user is off and the
 * app's user is limited to its commands and keys. The rendered redis.conf then holds a hash of a
 * password, derived from a secret, so it travels as a Secret, not a ConfigMap.
 */
export class Cache extends pulumi.ComponentResource {
    readonly host = serviceHost(SERVICES.redis, KUBE_NAMESPACES.data);
    readonly appLogin?: Login;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Cache", name, {}, opts);
        const { scope } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.data, tier: "data" };
        const setup = redisSetup(name, this, args.aclUsers);
        this.appLogin = setup.appLogin;
        const confSecret = secret(at, "redis-conf", { [CONF_FILE]: setup.conf });
        const tmp = scratch("tmp", "/tmp");
        const data = scratch("data", REDIS_PATHS.dataDir);
        const health = { exec: { command: setup.healthCheck } };
        workload(at, {
            service: SERVICES.redis,
            // A cache: one pod, no volume; a lost pod costs cache misses, not data.
            replicas: 1,
            pod: {
                user: IMAGE_USERS.redis,
                containers: [{
                    name: SERVICES.redis,
                    image: args.image,
                    imagePullPolicy: "IfNotPresent",
                    command: ["redis-server", REDIS_PATHS.config],
                    ports: [{ name: "redis", containerPort: CONTAINER_PORTS.redis, protocol: "TCP" }],
                    readinessProbe: { ...health, periodSeconds: 5, timeoutSeconds: 2 },
                    livenessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                    resources: resources(scope, "50m", "64Mi", "250m", "128Mi"),
                    ...containerSecurity(scope, IMAGE_USERS.redis),
                    volumeMounts: [tmp.mount, data.mount, { name: "conf", mountPath: CONF_DIR, readOnly: true }],
                }],
                volumes: [tmp.volume, data.volume, { name: "conf", secret: { secretName: confSecret.metadata.name, defaultMode: SECRET_MODE } }],
            },
        });
        clusterService(at, SERVICES.redis, SERVICES.redis, [{ name: "redis", port: CONTAINER_PORTS.redis }]);
        this.registerOutputs({});
    }
}
