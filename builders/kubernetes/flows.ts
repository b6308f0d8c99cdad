import { CONTAINER_PORTS, KUBE_NAMESPACES, KubeNamespace, METRICS_PORTS, SERVICES, VAULT_PORT } from "../../program/names";
import { NGINX_TLS_PORT } from "../../renderers/nginx";
import { StageProfile } from "../../profiles/profile";

/** One end of a flow: a service's pods in a namespace. */
export interface FlowEnd {
    readonly namespace: KubeNamespace;
    readonly service: string;
}

/**
 * A pod-to-pod flow the app needs. Each becomes two NetworkPolicies: an egress rule at the source
 * and an ingress rule at the destination (with default-deny both ways, both sides must allow it).
 */
export interface Flow {
    readonly from: FlowEnd;
    readonly to: FlowEnd;
    readonly port: number;
    /** Why the flow exists, for the policy's annotation and the docs. */
    readonly why: string;
}

/** Flows from outside the pod network: the NodePort into Nginx, the chaos job to the API server. */
export interface ExternalFlow {
    readonly direction: "ingress" | "egress";
    readonly pod: FlowEnd;
    readonly ports: number[];
    readonly why: string;
}

/** The app's regions: namespaces the app runs in, the first one primary. */
export function appNamespaces(profile: StageProfile): KubeNamespace[] {
    const regions = profile.kubernetes?.regions ?? 1;
    return regions >= 2 ? [KUBE_NAMESPACES.app, KUBE_NAMESPACES.appRegion2] : [KUBE_NAMESPACES.app];
}

/** Namespaces of the stage, each with default-deny and DNS egress. */
export function labNamespaces(profile: StageProfile): KubeNamespace[] {
    const k = profile.kubernetes;
    const ops = k?.observability || k?.chaos;
    return [KUBE_NAMESPACES.edge, ...appNamespaces(profile), KUBE_NAMESPACES.data, ...(ops ? [KUBE_NAMESPACES.ops] : [])];
}

/** Exactly the flows the stage needs; anything else is denied. */
export function labFlows(profile: StageProfile): Flow[] {
    const { edge, data, ops } = KUBE_NAMESPACES;
    const flows: Flow[] = [];
    const at = (namespace: KubeNamespace, service: string): FlowEnd => ({ namespace, service });
    for (const app of appNamespaces(profile)) {
        flows.push(
            { from: at(edge, SERVICES.nginx), to: at(app, SERVICES.app), port: CONTAINER_PORTS.app, why: "the edge proxies to the app" },
            { from: at(app, SERVICES.app), to: at(data, SERVICES.postgresPrimary), port: CONTAINER_PORTS.postgres, why: "the app writes to the primary" },
        );
        if (profile.database.replica) {
            flows.push({ from: at(app, SERVICES.app), to: at(data, SERVICES.postgresReplica), port: CONTAINER_PORTS.postgres, why: "the app reads from the replica" });
        }
        if (profile.cache) {
            flows.push({ from: at(app, SERVICES.app), to: at(data, SERVICES.redis), port: CONTAINER_PORTS.redis, why: "the app caches in Redis" });
        }
        flows.push({ from: at(app, SERVICES.app), to: at(data, SERVICES.vault), port: VAULT_PORT, why: "the app reads its credentials from Vault" });
    }
    if (profile.database.replica) {
        flows.push({ from: at(data, SERVICES.postgresReplica), to: at(data, SERVICES.postgresPrimary), port: CONTAINER_PORTS.postgres, why: "the replica streams WAL from the primary" });
    }
    flows.push(
        { from: at(data, SERVICES.vaultBootstrap), to: at(data, SERVICES.vault), port: VAULT_PORT, why: "the bootstrap job writes the app's secret, policy and token" },
    );
    if (profile.kubernetes?.observability) {
        for (const app of appNamespaces(profile)) {
            flows.push({ from: at(ops, SERVICES.prometheus), to: at(app, SERVICES.app), port: CONTAINER_PORTS.app, why: "Prometheus scrapes the app's /metrics" });
        }
        flows.push({ from: at(ops, SERVICES.prometheus), to: at(edge, SERVICES.nginx), port: METRICS_PORTS.nginxExporter, why: "Prometheus scrapes Nginx's exporter" });
    }
    return flows;
}

/** The port the edge's NodePort reaches in the Nginx pods: HTTPS, or plain HTTP without TLS. */
export function edgeListenPort(profile: StageProfile): number {
    return profile.tls ? NGINX_TLS_PORT : CONTAINER_PORTS.nginx;
}

/** The chaos job reaches the API server (not a pod: the nodes' address) on these ports. */
export const API_SERVER_PORTS = [443, 6443];

export function externalFlows(profile: StageProfile): ExternalFlow[] {
    const flows: ExternalFlow[] = [
        { direction: "ingress", pod: { namespace: KUBE_NAMESPACES.edge, service: SERVICES.nginx }, ports: [edgeListenPort(profile)], why: "the NodePort: the only way in" },
    ];
    if (profile.kubernetes?.chaos) {
        flows.push({ direction: "egress", pod: { namespace: KUBE_NAMESPACES.ops, service: SERVICES.chaos }, ports: API_SERVER_PORTS, why: "the chaos job asks the API server to delete a pod" });
    }
    return flows;
}
