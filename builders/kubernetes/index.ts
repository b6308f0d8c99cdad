import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../program/config";
import { KUBE_NAMESPACES } from "../../program/names";
import { StageOutputs, stageOutputs } from "../outputs";
import { AppRegion, appImage } from "./app";
import { Chaos } from "./chaos";
import { KubeContext } from "./common";
import { appNamespaces } from "./flows";
import { Monitoring } from "./monitoring";
import { LabNamespaces } from "./network";
import { Edge } from "./nginx";
import { PostgresCluster } from "./postgres";
import { Cache } from "./redis";
import { SecretStore } from "./vault";

/**
 * The Kubernetes builder: turns a stage profile (stages 5-6) into objects on the cluster the config
 * names. Only builders/index.ts loads this module, and only for a Kubernetes stage: Docker stages never
 * load @pulumi/kubernetes.
 */
export function buildKubernetesStage(lab: LabConfig): StageOutputs {
    const { profile } = lab;
    const kube = profile.kubernetes;
    if (!kube) throw new Error(`stage ${profile.stage} targets Kubernetes but its profile has no kubernetes section`);
    // Explicit: the context from config, never whatever kubectl's current context happens to be.
    const provider = new k8s.Provider("kubernetes", {
        context: lab.kubernetes.context,
        ...(lab.kubernetes.kubeconfig ? { kubeconfig: lab.kubernetes.kubeconfig } : {}),
    });
    const opts: pulumi.ComponentResourceOptions = { providers: [provider] };
    const network = new LabNamespaces("namespaces", profile, opts);
    const ctx: KubeContext = { lab, k8s: kube, ready: [...network.namespaces.values(), ...network.policies] };

    const database = new PostgresCluster("database", ctx, opts);
    const cache = new Cache("cache", ctx, opts);
    const secrets = new SecretStore("secrets", ctx, {
        dbUser: database.appLogin.user,
        dbPassword: database.appLogin.password,
        redisUser: cache.appLogin.user,
        redisPassword: cache.appLogin.password,
    }, opts);
    const image = appImage(ctx);
    const regions = appNamespaces(profile).map((namespace, i) => new AppRegion(i === 0 ? "app" : `app-region-${i + 1}`, ctx, {
        namespace,
        image,
        primaryHost: database.primaryHost,
        replicaHost: database.replicaHost,
        cacheHost: cache.host,
        vaultAddress: secrets.address,
        appToken: secrets.appToken,
        dependsOn: [secrets.bootstrap],
    }, opts));
    const edge = new Edge("edge", ctx, {
        regions: regions.map((r, i) => ({ name: `region-${i + 1}`, host: r.host })),
        // Nginx resolves its upstreams once at start: the Services must exist.
        dependsOn: regions.map((r) => r.service),
    }, opts);
    if (kube.observability) new Monitoring("monitoring", ctx, appNamespaces(profile), opts);
    if (kube.chaos) new Chaos("chaos", ctx, kube.chaos.schedule, opts);

    const entryPoints = [`https://localhost:${lab.ports.edgeTls}`];
    return stageOutputs(profile, {
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
