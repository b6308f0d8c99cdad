import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, IMAGE_USERS, KUBE_NAMESPACES, SERVICES } from "../../program/names";
import { REDIS_HEALTH_USER, REDIS_PATHS, REDIS_USERS, redisAppUser, redisHealthCheckCommand, renderRedisConf } from "../../renderers/redis";
import { Login, baseOf, dirOf, generatedSecret } from "../shared";
import {
    KubeContext, SECRET_MODE, clusterService, inLab, meta, podSpec, resources, restrictedContainer, scratch, secret, selectorOf,
    serviceAccount, serviceHost,
} from "./common";

const CONF_DIR = dirOf(REDIS_PATHS.config);
const CONF_FILE = baseOf(REDIS_PATHS.config);

/**
 * Redis, the app's cache, with stage 4's ACL users: the default user off, the app's user limited to
 * its commands and keys. The rendered redis.conf holds only a hash of the password, but it is
 * derived from a secret, so it travels as a Secret, not a ConfigMap.
 */
export class Cache extends pulumi.ComponentResource {
    readonly host = serviceHost(SERVICES.redis, KUBE_NAMESPACES.data);
    readonly appLogin: Login;

    constructor(name: string, ctx: KubeContext, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Cache", name, {}, opts);
        const { profile } = ctx.lab;
        const ns = KUBE_NAMESPACES.data;
        const tier = "data";
        const password = generatedSecret("redis-app-password", this);
        this.appLogin = { user: REDIS_USERS.app, password };
        const conf = password.apply((pw) => renderRedisConf({ port: CONTAINER_PORTS.redis, users: [redisAppUser(pw), REDIS_HEALTH_USER] }));
        const confSecret = secret(ctx, this, "redis-conf", ns, tier, { [CONF_FILE]: conf });
        const sa = serviceAccount(ctx, this, SERVICES.redis, ns, tier);
        const tmp = scratch("tmp", "/tmp");
        const data = scratch("data", REDIS_PATHS.dataDir);
        const health = { exec: { command: redisHealthCheckCommand(CONTAINER_PORTS.redis) } };
        new k8s.apps.v1.Deployment(`${ns}-redis`, {
            metadata: meta(profile, SERVICES.redis, ns, tier, SERVICES.redis),
            spec: {
                // A cache: one pod, no volume; a lost pod costs cache misses, not data.
                replicas: 1,
                selector: { matchLabels: selectorOf(SERVICES.redis) },
                template: {
                    metadata: { labels: meta(profile, SERVICES.redis, ns, tier, SERVICES.redis).labels },
                    spec: podSpec({
                        serviceAccountName: sa.metadata.name,
                        user: IMAGE_USERS.redis,
                        containers: [{
                            name: SERVICES.redis,
                            image: ctx.lab.images.redis,
                            imagePullPolicy: "IfNotPresent",
                            command: ["redis-server", REDIS_PATHS.config],
                            ports: [{ name: "redis", containerPort: CONTAINER_PORTS.redis, protocol: "TCP" }],
                            readinessProbe: { ...health, periodSeconds: 5, timeoutSeconds: 2 },
                            livenessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                            resources: resources("50m", "64Mi", "250m", "128Mi"),
                            securityContext: restrictedContainer(IMAGE_USERS.redis),
                            volumeMounts: [tmp.mount, data.mount, { name: "conf", mountPath: CONF_DIR, readOnly: true }],
                        }],
                        volumes: [tmp.volume, data.volume, { name: "conf", secret: { secretName: confSecret.metadata.name, defaultMode: SECRET_MODE } }],
                    }),
                },
            },
        }, inLab(ctx, this));
        clusterService(ctx, this, SERVICES.redis, ns, tier, SERVICES.redis, [{ name: "redis", port: CONTAINER_PORTS.redis }]);
        this.registerOutputs({});
    }
}
