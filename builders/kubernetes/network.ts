import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBERNETES, KUBE_NAMESPACES, KubeNamespace, OPS_TIER, TierLabel } from "../../program/names";
import { KubernetesProfile, StageNumber } from "../../profiles/profile";
import { ExternalFlow, Flow } from "./flows";
import { labLabels, objectOptions, selectorOf } from "./common";

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

/** Pod Security admission's labels for one level: enforced, and warned and audited at the same level. */
export function podSecurityLabels(level: KubernetesProfile["podSecurity"]): Record<string, string> {
    const k = KUBERNETES.podSecurityLabelKeys;
    return { [k.enforce]: level, [k.enforceVersion]: "latest", [k.warn]: level, [k.audit]: level };
}

export interface TiersArgs {
    readonly stage: StageNumber;
    readonly namespaces: KubeNamespace[];
    /** The Pod Security level every namespace enforces (the profile's `kubernetes.podSecurity`). */
    readonly podSecurity: KubernetesProfile["podSecurity"];
    /** Default-deny with exactly these flows open (the profile's `networkPolicy`); absent: no policy at all. */
    readonly policies?: { readonly flows: Flow[]; readonly external: ExternalFlow[] };
}

/**
 * Where the tiers live: a namespace per tier (stage 4's networks, in Kubernetes' terms), each
 * enforcing a Pod Security level. With NetworkPolicies, each denies all traffic in and out by
 * default and lets pods resolve names; then exactly the flows the stage needs (flows.ts), each
 * allowed at both ends. The Docker builder's Tiers are networks.
 */
export class Tiers extends pulumi.ComponentResource {
    readonly namespaces = new Map<KubeNamespace, k8s.core.v1.Namespace>();
    readonly policies: k8s.networking.v1.NetworkPolicy[] = [];
    private readonly stage: StageNumber;

    constructor(private readonly name: string, args: TiersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Tiers", name, {}, opts);
        this.stage = args.stage;
        for (const namespace of args.namespaces) {
            const ns = new k8s.core.v1.Namespace(`${name}-${namespace}`, {
                metadata: { name: namespace, labels: { ...labLabels(args.stage, tierOfNamespace(namespace)), ...podSecurityLabels(args.podSecurity) } },
            }, objectOptions(this));
            this.namespaces.set(namespace, ns);
            if (!args.policies) continue;
            // Selects every pod, allows nothing: what the flows below do not open stays shut.
            this.policy(namespace, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, "deny all traffic in and out unless another policy allows it");
            this.policy(namespace, "allow-dns", {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ namespaceSelector: nsSelector(KUBERNETES.dns.namespace), podSelector: { matchLabels: { ...KUBERNETES.dns.podLabels } } }],
                    ports: [{ protocol: "UDP", port: KUBERNETES.dns.port }, { protocol: "TCP", port: KUBERNETES.dns.port }],
                }],
            }, "every pod resolves names through the cluster's DNS");
        }
        for (const flow of args.policies?.flows ?? []) this.allow(flow);
        for (const flow of args.policies?.external ?? []) this.allowExternal(flow);
        this.registerOutputs({});
    }

    /** What every object inside a namespace waits for, so no pod starts unfenced. */
    get ready(): pulumi.Resource[] {
        return [...this.namespaces.values(), ...this.policies];
    }

    private policy(namespace: KubeNamespace, id: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec, why: string) {
        const ns = this.namespaces.get(namespace);
        if (!ns) throw new Error(`a NetworkPolicy in ${namespace}, which this stage does not create`);
        const created = new k8s.networking.v1.NetworkPolicy(`${this.name}-${namespace}-${id}`, {
            metadata: { name: id, namespace, labels: labLabels(this.stage, tierOfNamespace(namespace)), annotations: { "devsecops-journey/why": why } },
            spec,
        }, objectOptions(this, [ns]));
        this.policies.push(created);
        return created;
    }

    /** A flow is open only when both ends allow it: egress at the source, ingress at the destination. */
    private allow(flow: Flow) {
        const { from, to, port } = flow;
        const peer = (end: Flow["from"]) => ({ namespaceSelector: nsSelector(end.namespace), podSelector: { matchLabels: selectorOf(end.service) } });
        const ports = [{ protocol: "TCP", port }];
        const remote = (end: Flow["from"], here: KubeNamespace) => end.namespace === here ? end.service : `${end.service}-${end.namespace}`;
        this.policy(from.namespace, `allow-${from.service}-to-${remote(to, from.namespace)}-${port}`, {
            podSelector: { matchLabels: selectorOf(from.service) },
            policyTypes: ["Egress"],
            egress: [{ to: [peer(to)], ports }],
        }, flow.why);
        this.policy(to.namespace, `allow-${to.service}-from-${remote(from, to.namespace)}-${port}`, {
            podSelector: { matchLabels: selectorOf(to.service) },
            policyTypes: ["Ingress"],
            ingress: [{ from: [peer(from)], ports }],
        }, flow.why);
    }

    private allowExternal(flow: ExternalFlow) {
        const ports = pulumi.output(flow.ports).apply((list) => list.map((port) => ({ protocol: "TCP", port })));
        const peers = flow.cidrs === undefined
            ? pulumi.output([{ ipBlock: { cidr: "0.0.0.0/0" } }])
            : pulumi.output(flow.cidrs).apply((cidrs) => cidrs.map((cidr) => ({ ipBlock: { cidr } })));
        this.policy(flow.pod.namespace, `allow-${flow.pod.service}-${flow.direction}-external`, {
            podSelector: { matchLabels: selectorOf(flow.pod.service) },
            policyTypes: [flow.direction === "ingress" ? "Ingress" : "Egress"],
            ...(flow.direction === "ingress" ? { ingress: [{ from: peers, ports }] } : { egress: [{ to: peers, ports }] }),
        }, flow.why);
    }
}
