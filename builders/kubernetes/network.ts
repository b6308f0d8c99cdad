import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBERNETES, KUBE_NAMESPACES, KubeNamespace, OPS_TIER, TierLabel } from "../../program/names";
import { StageProfile } from "../../profiles/profile";
import { ExternalFlow, Flow, externalFlows, labFlows, labNamespaces } from "./flows";
import { meta, objectOptions, selectorOf } from "./common";

/** The tier label of a namespace. */
export function tierOfNamespace(namespace: KubeNamespace): TierLabel {
    switch (namespace) {
        case KUBE_NAMESPACES.edge: return "edge";
        case KUBE_NAMESPACES.app:
        case KUBE_NAMESPACES.appRegion2: return "app";
        case KUBE_NAMESPACES.data: return "data";
        case KUBE_NAMESPACES.ops: return OPS_TIER;
    }
}

const nsSelector = (namespace: string) => ({ matchLabels: { [KUBERNETES.namespaceNameLabel]: namespace } });

/**
 * Namespaces per tier (stage 4's networks, in Kubernetes' terms), each enforcing Pod Security
 * "restricted", denying all traffic in and out by default, and letting pods resolve names. Then
 * exactly the flows the stage needs (flows.ts), each allowed at both ends.
 */
export class LabNamespaces extends pulumi.ComponentResource {
    readonly namespaces = new Map<KubeNamespace, k8s.core.v1.Namespace>();
    readonly policies: k8s.networking.v1.NetworkPolicy[] = [];

    constructor(name: string, profile: StageProfile, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:LabNamespaces", name, {}, opts);
        for (const namespace of labNamespaces(profile)) {
            const tier = tierOfNamespace(namespace);
            const ns = new k8s.core.v1.Namespace(namespace, {
                metadata: { name: namespace, labels: { ...meta(profile, namespace, undefined, tier).labels as Record<string, string>, ...KUBERNETES.podSecurityLabels } },
            }, objectOptions(this));
            this.namespaces.set(namespace, ns);
            const policy = (id: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec, why: string) =>
                this.policy(profile, namespace, id, spec, why);
            // Selects every pod, allows nothing: what the flows below do not open stays shut.
            policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, "deny all traffic in and out unless another policy allows it");
            policy("allow-dns", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ namespaceSelector: nsSelector(KUBERNETES.dns.namespace), podSelector: { matchLabels: { ...KUBERNETES.dns.podLabels } } }],
                    ports: [{ protocol: "UDP", port: KUBERNETES.dns.port }, { protocol: "TCP", port: KUBERNETES.dns.port }],
                }],
            }, "every pod resolves names through the cluster's DNS");
        }
        for (const flow of labFlows(profile)) this.allow(profile, flow);
        for (const flow of externalFlows(profile)) this.allowExternal(profile, flow);
        this.registerOutputs({});
    }

    private policy(profile: StageProfile, namespace: KubeNamespace, id: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec, why: string) {
        const ns = this.namespaces.get(namespace);
        if (!ns) throw new Error(`a NetworkPolicy in ${namespace}, which this stage does not create`);
        const metadata = meta(profile, id, namespace, tierOfNamespace(namespace));
        const created = new k8s.networking.v1.NetworkPolicy(`${namespace}-${id}`, {
            metadata: { ...metadata, annotations: { "devsecops-journey/why": why } },
            spec,
        }, objectOptions(this, [ns]));
        this.policies.push(created);
        return created;
    }

    /** A flow is open only when both ends allow it: egress at the source, ingress at the destination. */
    private allow(profile: StageProfile, flow: Flow) {
        const { from, to, port } = flow;
        const peer = (end: Flow["from"]) => ({ namespaceSelector: nsSelector(end.namespace), podSelector: { matchLabels: selectorOf(end.service) } });
        const ports = [{ protocol: "TCP", port }];
        const remote = (end: Flow["from"], here: KubeNamespace) => end.namespace === here ? end.service : `${end.service}-${end.namespace}`;
        this.policy(profile, from.namespace, `allow-${from.service}-to-${remote(to, from.namespace)}-${port}`, {
            podSelector: { matchLabels: selectorOf(from.service) },
            policyTypes: ["Egress"],
            egress: [{ to: [peer(to)], ports }],
        }, flow.why);
        this.policy(profile, to.namespace, `allow-${to.service}-from-${remote(from, to.namespace)}-${port}`, {
            podSelector: { matchLabels: selectorOf(to.service) },
            policyTypes: ["Ingress"],
            ingress: [{ from: [peer(from)], ports }],
        }, flow.why);
    }

    private allowExternal(profile: StageProfile, flow: ExternalFlow) {
        const ports = flow.ports.map((port) => ({ protocol: "TCP", port }));
        const anywhere = [{ ipBlock: { cidr: "0.0.0.0/0" } }];
        this.policy(profile, flow.pod.namespace, `allow-${flow.pod.service}-${flow.direction}-external`, {
            podSelector: { matchLabels: selectorOf(flow.pod.service) },
            policyTypes: [flow.direction === "ingress" ? "Ingress" : "Egress"],
            ...(flow.direction === "ingress" ? { ingress: [{ from: anywhere, ports }] } : { egress: [{ to: anywhere, ports }] }),
        }, flow.why);
    }
}
