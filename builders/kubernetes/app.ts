import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { APP_ENV, CONTAINER_PORTS, IMAGE_USERS, KubeNamespace, LABELS, SECRET_FILES, SERVICES } from "../../program/names";
import { KubernetesProfile } from "../../profiles/profile";
import { APP_IMAGE_REPOSITORY, AppWiring, REPO_ROOT, appEnvironment, appSourceHash, baseOf, dirOf } from "../shared";
import {
    KubeScope, Place, SECRET_MODE, clusterService, containerSecurity, inLab, meta, resources, scratch, secret, selectorOf, serviceHost,
    workload,
} from "./common";

/**
 * The app image, built from app/ and pushed to the lab's registry (kind's local-registry recipe:
 * scripts/kind-up.sh), tagged with the hash of its sources: pinned, and new when they change. The
 * nodes pull it from there.
 */
export function buildAppImage(name: string, registry: string): pulumi.Output<string> {
    const built = new docker.Image(name, {
        imageName: `${registry}/${APP_IMAGE_REPOSITORY}:${appSourceHash()}`,
        build: { context: REPO_ROOT, dockerfile: path.join(REPO_ROOT, "app", "Dockerfile") },
        registry: { server: registry },
    });
    return built.imageName;
}

export interface AppTierArgs {
    readonly scope: KubeScope;
    readonly namespace: KubeNamespace;
    /** The region's number (1, 2, ...): a label on its pods, so the page shows which region answered. */
    readonly region: number;
    readonly image: pulumi.Input<string>;
    readonly autoscale: KubernetesProfile["autoscale"];
    readonly disruptionBudget: KubernetesProfile["disruptionBudget"];
    readonly wiring: AppWiring;
    /** The app's Vault token, mounted as a file. */
    readonly vaultToken: pulumi.Output<string>;
    /** Stage 6: a headless Service whose DNS answers every ready pod, for Prometheus. */
    readonly scraped: boolean;
    /** The Vault bootstrap: the app cannot read its credentials before it ran. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * The app in one namespace ("region"): a Deployment the cluster heals, rolled out one pod at a time
 * without losing capacity, scaled by CPU from `autoscale.min` (never one: no single point of failure),
 * with a PodDisruptionBudget so a node drain keeps it serving. It reads its credentials from Vault
 * with a token mounted as a file; its ServiceAccount gets no API token.
 */
export class AppTier extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    /** The Service's DNS name, for Nginx's upstream. */
    readonly host: string;

    constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:AppTier", name, {}, opts);
        const { scope } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: args.namespace, tier: "app" };
        const token = secret(at, "app-vault-token", { [baseOf(SECRET_FILES.appVaultToken)]: args.vaultToken });
        const tmp = scratch("tmp", "/tmp");
        const http = (p: string) => ({ httpGet: { path: p, port: CONTAINER_PORTS.app, scheme: "HTTP" } });

        this.deployment = workload(at, {
            service: SERVICES.app,
            // No replicas: the HPA owns that field (minReplicas from the first minute). Set here, the
            // next `pulumi up` after the HPA or a `kubectl scale` changed it fails with a server-side
            // apply conflict (pulumi-kubernetes does not force), or resets what the HPA chose.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            spec: { minReadySeconds: 5, revisionHistoryLimit: 3 },
            podLabels: { [LABELS.region]: String(args.region) },
            pod: {
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
                        ...appEnvironment(args.wiring).map(([key, value]) => ({ name: key, value })),
                    ],
                    // Started: /healthz answers once the process listens; alive: it still does
                    // (a database outage must not restart every pod); ready: its dependencies answer.
                    startupProbe: { ...http("/healthz"), periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
                    livenessProbe: { ...http("/healthz"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
                    readinessProbe: { ...http("/readyz"), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
                    resources: resources(scope, "100m", "128Mi", "500m", "256Mi"),
                    ...containerSecurity(scope, IMAGE_USERS.app),
                    volumeMounts: [tmp.mount, { name: "vault-token", mountPath: dirOf(SECRET_FILES.appVaultToken), readOnly: true }],
                }],
                volumes: [tmp.volume, { name: "vault-token", secret: { secretName: token.metadata.name, defaultMode: SECRET_MODE } }],
            },
            dependsOn: args.dependsOn,
        });

        this.service = clusterService(at, SERVICES.app, SERVICES.app, [{ name: "http", port: CONTAINER_PORTS.app }]);
        this.host = serviceHost(SERVICES.app, args.namespace);
        if (args.scraped) {
            // Headless: DNS answers with every ready pod, which is how Prometheus finds them (no API token).
            clusterService(at, "app-pods", SERVICES.app, [{ name: "http", port: CONTAINER_PORTS.app }], true);
        }

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
            metadata: meta(scope.stage, SERVICES.app, args.namespace, at.tier, SERVICES.app),
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
                minReplicas: args.autoscale.min,
                maxReplicas: args.autoscale.max,
                metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.autoscale.cpuPercent } } }],
            },
        }, inLab(scope, this));
        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: meta(scope.stage, SERVICES.app, args.namespace, at.tier, SERVICES.app),
            spec: { minAvailable: args.disruptionBudget.minAvailable, selector: { matchLabels: selectorOf(SERVICES.app) } },
        }, inLab(scope, this));
        this.registerOutputs({});
    }
}
