import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../program/config";
import { KUBE_NAMESPACES } from "../../program/names";
import { StageOutputs, stageOutputs } from "../outputs";
import { Requirement, refuseUnmet } from "../refusal";
import { AppCredentials } from "../shared";
import { AppTier, buildAppImage } from "./app";
import { Chaos } from "./chaos";
import { KubeScope } from "./common";
import { apiServerEndpoints, appNamespaces, externalFlows, labFlows, labNamespaces } from "./flows";
import { Monitoring } from "./monitoring";
import { Tiers } from "./network";
import { Edge } from "./nginx";
import { AdmissionPolicy } from "./admission";
import { PostgresCluster } from "./postgres";
import { Cache } from "./redis";
import { SecretStore } from "./vault";

/**
 * What the Kubernetes builder needs of a profile. Every other field means on a cluster what it
 * means on Docker (cache, tls, rateLimit, database.replica, leastPrivilege, hardening); these are the
 * ones a cluster cannot mean, refused in one line rather than silently ignored.
 */
export const KUBERNETES_REQUIREMENTS: readonly Requirement[] = [
    { field: "kubernetes", holds: (p) => p.kubernetes !== undefined, why: "a Kubernetes stage needs its kubernetes section (autoscale, regions, ...)" },
    { field: "app.replicated", holds: (p) => p.app.replicated, why: "the Kubernetes builder always replicates the app (the HPA's minimum is at least 2)" },
    { field: "app.publishEachInstance", holds: (p) => !p.app.publishEachInstance, why: "on Kubernetes only the edge's NodePort is published, never a pod" },
    { field: "loadBalancer", holds: (p) => p.loadBalancer === "nginx", why: "the Kubernetes builder's only way in is Nginx behind a NodePort: loadBalancer must be \"nginx\"" },
    { field: "database.publish", holds: (p) => !p.database.publish, why: "on Kubernetes the database is reachable from its namespace's allowed pods only, never from the host" },
    { field: "selfHealing", holds: (p) => p.selfHealing, why: "the cluster always restarts pods and the builder always sets probes: selfHealing must be true" },
    { field: "publishAddress", holds: (p) => p.publishAddress === "127.0.0.1", why: "kind-config.yaml publishes the NodePort on 127.0.0.1 only: publishAddress must be \"127.0.0.1\"" },
    { field: "segmentation", holds: (p) => p.segmentation, why: "the Kubernetes builder always puts each tier in its own namespace: segmentation must be true" },
    { field: "secretsFrom", holds: (p) => p.secretsFrom === "vault", why: "the Kubernetes builder always runs Vault: secretsFrom must be \"vault\"" },
    {
        field: "kubernetes.autoscale.min",
        holds: (p) => (p.kubernetes?.autoscale.min ?? 2) >= 2 && (p.kubernetes?.autoscale.min ?? 2) <= (p.kubernetes?.autoscale.max ?? 2),
        why: "the autoscaler keeps at least 2 pods (no single point of failure) and at most autoscale.max",
    },
    {
        field: "kubernetes.disruptionBudget.minAvailable",
        holds: (p) => (p.kubernetes?.disruptionBudget.minAvailable ?? 1) < (p.kubernetes?.autoscale.min ?? 2),
        why: "a budget of autoscale.min or more available pods blocks every drain: keep it below autoscale.min",
    },
    { field: "kubernetes.slo", holds: (p) => !p.kubernetes?.slo || p.kubernetes.observability, why: "an SLO is read off the metrics Prometheus scrapes: it needs kubernetes.observability" },
    { field: "kubernetes.regions", holds: (p) => [1, 2].includes(p.kubernetes?.regions ?? 1), why: "the lab has namespaces for one or two app regions" },
    { field: "kubernetes.backup", holds: (p) => !p.kubernetes?.backup || p.database.replica, why: "base backups are taken by the replicator role, which exists with database.replica" },
    {
        field: "kubernetes.backup.keep",
        holds: (p) => !p.kubernetes?.backup || (Number.isInteger(p.kubernetes.backup.keep) && p.kubernetes.backup.keep >= 1),
        why: "keep at least the newest base backup (a whole number >= 1)",
    },
    {
        field: "kubernetes.backup.archiveTimeoutSeconds",
        holds: (p) => !p.kubernetes?.backup || (Number.isInteger(p.kubernetes.backup.archiveTimeoutSeconds) && p.kubernetes.backup.archiveTimeoutSeconds >= 1),
        why: "a WAL segment is archived at least this often: the recovery point, in whole seconds >= 1",
    },
];

/**
 * The Kubernetes builder: turns a stage profile (stages 5-6) into objects on the cluster the config
 * names. Only builders/index.ts loads this module, and only for a Kubernetes stage: Docker stages
 * never load @pulumi/kubernetes.
 */
export function buildKubernetesStage(lab: LabConfig): StageOutputs {
    const { profile: p, images, ports } = lab;
    refuseUnmet(p, KUBERNETES_REQUIREMENTS);
    const kube = p.kubernetes!;
    // Explicit: the context from config, never whatever kubectl's current context happens to be.
    const provider = new k8s.Provider("kubernetes", {
        context: lab.kubernetes.context,
        ...(lab.kubernetes.kubeconfig ? { kubeconfig: lab.kubernetes.kubeconfig } : {}),
    });
    const opts: pulumi.ComponentResourceOptions = { providers: [provider] };
    // Read, not created: the API server keeps it. Only the chaos job's egress needs it.
    const slice = kube.chaos ? k8s.discovery.v1.EndpointSlice.get("api-server-endpoints", "default/kubernetes", { provider }) : undefined;
    const apiServer = slice && pulumi.all([slice.addressType, slice.endpoints, slice.ports])
        .apply(([addressType, endpoints, ports]) => apiServerEndpoints({ addressType, endpoints, ports }));
    const tiers = new Tiers("tiers", {
        stage: p.stage,
        namespaces: labNamespaces(p),
        podSecurity: kube.podSecurity,
        policies: kube.networkPolicy === "default-deny" ? { flows: labFlows(p), external: externalFlows(p, apiServer) } : undefined,
    }, opts);
    // The cluster's own admission rules first, so every pod of the lab is admitted by them too.
    const admission = kube.admissionPolicy ? [new AdmissionPolicy("admission", { stage: p.stage }, opts).binding] : [];
    const scope: KubeScope = { stage: p.stage, ready: [...tiers.ready, ...admission], hardening: p.hardening };

    const database = new PostgresCluster("database", {
        scope, image: images.postgres, replica: p.database.replica, leastPrivilege: p.leastPrivilege, backup: kube.backup,
    }, opts);
    const cache = p.cache ? new Cache("cache", { scope, image: images.redis, aclUsers: p.leastPrivilege }, opts) : undefined;
    const appCredentials: AppCredentials = { db: database.appLogin, redis: cache?.appLogin };
    const secrets = new SecretStore("secrets", { scope, image: images.vault, credentials: appCredentials }, opts);
    const image = images.app ?? buildAppImage("app-image", lab.kubernetes.registry);
    const regions = appNamespaces(p).map((namespace, i) => new AppTier(i === 0 ? "app" : `app-region-${i + 1}`, {
        scope,
        namespace,
        region: i + 1,
        image,
        autoscale: kube.autoscale,
        disruptionBudget: kube.disruptionBudget,
        wiring: {
            primaryHost: database.primaryHost,
            replicaHost: database.replicaHost,
            cacheHost: cache?.host,
            credentials: { from: "vault", address: secrets.address },
        },
        vaultToken: secrets.appToken,
        scraped: kube.observability,
        dependsOn: [secrets.bootstrap],
    }, opts));
    const edge = new Edge("edge", {
        scope,
        image: images.nginx,
        regions: regions.map((r, i) => ({ name: `region-${i + 1}`, host: r.host })),
        tls: p.tls ? { nodePort: lab.kubernetes.edgeNodePort, redirectPort: ports.edgeTls } : undefined,
        httpNodePort: lab.kubernetes.edgeHttpNodePort,
        rateLimit: p.rateLimit,
        exporter: kube.observability ? { image: images.nginxExporter } : undefined,
        // Nginx resolves its upstreams once at start: the Services must exist.
        dependsOn: regions.map((r) => r.service),
    }, opts);
    if (kube.observability) new Monitoring("monitoring", { scope, image: images.prometheus, appNamespaces: appNamespaces(p) }, opts);
    if (kube.chaos) new Chaos("chaos", { scope, image: images.kubectl, schedule: kube.chaos.schedule, dependsOn: regions.map((r) => r.deployment) }, opts);

    const entryPoints = [p.tls ? `https://localhost:${ports.edgeTls}` : `http://localhost:${ports.edge}`];
    return stageOutputs(p, {
        entryPoints,
        storyValues: {
            entry: entryPoints.join(" "),
            appNamespace: KUBE_NAMESPACES.app,
            appRegion2Namespace: KUBE_NAMESPACES.appRegion2,
            edgeNamespace: KUBE_NAMESPACES.edge,
            dataNamespace: KUBE_NAMESPACES.data,
            opsNamespace: KUBE_NAMESPACES.ops,
        },
        databasePassword: database.ownerPassword,
        edgeCertificate: edge.certificatePem,
    });
}
