/**
 * A stage's threat model, generated from the program's own topology (lab/topology.ts): its trust
 * boundaries are the groups (Docker networks, Kubernetes namespaces) and the host, its flows the
 * ones the topology reads from the resources, and each flow, entry point and server gets the
 * STRIDE threats that apply to it. Every threat names the control that answers it: a policy of the
 * pack (covered from the stage where the pack makes it mandatory: `pulumi up` cannot create the
 * stage without it), or a fact of the stage's own resources with the test that proves the control
 * works. Anything else is marked open. So the model grows as the topology grows, and it closes as
 * the journey adds controls; a test checks each "covered" and "open" against the pack's own verdict
 * (test/docs/threats.test.ts).
 */
import { APP_ENV } from "../app/src/contract";
import { LAB_POLICIES } from "../policy-pack/policies";
import { enforcementAt } from "../policy-pack/stage-config";
import { REPLICA_ENV } from "../renderers/postgres";
import type { StageProfile, Target } from "../profiles/profile";
import type { RecordedResource } from "./record";
import { RESOURCE_TYPES, Topology, TopologyNode } from "./topology";

export const STRIDE = {
    S: "Spoofing",
    T: "Tampering",
    R: "Repudiation",
    I: "Information disclosure",
    D: "Denial of service",
    E: "Elevation of privilege",
} as const;
export type Stride = keyof typeof STRIDE;

/** What answers a threat. */
export interface Control {
    readonly what: string;
    /** The pack's policies that enforce it, per target (none: the control is a fact of the stage). */
    readonly policies?: Partial<Record<Target, readonly string[]>>;
    /** The test that shows the control works against a real server (a path of this repository). */
    readonly evidence?: string;
}

export interface Threat {
    readonly rule: string;
    readonly stride: Stride;
    /** "host → nginx", "app → postgres-primary: writes (SQL)", "nginx". */
    readonly subject: string;
    /** The trust boundary it crosses ("host → devsecops-s4-edge"), if any. */
    readonly boundary?: string;
    readonly threat: string;
    readonly control: Control;
    readonly covered: boolean;
    /** The Pulumi names of the resources it is about: where the pack would report it. */
    readonly resources: readonly string[];
}

/** What the rules read: the stage's profile, topology and resources. */
export interface ThreatContext {
    readonly profile: StageProfile;
    readonly topology: Topology;
    readonly resources: readonly RecordedResource[];
}

// ---------------------------------------------------------------- facts read off the resources

/** The workload or container a topology node stands for. */
export function resourceOf(ctx: ThreatContext, node: TopologyNode): RecordedResource | undefined {
    if (ctx.topology.target === "docker") {
        return ctx.resources.find((r) => r.type === RESOURCE_TYPES.container && (r.inputs.name ?? r.name) === node.name);
    }
    const [ns, name] = node.id.split("/");
    return ctx.resources.find((r) => (RESOURCE_TYPES.workloads as readonly string[]).includes(r.type)
        && r.inputs.metadata?.name === name && (r.inputs.metadata?.namespace ?? "default") === ns);
}

/** A node's environment: Docker's `envs`, or every container's `env` values in a pod template. */
export function envOf(ctx: ThreatContext, node: TopologyNode): Record<string, string> {
    const r = resourceOf(ctx, node);
    if (!r) return {};
    if (ctx.topology.target === "docker") {
        return Object.fromEntries(((r.inputs.envs ?? []) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    }
    const spec = r.inputs.spec ?? {};
    const pod = (spec.template ?? spec.jobTemplate?.spec?.template ?? {}).spec ?? {};
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as { env?: { name: string; value?: string }[] }[];
    return Object.fromEntries(containers.flatMap((c) => c.env ?? []).filter((e) => typeof e.value === "string").map((e) => [e.name, e.value as string]));
}

/**
 * Every configuration the stage hands its servers: files (Docker uploads, ConfigMaps) and command
 * lines (Postgres takes its settings as `-c key=value`), an argument per line.
 */
function filesOf(ctx: ThreatContext): string[] {
    const commandLines = (r: RecordedResource): string[] => {
        const spec = r.inputs.spec ?? {};
        const pod = (spec.template ?? spec.jobTemplate?.spec?.template ?? {}).spec ?? {};
        const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as { command?: string[]; args?: string[] }[];
        return [r.inputs.command, ...containers.flatMap((c) => [c.command, c.args])]
            .filter((argv): argv is string[] => Array.isArray(argv))
            .map((argv) => argv.join("\n"));
    };
    return ctx.resources.flatMap((r) => [
        ...((r.inputs.uploads ?? []) as { content?: string }[]).map((u) => u.content ?? ""),
        ...(r.type === "kubernetes:core/v1:ConfigMap" ? Object.values((r.inputs.data ?? {}) as Record<string, string>) : []),
        ...commandLines(r),
    ]);
}

const roleOfNode = (ctx: ThreatContext, id: string) => ctx.topology.nodes.find((n) => n.id === id);

/** Does the client speak TLS to this server, verifying it? Read from the client's own settings. */
function hopEncrypted(ctx: ThreatContext, from: TopologyNode, to: TopologyNode): boolean {
    const env = envOf(ctx, from);
    switch (to.role) {
        case "database":
        case "cache":
            // The app: a CA file set means TLS to Postgres and Redis, verifying them (app/src/config.ts).
            if (from.role === "app") return Boolean(env[APP_ENV.tlsCaFile]);
            // The replica: its connection to the primary says so itself.
            if (env[REPLICA_ENV.primaryHost] !== undefined) {
                return [JSON.stringify(env), ...filesOf(ctx)].some((text) => /sslmode=verify-full/.test(text));
            }
            return false;
        case "secrets":
            return Object.values(env).some((v) => /^https:\/\//.test(v)) && !Object.entries(env).some(([k, v]) => k.endsWith("ADDR") && /^http:\/\//.test(v));
        case "app":
            // The edge to the app: nginx proxying to an https:// upstream.
            return filesOf(ctx).some((conf) => /proxy_pass\s+https:\/\//.test(conf));
        default:
            return false;
    }
}

/** The audit trail a reader can follow afterwards: Postgres logging connections and DDL. */
const databaseAudited = (ctx: ThreatContext) =>
    filesOf(ctx).some((conf) => /^\s*log_connections\s*=\s*'?on/m.test(conf) && /^\s*log_statement\s*=\s*'?(ddl|mod|all)/m.test(conf));

const appAuthenticates = (ctx: ThreatContext) =>
    ctx.topology.nodes.filter((n) => n.role === "app").every((n) => envOf(ctx, n)[APP_ENV.auth] === "jwt")
    && ctx.topology.nodes.some((n) => n.role === "app");

/** The edge shares no group with a database, cache or secret store (Docker) or a default deny isolates them (Kubernetes). */
function edgeIsolated(ctx: ThreatContext, edge: TopologyNode): boolean {
    if (ctx.topology.target === "kubernetes") return ctx.profile.kubernetes?.networkPolicy === "default-deny";
    const groups = (n: TopologyNode) => [n.group, ...n.alsoOn].filter(Boolean);
    const data = ctx.topology.nodes.filter((n) => ["database", "cache", "secrets"].includes(n.role));
    return !data.some((d) => groups(d).some((g) => groups(edge).includes(g)));
}

/** The chaos job's Role may get, list and delete pods, nothing more (kubernetes.io/docs/reference/access-authn-authz/rbac). */
function chaosRoleMinimal(ctx: ThreatContext): boolean {
    const roles = ctx.resources.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role");
    const rules = roles.flatMap((r) => (r.inputs.rules ?? []) as { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[]);
    return rules.length > 0 && rules.every((rule) =>
        (rule.apiGroups ?? []).every((g) => g === "")
        && (rule.resources ?? []).every((res) => res === "pods")
        && (rule.verbs ?? []).every((v) => ["get", "list", "delete"].includes(v)));
}

// ---------------------------------------------------------------- the rules

/** A policy-backed control holds where the pack makes every one of its policies mandatory for this target. */
function enforced(ctx: ThreatContext, control: Control): boolean {
    const names = control.policies?.[ctx.topology.target] ?? [];
    return names.length > 0 && names.every((name) => {
        const policy = LAB_POLICIES.find((p) => p.meta.name === name);
        if (!policy) throw new Error(`lab/threats.ts names a policy the pack does not have: ${name}`);
        return enforcementAt(ctx.profile.stage, policy) === "mandatory";
    });
}

type Subject =
    | { readonly kind: "entry"; readonly to: TopologyNode; readonly hosts: string[] }
    | { readonly kind: "flow"; readonly from: TopologyNode; readonly to: TopologyNode; readonly what: string }
    | { readonly kind: "node"; readonly node: TopologyNode };

interface Rule {
    readonly id: string;
    readonly stride: Stride;
    readonly on: Subject["kind"];
    readonly applies: (s: any, ctx: ThreatContext) => boolean;
    readonly threat: (s: any) => string;
    readonly control: Control;
    /** For a control that is a fact of the stage (no policy): does the stage have it? */
    readonly holds?: (s: any, ctx: ThreatContext) => boolean;
}

const SQL = /SQL|replication/;
const CARRIES_CREDENTIALS = /SQL|replication|cache-aside|credentials/;
const isFront = (n: TopologyNode) => n.role === "app" || n.role === "load-balancer";
const isData = (n: TopologyNode) => ["database", "cache", "secrets"].includes(n.role);
const isServer = (n: TopologyNode) => n.role !== "job";

const RULES: readonly Rule[] = [
    // ---- the entry points: what the host (and whoever reaches it) can do
    {
        id: "entry-anonymous-writes", stride: "S", on: "entry",
        applies: (s) => isFront(s.to),
        threat: (s) => `Anyone who reaches ${label(s.to)} can write: the API does not know who is calling`,
        control: { what: "writes need a bearer token (a JWT the app verifies against a key from Vault)", evidence: "test/app/api-auth.test.ts" },
        holds: (_s, ctx) => appAuthenticates(ctx),
    },
    {
        id: "entry-plaintext", stride: "I", on: "entry",
        applies: (s) => isFront(s.to),
        threat: (s) => `Requests and answers to ${label(s.to)} cross the network in plaintext, readable and alterable on the way`,
        control: { what: "HTTPS at the edge, plain HTTP only redirects", policies: { docker: ["tls-at-edge"] } },
        holds: (s, ctx) => ctx.profile.tls && s.to.role === "load-balancer",
    },
    {
        id: "entry-flood", stride: "D", on: "entry",
        applies: (s) => isFront(s.to),
        threat: (s) => `One client floods ${label(s.to)} and everyone else waits`,
        control: { what: "a per-client rate limit and connection cap at the edge (429 past it)", evidence: "test/faults/edge-under-attack.test.ts" },
        holds: (_s, ctx) => ctx.profile.rateLimit,
    },
    {
        id: "entry-lan", stride: "I", on: "entry",
        applies: () => true,
        threat: (s) => `Other machines on the laptop's network (the workshop's Wi-Fi) reach ${label(s.to)}`,
        control: { what: "ports published on 127.0.0.1 only (kind's port mapping listens there too: kind-config.yaml)", policies: { docker: ["docker-ports-localhost"] } },
        // A cluster's NodePort is reached through kind's port mapping, which listens on 127.0.0.1.
        holds: (s) => s.hosts.every((h: string) => h.startsWith("127.0.0.1:") || h.startsWith("nodePort ")),
    },
    {
        id: "entry-data-exposed", stride: "E", on: "entry",
        applies: (s) => isData(s.to),
        threat: (s) => `${label(s.to)} is reachable from the host, past the app and its checks`,
        control: { what: "no data-tier port published: only the edge is an entry point", policies: { docker: ["data-ports-not-published"], kubernetes: ["k8s-service-exposure"] } },
        // The threat exists because the port is published: nothing on this stage answers it.
        holds: () => false,
    },
    {
        id: "entry-internals", stride: "I", on: "entry",
        applies: (s) => isFront(s.to),
        threat: (s) => `The app's internals (/metrics: versions and heap; /readyz: dependency states, replica lag) are readable through ${label(s.to)}`,
        control: { what: "the edge refuses /metrics and /readyz; the platform reaches the instances directly", evidence: "test/renderers/nginx-edge-refusals.test.ts" },
        holds: (s, ctx) => s.to.role === "load-balancer" && filesOf(ctx).some((conf) => /location ~ \^\/\(readyz\|metrics\)/.test(conf)),
    },
    // ---- the flows between servers
    {
        id: "flow-login-as", stride: "S", on: "flow",
        applies: (s) => SQL.test(s.what),
        threat: (s) => `Any container that reaches ${label(s.to)} and learns ${label(s.from)}'s password logs in as ${label(s.from)}, from anywhere`,
        control: { what: "one role per client, each admitted by pg_hba only from its own network", evidence: "test/renderers/postgres-roles.test.ts" },
        holds: (_s, ctx) => ctx.profile.leastPrivilege,
    },
    {
        id: "flow-cache-open", stride: "S", on: "flow",
        applies: (s) => s.to.role === "cache",
        threat: (s) => `Anything that reaches ${label(s.to)} reads and writes the cache`,
        control: { what: "Redis ACL users (the default user off), the app's limited to its keys and commands", evidence: "test/renderers/redis.test.ts" },
        holds: (_s, ctx) => ctx.profile.leastPrivilege,
    },
    {
        id: "flow-plaintext-sql", stride: "T", on: "flow",
        applies: (s) => SQL.test(s.what),
        threat: (s) => `What ${label(s.from)} sends to ${label(s.to)} (${s.what}) travels in plaintext: anything on the path reads and changes it`,
        control: { what: "TLS to Postgres (hostssl only), the client verifying the server against the lab's CA", evidence: "test/renderers/postgres-tls.test.ts" },
        holds: (s, ctx) => hopEncrypted(ctx, s.from, s.to),
    },
    {
        id: "flow-plaintext", stride: "T", on: "flow",
        applies: (s) => !SQL.test(s.what) && (CARRIES_CREDENTIALS.test(s.what) || /secrets|proxies/.test(s.what)),
        threat: (s) => `What ${label(s.from)} sends to ${label(s.to)} (${s.what}) travels in plaintext: anything on the path reads and changes it`,
        control: { what: "TLS on the hop, the client verifying the server against the lab's CA" },
        holds: (s, ctx) => hopEncrypted(ctx, s.from, s.to),
    },
    {
        id: "flow-credentials-in-env", stride: "I", on: "flow",
        applies: (s) => CARRIES_CREDENTIALS.test(s.what) && !/credentials/.test(s.what),
        threat: (s) => `${label(s.from)}'s password for ${label(s.to)} is readable from its environment (docker inspect, /proc/1/environ, kubectl get -o yaml)`,
        control: { what: "credentials as files or read from Vault, never in an environment", policies: { docker: ["docker-no-plaintext-secret-env"], kubernetes: ["k8s-secret-env-ref"] } },
    },
    {
        id: "flow-role-too-strong", stride: "E", on: "flow",
        applies: (s) => /writes \(SQL\)/.test(s.what),
        threat: (s) => `With ${label(s.from)}'s password an attacker changes the schema, other roles or other tables of ${label(s.to)}`,
        control: { what: "the app's role may only read and write its table; the schema belongs to an owner role", evidence: "test/renderers/postgres-roles.test.ts" },
        holds: (_s, ctx) => ctx.profile.leastPrivilege,
    },
    {
        id: "flow-no-audit", stride: "R", on: "flow",
        applies: (s) => /writes \(SQL\)/.test(s.what),
        threat: (s) => `Nobody can tell afterwards who connected to ${label(s.to)} and what they changed`,
        control: { what: "Postgres logs every connection and every DDL and role change" },
        holds: (_s, ctx) => databaseAudited(ctx),
    },
    {
        id: "flow-chaos-rights", stride: "E", on: "flow",
        applies: (s) => /deletes/.test(s.what),
        threat: (s) => `${label(s.from)}'s credentials can do more in the cluster than delete ${label(s.to)}'s pods`,
        control: { what: "a Role that may get, list and delete pods in the app's namespace, nothing more", policies: { kubernetes: ["k8s-rbac-least-privilege"] } },
        holds: (_s, ctx) => chaosRoleMinimal(ctx),
    },
    // ---- the servers themselves
    {
        id: "node-lateral", stride: "E", on: "node",
        applies: (s) => s.node.role === "load-balancer",
        threat: (s) => `A compromised ${label(s.node)} reaches the databases, the cache and the secret store directly`,
        control: { what: "the edge joins only the edge and app networks (Docker); a default-deny NetworkPolicy allows only the app's flows (Kubernetes)", policies: { kubernetes: ["default-deny-network-policy"] } },
        holds: (s, ctx) => edgeIsolated(ctx, s.node),
    },
    {
        id: "node-root", stride: "E", on: "node",
        applies: (s) => isServer(s.node),
        threat: (s) => `A compromised ${label(s.node)} runs as root, with capabilities and a writable root filesystem: an escape starts there`,
        control: {
            what: "non-root, read-only root filesystem, every capability dropped, no new privileges",
            policies: {
                docker: ["docker-non-root", "docker-readonly-rootfs", "docker-caps-drop-all", "docker-no-new-privileges"],
                kubernetes: ["k8s-run-as-non-root", "k8s-readonly-rootfs", "k8s-capabilities", "k8s-no-privilege"],
            },
        },
    },
    {
        id: "node-exhaustion", stride: "D", on: "node",
        applies: (s) => isServer(s.node),
        threat: (s) => `${capital(label(s.node))} takes all of the host's memory or CPU, and every other server with it`,
        control: { what: "memory and CPU limits on every server", policies: { docker: ["docker-limits"], kubernetes: ["k8s-resources"] } },
    },
];

// ---------------------------------------------------------------- the model

/** How a reader names a node: its service ("app" for app-1..3), after its namespace on a cluster ("app-2:app"). */
export function label(node: TopologyNode): string {
    if (node.id.includes("/")) return node.id.replace(/^devsecops-/, "").replace("/", ":");
    return node.id.replace(/-\d+$/, "");
}
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function groupName(ctx: ThreatContext, id: string | undefined): string | undefined {
    return ctx.topology.groups.find((g) => g.id === id)?.name;
}

function subjects(ctx: ThreatContext): Subject[] {
    const t = ctx.topology;
    const node = (id: string) => {
        const n = roleOfNode(ctx, id);
        if (!n) throw new Error(`the topology has a flow to an unknown node: ${id}`);
        return n;
    };
    const entries = [...new Set(t.published.map((p) => p.node))].map((id) =>
        ({ kind: "entry" as const, to: node(id), hosts: t.published.filter((p) => p.node === id).map((p) => p.host) }));
    const flows = t.flows.map((f) => ({ kind: "flow" as const, from: node(f.from), to: node(f.to), what: f.what }));
    return [...entries, ...flows, ...t.nodes.map((n) => ({ kind: "node" as const, node: n }))];
}

function describe(ctx: ThreatContext, s: Subject): { subject: string; boundary?: string; nodes: TopologyNode[] } {
    switch (s.kind) {
        case "entry":
            return { subject: `host → ${label(s.to)} (${s.hosts.join(", ")})`, boundary: `host → ${groupName(ctx, s.to.group) ?? "the cluster"}`, nodes: [s.to] };
        case "flow": {
            const from = groupName(ctx, s.from.group);
            const to = groupName(ctx, s.to.group);
            return { subject: `${label(s.from)} → ${label(s.to)}: ${s.what}`, boundary: from && to && from !== to ? `${from} → ${to}` : undefined, nodes: [s.from, s.to] };
        }
        case "node":
            return { subject: label(s.node), nodes: [s.node] };
    }
}

/** Every threat of a stage: one per rule and subject as a reader names it (app-1..3 are "app"). */
export function threatModel(ctx: ThreatContext): Threat[] {
    const threats = new Map<string, Threat>();
    for (const s of subjects(ctx)) {
        for (const rule of RULES.filter((r) => r.on === s.kind && r.applies(s, ctx))) {
            const { subject, boundary, nodes } = describe(ctx, s);
            const key = `${rule.id} ${subject}`;
            const covered = rule.holds ? rule.holds(s, ctx) : enforced(ctx, rule.control);
            // The resources the pack would report it on: the client for a flow's credentials, else every node.
            const about = s.kind === "flow" && rule.id === "flow-credentials-in-env" ? [s.from] : nodes;
            const resources = about.map((n) => resourceOf(ctx, n)?.name).filter((n): n is string => n !== undefined);
            const seen = threats.get(key);
            // app-1..3 are one subject: covered only if it is covered for each of them.
            threats.set(key, seen
                ? { ...seen, covered: seen.covered && covered, resources: [...new Set([...seen.resources, ...resources])] }
                : { rule: rule.id, stride: rule.stride, subject, boundary, threat: rule.threat(s), control: rule.control, covered, resources });
        }
    }
    return [...threats.values()];
}

export const RULE_IDS = RULES.map((r) => r.id);

/** The page's table: each threat, its STRIDE letter, and what covers it or "open". */
export function threatTable(threats: readonly Threat[], target: Target): string {
    const open = threats.filter((t) => !t.covered).length;
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    const by = (t: Threat) => {
        const policies = (t.control.policies?.[target] ?? []).map((p) => `\`${p}\``).join(", ");
        const how = [policies && `the pack: ${policies}`, t.control.evidence && `[test](../../${t.control.evidence})`].filter(Boolean).join("; ");
        return `${t.covered ? "covered" : "**open**"}: ${t.control.what}${how ? ` (${how})` : ""}`;
    };
    const openOnes = threats.filter((t) => !t.covered);
    return [
        `${threats.length} threats, ${threats.length - open} covered, ${open} open. STRIDE: ${Object.entries(STRIDE).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
        "",
        ...(openOnes.length ? ["Open here:", "", ...openOnes.map((t) => `- ${t.stride}, ${t.subject}: ${t.threat}.`)] : ["Nothing open here."]),
        "",
        "<details><summary>Every threat, and what answers it</summary>",
        "",
        "| STRIDE | Where | Boundary crossed | Threat | Answered by |",
        "|---|---|---|---|---|",
        ...threats.map((t) => `| ${t.stride} | ${cell(t.subject)} | ${t.boundary ? cell(t.boundary) : "-"} | ${cell(t.threat)} | ${cell(by(t))} |`),
        "",
        "</details>",
    ].join("\n");
}
