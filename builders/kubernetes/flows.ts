import { CONTAINER_PORTS, KUBE_NAMESPACES, KubeNamespace, METRICS_PORTS, SERVICES, VAULT_PORT } from "../../program/names";
import { NGINX_TLS_PORT } from "../../renderers/nginx";
import type * as pulumi from "@pulumi/pulumi";
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
    /** Ports; for the API server, the ones its endpoints listen on (read from the cluster). */
    readonly ports: pulumi.Input<number[]>;
    /** Peer addresses (CIDRs); absent: any address. */
    readonly cidrs?: pulumi.Input<string[]>;
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
    if (profile.kubernetes?.backup) {
        flows.push(
            { from: at(data, SERVICES.postgresBackup), to: at(data, SERVICES.postgresPrimary), port: CONTAINER_PORTS.postgres, why: "base backups of the primary, over the replication protocol" },
            { from: at(data, SERVICES.postgresRestoreDrill), to: at(data, SERVICES.postgresPrimary), port: CONTAINER_PORTS.postgres, why: "the restore drill compares its copy with the live primary" },
        );
    }
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

/**
 * Where the API server really is, from the `kubernetes` Service's EndpointSlice (default/kubernetes,
 * which the API server itself keeps: one address per control-plane node, the port it serves on).
 * NetworkPolicy is evaluated after kube-proxy's DNAT (kindnet's kube-network-policies, Calico and
 * Cilium alike), so a pod's packet to 10.96.0.1:443 is judged as one to this address and port: on
 * kind the control-plane node's IP and 6443. An egress rule to the ClusterIP or to "any address on
 * 443" is either useless or too wide.
 */
export interface ApiServerEndpoints {
    readonly cidrs: string[];
    readonly ports: number[];
}

interface EndpointSliceState {
    readonly addressType?: string;
    readonly endpoints?: readonly { addresses?: readonly string[] }[];
    readonly ports?: readonly { port?: number; protocol?: string }[];
}

export function apiServerEndpoints(slice: EndpointSliceState): ApiServerEndpoints {
    const host = slice.addressType === "IPv6" ? 128 : 32;
    const addresses = [...new Set((slice.endpoints ?? []).flatMap((e) => e.addresses ?? []))].sort();
    const ports = [...new Set((slice.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP" && p.port).map((p) => p.port!))].sort((a, b) => a - b);
    if (addresses.length === 0 || ports.length === 0) {
        throw new Error("the cluster's default/kubernetes EndpointSlice names no API server address and port: is the kubeconfig context right (devsecops:kubeContext)?");
    }
    return { cidrs: addresses.map((a) => `${a}/${host}`), ports };
}

export function externalFlows(profile: StageProfile, apiServer?: pulumi.Output<ApiServerEndpoints>): ExternalFlow[] {
    const flows: ExternalFlow[] = [
        { direction: "ingress", pod: { namespace: KUBE_NAMESPACES.edge, service: SERVICES.nginx }, ports: [edgeListenPort(profile)], why: "the NodePort: the only way in" },
    ];
    if (profile.kubernetes?.chaos) {
        if (!apiServer) throw new Error("the chaos job's egress needs the API server's endpoints");
        flows.push({
            direction: "egress", pod: { namespace: KUBE_NAMESPACES.ops, service: SERVICES.chaos },
            ports: apiServer.apply((a) => a.ports), cidrs: apiServer.apply((a) => a.cidrs),
            why: "the chaos job asks the API server (its endpoints, after kube-proxy's DNAT) to delete a pod",
        });
    }
    return flows;
}
