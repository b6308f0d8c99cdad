import { ProgramRun, RecordedResource, runProgram } from "../support/mocks";
import { KIND_CLUSTER_OBJECTS } from "../../lab/record";
import { apiServerEndpoints } from "../../builders/kubernetes/flows";
import * as assert from "node:assert/strict";
import { KUBERNETES, LABELS } from "../../program/names";
import { KUBE_TYPES, containersOf, kind, podTemplate, workloads } from "../support/kube";

/**
 * Which pod-to-pod flows the NetworkPolicies allow, computed from the policies themselves (the
 * semantics of networking.k8s.io/v1: a pod is isolated for a direction once any policy of that type
 * selects it; a flow needs the source's egress and the destination's ingress), and compared with
 * the flows the lab intends. Nothing here reads the builder's flow list.
 */

interface Endpoint {
    /** "namespace/service", "external" (outside the cluster) or "api-server". */
    readonly id: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    /** TCP/UDP ports it listens on. */
    readonly ports: { port: number; protocol: string; name?: string }[];
    readonly pod: boolean;
    /** Outside the pod network: its address, as a NetworkPolicy sees it (after kube-proxy's DNAT). */
    readonly address?: string;
}

interface Selector { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }

function matches(selector: Selector | undefined, labels: Record<string, string>): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = e.key in labels;
        const ok = e.operator === "In" ? has && e.values!.includes(labels[e.key])
            : e.operator === "NotIn" ? !has || !e.values!.includes(labels[e.key])
                : e.operator === "Exists" ? has : !has;
        if (!ok) return false;
    }
    return true;
}

/** The pods of a stage (one per workload) plus the cluster's DNS, the outside world and the API server. */
function endpointsOf(run: ProgramRun): Endpoint[] {
    const pods: Endpoint[] = workloads(run).map((w) => {
        const labels = podTemplate(w).metadata.labels;
        const namespace = w.inputs.metadata.namespace;
        const ports = containersOf(w).flatMap((c) => (c.ports ?? []).map((p: any) => ({ port: p.containerPort, protocol: p.protocol ?? "TCP", name: p.name })));
        return { id: `${namespace}/${labels[LABELS.service]}`, namespace, labels, ports, pod: true };
    });
    const dns: Endpoint = {
        id: `${KUBERNETES.dns.namespace}/kube-dns`, namespace: KUBERNETES.dns.namespace, labels: { ...KUBERNETES.dns.podLabels },
        ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }], pod: true,
    };
    // The API server as a pod's packet reaches it after DNAT: the endpoint the cluster's
    // default/kubernetes EndpointSlice names (the mocks hold kind's). "elsewhere" is any other host
    // serving the same ports (another cluster's API, a server an attacker runs).
    const slice = KIND_CLUSTER_OBJECTS["kubernetes:discovery.k8s.io/v1:EndpointSlice default/kubernetes"] as any;
    const https = [{ port: 6443, protocol: "TCP" }, { port: 443, protocol: "TCP" }];
    return [...pods, dns, { id: "external", ports: [], pod: false, address: "203.0.113.7" },
        { id: "api-server", ports: https, pod: false, address: slice.endpoints[0].addresses[0] },
        { id: "elsewhere", ports: https, pod: false, address: "198.51.100.20" }];
}

/** Whether an IPv4 CIDR (with its `except` list) holds an address. */
function inBlock(block: { cidr: string; except?: string[] }, address: string): boolean {
    const toInt = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const within = (cidr: string) => {
        const [base, bits] = cidr.split("/");
        const size = 2 ** (32 - Number(bits));
        return Math.floor(toInt(address) / size) === Math.floor(toInt(base) / size);
    };
    return within(block.cidr) && !(block.except ?? []).some(within);
}

/** Namespace labels as the API server sets them: the lab's, plus kubernetes.io/metadata.name. */
function namespaceLabels(run: ProgramRun): Map<string, Record<string, string>> {
    const map = new Map<string, Record<string, string>>();
    for (const ns of kind(run, KUBE_TYPES.namespace)) {
        map.set(ns.inputs.metadata.name, { ...ns.inputs.metadata.labels, [KUBERNETES.namespaceNameLabel]: ns.inputs.metadata.name });
    }
    map.set("kube-system", { [KUBERNETES.namespaceNameLabel]: "kube-system" });
    return map;
}

/**
 * Whether a peer (from/to entry) admits an endpoint, seen from a policy in `policyNamespace`. An
 * ipBlock admits what is outside the pod network; conservatively it admits pods too (whether an
 * ipBlock matches pod addresses is up to the network plugin), so the table over-approximates.
 */
function peerAdmits(peer: any, ep: Endpoint, policyNamespace: string, nsLabels: Map<string, Record<string, string>>): boolean {
    if (peer.ipBlock) return ep.pod || inBlock(peer.ipBlock, ep.address!);
    if (!ep.pod) return false;
    const inNamespace = peer.namespaceSelector
        ? matches(peer.namespaceSelector, nsLabels.get(ep.namespace!) ?? {})
        : ep.namespace === policyNamespace;
    return inNamespace && matches(peer.podSelector, ep.labels!);
}

function portAdmits(ports: any[] | undefined, port: { port: number; protocol: string; name?: string }): boolean {
    if (!ports || ports.length === 0) return true;
    return ports.some((p) => (p.protocol ?? "TCP") === port.protocol
        && (p.port === undefined || p.port === port.port || (typeof p.port === "string" && p.port === port.name)
            || (p.endPort !== undefined && port.port >= p.port && port.port <= p.endPort)));
}

/** Does `direction` traffic of `subject` to/from `peer` on `port` pass the policies of subject's namespace? */
function allowedAt(policies: RecordedResource[], direction: "Ingress" | "Egress", subject: Endpoint, peer: Endpoint,
    port: { port: number; protocol: string; name?: string }, nsLabels: Map<string, Record<string, string>>): boolean {
    if (!subject.pod) return true; // outside the cluster: no NetworkPolicy applies
    const selecting = policies.filter((p) => p.inputs.metadata.namespace === subject.namespace
        && (p.inputs.spec.policyTypes ?? ["Ingress"]).includes(direction)
        && matches(p.inputs.spec.podSelector, subject.labels!));
    if (selecting.length === 0) return true; // not isolated in this direction
    const rules = selecting.flatMap((p) => (direction === "Ingress" ? p.inputs.spec.ingress : p.inputs.spec.egress) ?? []);
    return rules.some((rule: any) => {
        const peers = direction === "Ingress" ? rule.from : rule.to;
        const peerOk = !peers || peers.length === 0 || peers.some((x: any) => peerAdmits(x, peer, subject.namespace!, nsLabels));
        return peerOk && portAdmits(rule.ports, port);
    });
}

/** Every allowed flow, as "from -> to:port/proto". */
function allowedFlows(run: ProgramRun, policies = kind(run, KUBE_TYPES.networkPolicy)): Set<string> {
    const endpoints = endpointsOf(run);
    const nsLabels = namespaceLabels(run);
    const lab = (e: Endpoint) => e.pod && nsLabels.get(e.namespace!)?.[LABELS.project] !== undefined;
    const flows = new Set<string>();
    for (const from of endpoints) {
        for (const to of endpoints) {
            // The lab's policies govern what its pods send, and what reaches them from outside; not
            // what kube-system or the outside world do among themselves.
            if (from === to || !(lab(from) || (from.id === "external" && lab(to)))) continue;
            for (const port of to.ports) {
                if (allowedAt(policies, "Egress", from, to, port, nsLabels) && allowedAt(policies, "Ingress", to, from, port, nsLabels)) {
                    flows.add(`${from.id} -> ${to.id}:${port.port}${port.protocol === "TCP" ? "" : `/${port.protocol}`}`);
                }
            }
        }
    }
    return flows;
}

const dnsFlows = (pods: string[]) => pods.flatMap((p) => [`${p} -> kube-system/kube-dns:53`, `${p} -> kube-system/kube-dns:53/UDP`]);

const STAGE5_PODS = ["devsecops-edge/nginx", "devsecops-app/app", "devsecops-data/postgres-primary", "devsecops-data/postgres-replica",
    "devsecops-data/redis", "devsecops-data/vault", "devsecops-data/vault-bootstrap"];
const STAGE5_FLOWS = [
    "external -> devsecops-edge/nginx:8443",
    "devsecops-edge/nginx -> devsecops-app/app:8080",
    "devsecops-app/app -> devsecops-data/postgres-primary:5432",
    "devsecops-app/app -> devsecops-data/postgres-replica:5432",
    "devsecops-app/app -> devsecops-data/redis:6379",
    "devsecops-app/app -> devsecops-data/vault:8200",
    "devsecops-data/postgres-replica -> devsecops-data/postgres-primary:5432",
    "devsecops-data/vault-bootstrap -> devsecops-data/vault:8200",
    ...dnsFlows(STAGE5_PODS),
];
const STAGE6_PODS = [...STAGE5_PODS, "devsecops-app-2/app", "devsecops-ops/prometheus", "devsecops-ops/chaos",
    "devsecops-data/postgres-backup", "devsecops-data/postgres-restore-drill"];
const STAGE6_FLOWS = [
    ...STAGE5_FLOWS.filter((f) => !f.includes("kube-dns")),
    "devsecops-edge/nginx -> devsecops-app-2/app:8080",
    "devsecops-app-2/app -> devsecops-data/postgres-primary:5432",
    "devsecops-app-2/app -> devsecops-data/postgres-replica:5432",
    "devsecops-app-2/app -> devsecops-data/redis:6379",
    "devsecops-app-2/app -> devsecops-data/vault:8200",
    "devsecops-ops/prometheus -> devsecops-app/app:8080",
    "devsecops-ops/prometheus -> devsecops-app-2/app:8080",
    "devsecops-ops/prometheus -> devsecops-edge/nginx:9113",
    "devsecops-ops/chaos -> api-server:6443",
    "devsecops-data/postgres-backup -> devsecops-data/postgres-primary:5432",
    "devsecops-data/postgres-restore-drill -> devsecops-data/postgres-primary:5432",
    ...dnsFlows(STAGE6_PODS),
];

/** Flows that must stay shut: the ones an attacker on a compromised pod would try first. */
const BLOCKED = [
    "external -> devsecops-app/app:8080",
    "external -> devsecops-edge/nginx:8080",
    "external -> devsecops-data/postgres-primary:5432",
    "devsecops-edge/nginx -> devsecops-data/postgres-primary:5432",
    "devsecops-edge/nginx -> devsecops-data/postgres-replica:5432",
    "devsecops-edge/nginx -> devsecops-data/redis:6379",
    "devsecops-edge/nginx -> devsecops-data/vault:8200",
    "devsecops-app/app -> devsecops-app/app:8080",
    "devsecops-app/app -> devsecops-edge/nginx:8443",
    "devsecops-data/postgres-primary -> devsecops-app/app:8080",
    "devsecops-data/postgres-primary -> devsecops-data/postgres-replica:5432",
    "devsecops-data/redis -> devsecops-data/postgres-primary:5432",
    "devsecops-data/vault -> devsecops-data/postgres-primary:5432",
    "devsecops-data/vault-bootstrap -> devsecops-data/postgres-primary:5432",
    "devsecops-data/postgres-replica -> devsecops-data/vault:8200",
    "devsecops-app/app -> api-server:6443",
];
const BLOCKED6 = [
    ...BLOCKED,
    "devsecops-ops/chaos -> devsecops-app/app:8080",
    "devsecops-ops/chaos -> elsewhere:443",
    "devsecops-ops/chaos -> elsewhere:6443",
    "devsecops-ops/chaos -> api-server:443",
    "devsecops-ops/prometheus -> devsecops-data/postgres-primary:5432",
    "devsecops-ops/prometheus -> devsecops-data/vault:8200",
    "devsecops-app/app -> devsecops-app-2/app:8080",
    "devsecops-app-2/app -> devsecops-ops/prometheus:9090",
    "devsecops-edge/nginx -> devsecops-ops/prometheus:9090",
    // The backup jobs reach the primary, nothing else: not the replica, the cache or the secret store.
    "devsecops-data/postgres-backup -> devsecops-data/postgres-replica:5432",
    "devsecops-data/postgres-backup -> devsecops-data/vault:8200",
    "devsecops-data/postgres-restore-drill -> devsecops-data/redis:6379",
    "devsecops-app/app -> devsecops-data/postgres-backup:5432",
];

for (const [stage, intended, blocked] of [["5", STAGE5_FLOWS, BLOCKED], ["6", STAGE6_FLOWS, BLOCKED6]] as const) {
    describe(`stage ${stage}'s NetworkPolicies, evaluated`, () => {
        let run: ProgramRun;
        let allowed: Set<string>;
        before(async () => {
            run = await runProgram({ stage });
            allowed = allowedFlows(run);
        });

        it("allow exactly the intended flows (and DNS for every pod)", () => {
            assert.deepEqual([...allowed].sort(), [...intended].sort());
        });

        it("really block what must stay shut", () => {
            for (const flow of blocked) assert.equal(allowed.has(flow), false, flow);
        });

        it("deny by default in both directions in every namespace", () => {
            for (const ns of kind(run, KUBE_TYPES.namespace).map((n) => n.inputs.metadata.name)) {
                const deny = kind(run, KUBE_TYPES.networkPolicy).filter((p) => p.inputs.metadata.namespace === ns && p.inputs.metadata.name === "default-deny");
                assert.equal(deny.length, 1, ns);
                assert.deepEqual(deny[0].inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, ns);
            }
        });

        it("would open a flow if a policy were missing its other half (the evaluator is not vacuous)", () => {
            const policies = kind(run, KUBE_TYPES.networkPolicy);
            const withoutDeny = policies.filter((p) => !(p.inputs.metadata.namespace === "devsecops-data"));
            // With no policy at all in the data namespace, its pods are not isolated for ingress:
            // nginx still cannot get out (its own egress is fenced), the app reaches more ports.
            const open = allowedFlows(run, withoutDeny);
            assert.equal(open.has("devsecops-edge/nginx -> devsecops-data/postgres-primary:5432"), false);
            assert.equal(open.has("devsecops-app/app -> devsecops-data/postgres-primary:5432"), true);
            const noEdgeEgress = policies.filter((p) => !(p.inputs.metadata.namespace === "devsecops-edge" && p.inputs.spec.policyTypes.includes("Egress")));
            const noData = noEdgeEgress.filter((p) => p.inputs.metadata.namespace !== "devsecops-data");
            assert.equal(allowedFlows(run, noData).has("devsecops-edge/nginx -> devsecops-data/postgres-primary:5432"), true,
                "without the edge's egress fence and the data tier's policies, the edge reaches the database");
        });
    });
}

describe("the API server's endpoints, read from default/kubernetes (builders/kubernetes/flows.ts)", () => {
    it("are the slice's addresses as host CIDRs and its TCP ports", () => {
        const slice = KIND_CLUSTER_OBJECTS["kubernetes:discovery.k8s.io/v1:EndpointSlice default/kubernetes"] as any;
        assert.deepEqual(apiServerEndpoints(slice), { cidrs: ["172.18.0.2/32"], ports: [6443] });
        assert.deepEqual(apiServerEndpoints({ addressType: "IPv6", endpoints: [{ addresses: ["fc00:f853:ccd:e793::2"] }], ports: [{ port: 6443 }] }),
            { cidrs: ["fc00:f853:ccd:e793::2/128"], ports: [6443] });
        // Three control-plane nodes: three addresses, one port.
        assert.deepEqual(apiServerEndpoints({ endpoints: [{ addresses: ["10.0.0.12"] }, { addresses: ["10.0.0.11"] }, { addresses: ["10.0.0.13"] }], ports: [{ port: 6443, protocol: "TCP" }] }).cidrs,
            ["10.0.0.11/32", "10.0.0.12/32", "10.0.0.13/32"]);
    });

    it("refuses an empty slice in one line naming the context setting, rather than opening nothing or everything", () => {
        assert.throws(() => apiServerEndpoints({ endpoints: [], ports: [{ port: 6443 }] }), /^Error: the cluster's default\/kubernetes EndpointSlice names no API server address and port: .*devsecops:kubeContext/);
        assert.throws(() => apiServerEndpoints({ endpoints: [{ addresses: ["10.0.0.1"] }] }), /names no API server address and port/);
    });
});
