/**
 * A stage's topology as a reader sees it, read from the resources the program registers under
 * mocks (lab/record.ts): the groups things live in (Docker networks, Kubernetes namespaces), the
 * servers, what the host can reach (published ports) and who talks to whom (data flows). The docs'
 * diagrams and the CLI's `diff` are drawn from this, so they cannot drift from the program.
 */
import { APP_ENV, LABELS, SERVICES, VAULT } from "../program/names";
import { REPLICA_ENV } from "../renderers/postgres";
import { VAULT_BOOTSTRAP_ENV } from "../renderers/vault";
import { CHAOS_ENV } from "../renderers/chaos";
import { BACKUP_ENV, DRILL_ENV } from "../renderers/postgres-backup";
import type { Target } from "../profiles/profile";
import type { RecordedResource } from "./record";

export const RESOURCE_TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    namespace: "kubernetes:core/v1:Namespace",
    service: "kubernetes:core/v1:Service",
    workloads: [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:apps/v1:DaemonSet",
        "kubernetes:batch/v1:Job",
        "kubernetes:batch/v1:CronJob",
    ],
} as const;

export type NodeRole = "app" | "database" | "cache" | "load-balancer" | "secrets" | "job" | "other";

export interface TopologyGroup {
    readonly id: string;
    /** The Docker network's or namespace's own name. */
    readonly name: string;
    readonly kind: "network" | "namespace";
    /** Notes a reader needs: "internal", a subnet, a Pod Security level. */
    readonly notes: string[];
}

export interface TopologyNode {
    readonly id: string;
    /** The container's or workload's own name (what `docker ps` / `kubectl get` shows). */
    readonly name: string;
    readonly role: NodeRole;
    /** The group it is drawn in; `alsoOn` lists the other groups it joins. */
    readonly group?: string;
    readonly alsoOn: string[];
}

export interface PublishedPort {
    readonly node: string;
    /** "0.0.0.0:8081" or "127.0.0.1:8443" (Docker), "nodePort 30080" (Kubernetes). */
    readonly host: string;
    readonly port: number;
}

export interface Flow {
    readonly from: string;
    readonly to: string;
    readonly what: string;
}

export interface Topology {
    readonly target: Target;
    readonly groups: TopologyGroup[];
    readonly nodes: TopologyNode[];
    readonly published: PublishedPort[];
    readonly flows: Flow[];
}

/** What a flow carries, by the environment key that wires it (names from the contract). */
const FLOW_BY_ENV: Record<string, string> = {
    [APP_ENV.dbPrimaryHost]: "writes (SQL)",
    [APP_ENV.dbReplicaHost]: "reads (SQL)",
    [APP_ENV.redisHost]: "cache-aside",
    [VAULT.env.addr]: "reads its credentials",
    [REPLICA_ENV.primaryHost]: "streaming replication",
    [BACKUP_ENV.primaryHost]: "base backups (replication protocol)",
    [DRILL_ENV.primaryHost]: "reads (SQL) to check its restore",
};
const BOOTSTRAP_FLOW = "writes secrets and the app's policy";

function roleOf(name: string, labels: Record<string, string>): NodeRole {
    if (labels[LABELS.role] === "job") return "job";
    if (name === SERVICES.nginx || name.startsWith(`${SERVICES.nginx}-`)) return "load-balancer";
    if (name.startsWith("postgres")) return "database";
    if (name === SERVICES.redis || name.startsWith(`${SERVICES.redis}-`)) return "cache";
    if (name === SERVICES.vault) return "secrets";
    if (name === SERVICES.app || /^app(-|$)/.test(name)) return "app";
    return "other";
}

const labelsOf = (r: RecordedResource): Record<string, string> =>
    Object.fromEntries(((r.inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]));

const envsOf = (entries: readonly string[] | undefined): [string, string][] =>
    (entries ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]);

/** Host names in a value: "postgres-primary", "http://vault:8200" -> "vault". */
const hostTokens = (value: string) => value.split(/[^a-zA-Z0-9.-]+/).filter(Boolean);

function pushFlow(flows: Flow[], flow: Flow): void {
    if (flow.from === flow.to) return;
    if (!flows.some((f) => f.from === flow.from && f.to === flow.to && f.what === flow.what)) flows.push(flow);
}

export function topologyOf(target: Target, resources: readonly RecordedResource[]): Topology {
    return target === "kubernetes" ? kubernetesTopology(resources) : dockerTopology(resources);
}

// ---------------------------------------------------------------- Docker

/** The DNS names a Prometheus config scrapes (dns_sd_configs' `names:` lists). */
export function prometheusTargets(conf: string): string[] {
    const hosts: string[] = [];
    for (const m of conf.matchAll(/^\s*names:\s*\n((?:\s*- [^\n]+\n?)+)/gm)) {
        for (const line of m[1].split("\n")) {
            const host = /^\s*- ([a-zA-Z0-9.-]+)\s*$/.exec(line)?.[1];
            if (host) hosts.push(host);
        }
    }
    return hosts;
}

/** The nginx upstream servers named in a config text ("server app-1:8080 ..."). */
export function nginxUpstreamHosts(conf: string): string[] {
    const hosts: string[] = [];
    for (const block of conf.matchAll(/upstream\s+\S+\s*\{([^}]*)\}/g)) {
        for (const m of block[1].matchAll(/^\s*server\s+([a-zA-Z0-9.-]+):\d+/gm)) hosts.push(m[1]);
    }
    return hosts;
}

function dockerTopology(resources: readonly RecordedResource[]): Topology {
    const networks = resources.filter((r) => r.type === RESOURCE_TYPES.network);
    const containers = resources.filter((r) => r.type === RESOURCE_TYPES.container);
    const byNetworkName = new Map(networks.map((n) => [n.inputs.name as string, n]));
    // A container is drawn as its service (its Docker name without the stage's prefix), whatever its
    // component calls it: that is the name a learner types and the one the other containers resolve.
    const idOf = (c: RecordedResource): string => String(c.inputs.name ?? c.name).replace(/^devsecops-s\d+-/, "");
    const groups: TopologyGroup[] = networks.map((n) => ({
        id: n.name,
        name: n.inputs.name,
        kind: "network",
        notes: [
            ...(n.inputs.internal ? ["internal"] : []),
            ...((n.inputs.ipamConfigs ?? []) as { subnet?: string }[]).flatMap((c) => (c.subnet ? [c.subnet] : [])),
        ],
    }));

    // Seed containers only carry files into volumes: their uploads belong to whoever mounts the volume.
    const seeds = containers.filter((c) => labelsOf(c)[LABELS.role] === "files");
    const servers = containers.filter((c) => labelsOf(c)[LABELS.role] !== "files");
    const filesOf = (c: RecordedResource): string[] => {
        const own = ((c.inputs.uploads ?? []) as { content?: string }[]).map((u) => u.content ?? "");
        const volumes = new Set(((c.inputs.volumes ?? []) as { volumeName?: string }[]).map((v) => v.volumeName));
        const seeded = seeds
            .filter((s) => ((s.inputs.volumes ?? []) as { volumeName?: string }[]).some((v) => volumes.has(v.volumeName)))
            .flatMap((s) => ((s.inputs.uploads ?? []) as { content?: string }[]).map((u) => u.content ?? ""));
        return [...own, ...seeded];
    };

    const nodes: TopologyNode[] = servers.map((c) => {
        const labels = labelsOf(c);
        const attached = ((c.inputs.networksAdvanced ?? []) as { name: string }[])
            .map((a) => byNetworkName.get(a.name))
            .filter((n): n is RecordedResource => n !== undefined);
        // Drawn in the network of its own tier (stage 4), else the first it joins.
        const home = (attached.find((n) => labelsOf(n)[LABELS.tier] === labels[LABELS.tier]) ?? attached[0])?.name;
        return { id: idOf(c), name: c.inputs.name ?? c.name, role: roleOf(idOf(c), labels), group: home, alsoOn: attached.map((n) => n.name).filter((a) => a !== home) };
    });

    // A name resolves to the containers that answer it on a network: their aliases and host name.
    const answers = new Map<string, string[]>();
    for (const c of servers) {
        const names = new Set<string>([idOf(c), ...((c.inputs.networksAdvanced ?? []) as { aliases?: string[]; ipv4Address?: string }[])
            .flatMap((a) => [...(a.aliases ?? []), ...(a.ipv4Address ? [a.ipv4Address] : [])])]);
        if (c.inputs.hostname) names.add(c.inputs.hostname);
        for (const n of names) answers.set(n, [...(answers.get(n) ?? []), idOf(c)]);
    }

    const published: PublishedPort[] = servers.flatMap((c) =>
        ((c.inputs.ports ?? []) as { ip?: string; external?: number; internal: number }[])
            .filter((p) => p.external !== undefined)
            .map((p) => ({ node: idOf(c), host: `${p.ip ?? "0.0.0.0"}:${p.external}`, port: p.internal })));

    const flows: Flow[] = [];
    for (const c of servers) {
        const isJob = labelsOf(c)[LABELS.role] === "job";
        for (const [key, value] of envsOf(c.inputs.envs)) {
            const what = key === VAULT_BOOTSTRAP_ENV.addr && isJob ? BOOTSTRAP_FLOW : FLOW_BY_ENV[key];
            if (!what) continue;
            for (const token of hostTokens(value)) {
                for (const to of answers.get(token) ?? []) pushFlow(flows, { from: idOf(c), to, what });
            }
        }
        for (const conf of filesOf(c)) {
            for (const host of nginxUpstreamHosts(conf)) {
                for (const to of answers.get(host) ?? []) pushFlow(flows, { from: idOf(c), to, what: "proxies HTTP" });
            }
        }
    }
    return { target: "docker", groups, nodes, published, flows };
}

// ---------------------------------------------------------------- Kubernetes

interface K8sMeta { name?: string; namespace?: string; labels?: Record<string, string> }

function k8sTopology(resources: readonly RecordedResource[]) {
    const meta = (r: RecordedResource): K8sMeta => r.inputs.metadata ?? {};
    const nameOf = (r: RecordedResource) => meta(r).name ?? r.name;
    const namespaces = resources.filter((r) => r.type === RESOURCE_TYPES.namespace);
    const workloads = resources.filter((r) => (RESOURCE_TYPES.workloads as readonly string[]).includes(r.type));
    const services = resources.filter((r) => r.type === RESOURCE_TYPES.service);
    return { meta, nameOf, namespaces, workloads, services };
}

/** The pod template of a workload (a CronJob nests it one level deeper). */
function podTemplate(r: RecordedResource): { labels: Record<string, string>; containers: { env?: { name: string; value?: string }[] }[] } {
    const spec = r.inputs.spec ?? {};
    const template = spec.template ?? spec.jobTemplate?.spec?.template ?? {};
    return { labels: template.metadata?.labels ?? {}, containers: [...(template.spec?.initContainers ?? []), ...(template.spec?.containers ?? [])] };
}

function kubernetesTopology(resources: readonly RecordedResource[]): Topology {
    const { meta, nameOf, namespaces, workloads, services } = k8sTopology(resources);
    const groups: TopologyGroup[] = namespaces.map((n) => {
        const labels = meta(n).labels ?? {};
        const pss = labels["pod-security.kubernetes.io/enforce"];
        return { id: `ns-${nameOf(n)}`, name: nameOf(n), kind: "namespace", notes: pss ? [`Pod Security ${pss}`] : [] };
    });
    const known = new Set(groups.map((g) => g.name));
    const id = (ns: string | undefined, name: string) => `${ns ?? "default"}/${name}`;
    const nodes: TopologyNode[] = workloads.map((w) => {
        const ns = meta(w).namespace;
        const labels = meta(w).labels ?? {};
        const name = nameOf(w);
        return {
            id: id(ns, name),
            name,
            role: w.type.endsWith(":Job") || w.type.endsWith(":CronJob") ? "job" : roleOf(name, labels),
            group: ns && known.has(ns) ? `ns-${ns}` : undefined,
            alsoOn: [],
        };
    });
    // A Service selects workloads by their pod labels; a name resolves to the workloads behind it.
    const selected = (svc: RecordedResource): string[] => {
        const selector: Record<string, string> = svc.inputs.spec?.selector ?? {};
        if (Object.keys(selector).length === 0) return [];
        return workloads
            .filter((w) => meta(w).namespace === meta(svc).namespace)
            .filter((w) => Object.entries(selector).every(([k, v]) => podTemplate(w).labels[k] === v))
            .map((w) => id(meta(w).namespace, nameOf(w)));
    };
    const answers = new Map<string, string[]>();
    for (const svc of services) {
        const name = nameOf(svc);
        const ns = meta(svc).namespace ?? "default";
        for (const dns of [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`]) {
            answers.set(dns, [...(answers.get(dns) ?? []), ...selected(svc)]);
        }
    }
    const published: PublishedPort[] = services
        .filter((svc) => svc.inputs.spec?.type === "NodePort" || svc.inputs.spec?.type === "LoadBalancer")
        .flatMap((svc) => ((svc.inputs.spec?.ports ?? []) as { port: number; targetPort?: number; nodePort?: number }[])
            .flatMap((p) => selected(svc).map((node) => ({
                node, host: p.nodePort ? `nodePort ${p.nodePort}` : `service ${nameOf(svc)}:${p.port}`, port: Number(p.targetPort ?? p.port),
            }))));
    const flows: Flow[] = [];
    for (const w of workloads) {
        const from = id(meta(w).namespace, nameOf(w));
        const isJob = w.type.endsWith(":Job") || w.type.endsWith(":CronJob");
        for (const c of podTemplate(w).containers) {
            for (const e of c.env ?? []) {
                const what = e.name === VAULT_BOOTSTRAP_ENV.addr && isJob ? BOOTSTRAP_FLOW : FLOW_BY_ENV[e.name];
                if (!what || typeof e.value !== "string") continue;
                for (const token of hostTokens(e.value)) {
                    for (const to of answers.get(token) ?? []) pushFlow(flows, { from, to, what });
                }
            }
        }
        // Config files sit in ConfigMaps of the workload's namespace: Nginx's upstreams, Prometheus's targets.
        const confs = resources
            .filter((r) => r.type === "kubernetes:core/v1:ConfigMap" && meta(r).namespace === meta(w).namespace)
            .flatMap((r) => Object.values((r.inputs.data ?? {}) as Record<string, string>));
        const name = nameOf(w);
        for (const conf of confs) {
            const [hosts, what] = roleOf(name, {}) === "load-balancer"
                ? [nginxUpstreamHosts(conf), "proxies HTTP"]
                : name === "prometheus" ? [prometheusTargets(conf), "scrapes metrics"] : [[], ""];
            for (const host of hosts) for (const to of answers.get(host) ?? []) pushFlow(flows, { from, to, what });
        }
        // A chaos job names the namespace and the pod labels it kills.
        for (const c of podTemplate(w).containers) {
            const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
            const ns = env[CHAOS_ENV.namespace];
            const [key, value] = (env[CHAOS_ENV.selector] ?? "").split("=");
            if (!ns || !key) continue;
            for (const target of workloads.filter((t) => meta(t).namespace === ns && podTemplate(t).labels[key] === value)) {
                pushFlow(flows, { from, to: id(ns, nameOf(target)), what: "deletes a random pod" });
            }
        }
    }
    return { target: "kubernetes", groups, nodes, published, flows };
}
