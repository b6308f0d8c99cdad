import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { APP_ENV, CONTAINER_PORTS, DATABASE, IMAGE_USERS, KUBE_NAMESPACES, LABELS, KubeNamespace, SERVICES, VAULT } from "../../program/names";
import { APP_IMAGE_REPOSITORY, REPO_ROOT, appSourceHash } from "../shared";
import {
    KubeContext, SECRET_MODE, clusterService, inLab, meta, podSpec, resources, restrictedContainer, scratch, secret,
    selectorOf, serviceAccount, serviceHost,
} from "./common";

const SECRETS_DIR = "/run/secrets";
const TOKEN_FILE = "vault-token";

/**
 * The app image, built from app/ and pushed to the lab's registry (kind's local-registry recipe:
 * scripts/kind-up.sh), tagged with the hash of its sources: pinned, and new when they change. The
 * nodes pull it from there; a configured appImage skips the build.
 */
export function appImage(ctx: KubeContext): pulumi.Input<string> {
    if (ctx.lab.images.app) return ctx.lab.images.app;
    const built = new docker.Image("app-image", {
        imageName: `${ctx.lab.kubernetes.registry}/${APP_IMAGE_REPOSITORY}:${appSourceHash()}`,
        build: { context: REPO_ROOT, dockerfile: path.join(REPO_ROOT, "app", "Dockerfile") },
        registry: { server: ctx.lab.kubernetes.registry },
    });
    return built.imageName;
}

export interface AppRegionArgs {
    readonly namespace: KubeNamespace;
    readonly image: pulumi.Input<string>;
    /** Where the data tier's Services are. */
    readonly primaryHost: string;
    readonly replicaHost: string;
    readonly cacheHost: string;
    readonly vaultAddress: string;
    readonly appToken: pulumi.Output<string>;
    /** The Vault bootstrap: the app cannot read its credentials before it ran. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * The app in one namespace ("region"): a Deployment the cluster heals, rolled out one pod at a time
 * without losing capacity, scaled by CPU from `autoscale.min` (never one: no single point of failure),
 * with a PodDisruptionBudget so a node drain keeps it serving. It reads its credentials from Vault
 * with a token mounted as a file; its ServiceAccount gets no API token.
 */
export class AppRegion extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    /** The Service's DNS name, for Nginx's upstream. */
    readonly host: string;

    constructor(name: string, ctx: KubeContext, args: AppRegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:AppRegion", name, {}, opts);
        const { lab, k8s: kube } = ctx;
        const { profile } = lab;
        const ns = args.namespace;
        const tier = "app";
        const region = ns === KUBE_NAMESPACES.app ? "1" : "2";
        const sa = serviceAccount(ctx, this, SERVICES.app, ns, tier);
        const token = secret(ctx, this, "app-vault-token", ns, tier, { [TOKEN_FILE]: args.appToken });
        const tmp = scratch("tmp", "/tmp");
        const labels = { ...meta(profile, SERVICES.app, ns, tier, SERVICES.app).labels as Record<string, string>, [LABELS.region]: region };
        const env = (name: string, value: string | number) => ({ name, value: String(value) });
        const http = (p: string) => ({ httpGet: { path: p, port: CONTAINER_PORTS.app, scheme: "HTTP" } });

        this.deployment = new k8s.apps.v1.Deployment(`${ns}-app`, {
            metadata: meta(profile, SERVICES.app, ns, tier, SERVICES.app),
            spec: {
                // The count before the HPA acts (devsecops:appReplicas, at least its minimum). The HPA
                // changes it between updates; a later `pulumi up` that changes this Deployment sets it
                // back, and the HPA corrects it again within a minute.
                replicas: Math.max(lab.appInstances, kube.autoscale.min),
                selector: { matchLabels: selectorOf(SERVICES.app) },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                minReadySeconds: 5,
                revisionHistoryLimit: 3,
                template: {
                    metadata: { labels },
                    spec: podSpec({
                        serviceAccountName: sa.metadata.name,
                        user: IMAGE_USERS.app,
                        // The app drains in-flight requests on SIGTERM (src/main.ts) well within this.
                        terminationGracePeriodSeconds: 30,
                        containers: [{
                            name: SERVICES.app,
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            ports: [{ name: "http", containerPort: CONTAINER_PORTS.app, protocol: "TCP" }],
                            env: [
                                // The pod's name: the page and the X-Instance header show which pod answered.
                                { name: APP_ENV.instance, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                env(APP_ENV.port, CONTAINER_PORTS.app),
                                env(APP_ENV.dbPrimaryHost, args.primaryHost),
                                env(APP_ENV.dbPrimaryPort, CONTAINER_PORTS.postgres),
                                env(APP_ENV.dbReplicaHost, args.replicaHost),
                                env(APP_ENV.dbReplicaPort, CONTAINER_PORTS.postgres),
                                env(APP_ENV.dbName, DATABASE.name),
                                env(APP_ENV.redisHost, args.cacheHost),
                                env(APP_ENV.redisPort, CONTAINER_PORTS.redis),
                                env(VAULT.env.addr, args.vaultAddress),
                                env(VAULT.env.tokenFile, `${SECRETS_DIR}/${TOKEN_FILE}`),
                            ],
                            // Started: /healthz answers once the process listens; alive: it still does
                            // (a database outage must not restart every pod); ready: its dependencies answer.
                            startupProbe: { ...http("/healthz"), periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
                            livenessProbe: { ...http("/healthz"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
                            readinessProbe: { ...http("/readyz"), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
                            resources: resources("100m", "128Mi", "500m", "256Mi"),
                            securityContext: restrictedContainer(IMAGE_USERS.app),
                            volumeMounts: [tmp.mount, { name: "vault-token", mountPath: SECRETS_DIR, readOnly: true }],
                        }],
                        volumes: [tmp.volume, { name: "vault-token", secret: { secretName: token.metadata.name, defaultMode: SECRET_MODE } }],
                    }),
                },
            },
        }, inLab(ctx, this, args.dependsOn));

        this.service = clusterService(ctx, this, SERVICES.app, ns, tier, SERVICES.app, [{ name: "http", port: CONTAINER_PORTS.app }]);
        this.host = serviceHost(SERVICES.app, ns);
        if (kube.observability) {
            // Headless: DNS answers with every ready pod, which is how Prometheus finds them (no API token).
            clusterService(ctx, this, "app-pods", ns, tier, SERVICES.app, [{ name: "http", port: CONTAINER_PORTS.app }], true);
        }

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${ns}-app`, {
            metadata: meta(profile, SERVICES.app, ns, tier, SERVICES.app),
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
                minReplicas: kube.autoscale.min,
                maxReplicas: kube.autoscale.max,
                metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: kube.autoscale.cpuPercent } } }],
            },
        }, inLab(ctx, this));
        new k8s.policy.v1.PodDisruptionBudget(`${ns}-app`, {
            metadata: meta(profile, SERVICES.app, ns, tier, SERVICES.app),
            spec: { minAvailable: kube.disruptionBudget.minAvailable, selector: { matchLabels: selectorOf(SERVICES.app) } },
        }, inLab(ctx, this));
        this.registerOutputs({});
    }
}
