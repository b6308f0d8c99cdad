import * as pulumi from "@pulumi/pulumi";
import { STAGES } from "../profiles/catalog";
import { STAGE_NUMBERS, StageNumber, StageProfile } from "../profiles/profile";
import { parseImageRef } from "../policy-pack/contract";

// How an image reference splits: one definition, shared with the pack's image-pinned rule.
export { parseImageRef };

/**
 * The lab's configuration: every key, its type, default and meaning, declared here once (`npm run
 * docs` writes Pulumi.yaml's `config:` block and the README's table from SETTINGS), read once and
 * validated into a typed object the builders receive.
 */

export const CONFIG_NAMESPACE = "devsecops";

export interface Setting {
    readonly type: "integer" | "string";
    readonly description: string;
    /** Absent: every stack must set the key (only `stage`). */
    readonly default?: number | string;
}

export const SETTINGS = {
    stage: { type: "integer", description: "The stage of the DevSecOps journey to build, 1-6 (1-4 on Docker, 5-6 on Kubernetes)." },
    appReplicas: {
        type: "integer",
        default: 3,
        description: "App instances of the Docker stages 2-4 (2-9); stage 1 always runs exactly one, and on Kubernetes the HPA decides.",
    },
    appHostPort: {
        type: "integer",
        default: 8081,
        description: "Host port of the app in stage 1; in stage 2 the instances use this port and the next ones.",
    },
    edgeHostPort: {
        type: "integer",
        default: 8080,
        description: "Host port of the Nginx entry point from stage 3 on (from stage 4 it only redirects to HTTPS).",
    },
    edgeTlsHostPort: { type: "integer", default: 8443, description: "Host port of the HTTPS entry point from stage 4 on." },
    dbHostPort: { type: "integer", default: 15432, description: "Host port of the Postgres primary in stages 1-2." },
    dbReplicaHostPort: { type: "integer", default: 15433, description: "Host port of the Postgres replica in stage 2." },
    postgresImage: {
        type: "string",
        default: "postgres:17.6-bookworm",
        description: "Postgres image, pinned (major 17: postgres:18 moved PGDATA).",
    },
    nginxImage: { type: "string", default: "nginx:1.28.0-alpine", description: "Nginx image, pinned." },
    redisImage: {
        type: "string",
        default: "redis:7.4.6-alpine",
        description: "Redis image, pinned (7.4.6 fixes the Lua remote code execution CVE-2025-49844 and CVE-2025-46817/46818/46819).",
    },
    vaultImage: {
        type: "string",
        default: "hashicorp/vault:1.20.4",
        description: "Vault image from stage 4 on, pinned (the library image `vault` stopped at 1.13).",
    },
    appImage: {
        type: "string",
        default: "",
        description: "A prebuilt, pinned image of the demo app (e.g. from a workshop mirror); empty: build `app/` locally.",
    },
    kubeconfig: {
        type: "string",
        default: "",
        description: "Stages 5-6: the kubeconfig file to use; empty: the default (`$KUBECONFIG` or `~/.kube/config`).",
    },
    kubeContext: {
        type: "string",
        default: "kind-devsecops-journey",
        description: "Stages 5-6: the kubeconfig context the program deploys to, always explicitly, never kubectl's current one (kind names it kind-<cluster>).",
    },
    edgeNodePort: {
        type: "integer",
        default: 30443,
        description: "Stages 5-6: the NodePort of Nginx's HTTPS Service (30000-32767); `kind-config.yaml` maps it to `edgeTlsHostPort` on 127.0.0.1.",
    },
    edgeHttpNodePort: {
        type: "integer",
        default: 30080,
        description: "Stages 5-6 without TLS: the NodePort of Nginx's plain-HTTP Service (30000-32767); `kind-config.yaml` maps it to `edgeHostPort` on 127.0.0.1.",
    },
    appRegistry: {
        type: "string",
        default: "localhost:5001",
        description: "Stages 5-6: the registry the built app image is pushed to and the nodes pull from (`scripts/kind-up.sh` starts it).",
    },
    prometheusImage: { type: "string", default: "prom/prometheus:v3.5.0", description: "Stage 6: the Prometheus image, pinned." },
    nginxExporterImage: {
        type: "string",
        default: "nginx/nginx-prometheus-exporter:1.4.2",
        description: "Stage 6: the image of Nginx's metrics exporter (a sidecar), pinned.",
    },
    kubectlImage: {
        type: "string",
        default: "alpine/k8s:1.33.4",
        description: "Stage 6: the chaos job's image (a shell and kubectl), pinned.",
    },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export interface LabConfig {
    readonly profile: StageProfile;
    /** App instances this stage runs (1 in stage 1, appReplicas after). */
    readonly appInstances: number;
    readonly ports: {
        readonly app: number;
        readonly edge: number;
        readonly edgeTls: number;
        readonly db: number;
        readonly dbReplica: number;
    };
    readonly images: {
        readonly postgres: string;
        readonly nginx: string;
        readonly redis: string;
        readonly vault: string;
        /** Undefined: build the demo app from app/. */
        readonly app?: string;
        readonly prometheus: string;
        readonly nginxExporter: string;
        readonly kubectl: string;
    };
    /** Where stages 5-6 deploy (read on every stage, used by the Kubernetes builder only). */
    readonly kubernetes: {
        /** Undefined: the default kubeconfig. */
        readonly kubeconfig?: string;
        readonly context: string;
        readonly edgeNodePort: number;
        /** Only a profile without TLS uses it: the edge's plain-HTTP NodePort. */
        readonly edgeHttpNodePort: number;
        /** host[:port] the app image is pushed to. */
        readonly registry: string;
    };
}

/** A user's configuration mistake: one line, no stack trace (Pulumi prints a RunError's message only). */
export class LabConfigError extends pulumi.RunError {}

const PORT_MIN = 1024;
const PORT_MAX = 65535;
const REPLICAS_MIN = 2;
const REPLICAS_MAX = 9;
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

type Getter = (key: string) => string | undefined;

/** Reads the stack's configuration through Pulumi and validates it. Throws LabConfigError. */
export function readLabConfig(): LabConfig {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const known = new Set(Object.keys(SETTINGS));
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":");
        if (namespace === CONFIG_NAMESPACE && !known.has(key)) {
            const hint = closest(key, [...known]);
            throw new LabConfigError(
                `${fullKey} is not a setting of the lab${hint ? `; did you mean ${CONFIG_NAMESPACE}:${hint}?` : ""} ` +
                    `(settings: ${[...known].join(", ")})`,
            );
        }
    }
    return parseLabConfig((key) => config.get(key));
}

/**
 * Validates raw configuration values (as strings, the way stack files hold them). `profile` replaces
 * the stage's own (a test builds variants of a stage; the settings are still checked against it).
 */
export function parseLabConfig(get: Getter, override?: StageProfile): LabConfig {
    const stage = readStage(get);
    const profile = override ?? STAGES.get(stage);
    // readStage accepts only stage numbers, and the catalog has a profile for each: a miss is a bug.
    if (!profile) throw new Error(`profiles/catalog.ts has no profile for stage ${stage}`);
    const appReplicas = readInteger(get, "appReplicas", REPLICAS_MIN, REPLICAS_MAX,
        "at least two so no instance is a single point of failure, at most nine so a laptop copes");
    const appInstances = profile.app.replicated ? appReplicas : 1;
    const ports = {
        app: readPort(get, "appHostPort"),
        edge: readPort(get, "edgeHostPort"),
        edgeTls: readPort(get, "edgeTlsHostPort"),
        db: readPort(get, "dbHostPort"),
        dbReplica: readPort(get, "dbReplicaHostPort"),
    };
    checkPortsDistinct(profile, appInstances, ports);
    const images = {
        postgres: readImage(get, "postgresImage"),
        nginx: readImage(get, "nginxImage"),
        redis: readImage(get, "redisImage"),
        vault: readImage(get, "vaultImage"),
        // Empty (the default) builds app/ locally; anything else must be a pinned image like the others.
        app: (get("appImage") ?? "") === "" ? undefined : readImage(get, "appImage"),
        prometheus: readImage(get, "prometheusImage"),
        nginxExporter: readImage(get, "nginxExporterImage"),
        kubectl: readImage(get, "kubectlImage"),
    };
    const kubeconfig = get("kubeconfig") ?? defaultOf("kubeconfig");
    if (/[\r\n]/.test(kubeconfig)) {
        throw new LabConfigError(`${CONFIG_NAMESPACE}:kubeconfig = ${JSON.stringify(kubeconfig)} is not a file path: use a path such as ~/.kube/config, or empty for the default`);
    }
    const kubernetes = {
        kubeconfig: kubeconfig.trim() === "" ? undefined : kubeconfig.trim(),
        context: readWord(get, "kubeContext", /^[A-Za-z0-9@._:\/-]+$/, "a context name from kubectl config get-contexts, e.g. kind-devsecops-journey"),
        edgeNodePort: readInteger(get, "edgeNodePort", NODE_PORT_MIN, NODE_PORT_MAX, "Kubernetes' default NodePort range"),
        edgeHttpNodePort: readInteger(get, "edgeHttpNodePort", NODE_PORT_MIN, NODE_PORT_MAX, "Kubernetes' default NodePort range"),
        registry: readWord(get, "appRegistry", /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$/, "a registry host[:port], e.g. localhost:5001"),
    };
    return { profile, appInstances, ports, images, kubernetes };
}

/** A non-empty value of one shape (a context name, a registry address). */
function readWord(get: Getter, key: SettingName, shape: RegExp, what: string): string {
    const raw = get(key) ?? defaultOf(key);
    if (!shape.test(raw)) {
        throw new LabConfigError(`${CONFIG_NAMESPACE}:${key} = ${JSON.stringify(raw)} is not allowed: use ${what}`);
    }
    return raw;
}

/** The host ports a stage publishes, by the config key that sets each. */
export function publishedPorts(profile: StageProfile, appInstances: number, ports: LabConfig["ports"]) {
    const published: { key: SettingName; port: number; what: string }[] = [];
    if (profile.app.publishEachInstance) {
        for (let i = 0; i < appInstances; i++) {
            published.push({ key: "appHostPort", port: ports.app + i, what: `app instance ${i + 1}` });
        }
    }
    if (profile.loadBalancer === "nginx") published.push({ key: "edgeHostPort", port: ports.edge, what: "the entry point" });
    if (profile.tls) published.push({ key: "edgeTlsHostPort", port: ports.edgeTls, what: "the HTTPS entry point" });
    if (profile.database.publish) {
        published.push({ key: "dbHostPort", port: ports.db, what: "the Postgres primary" });
        if (profile.database.replica) {
            published.push({ key: "dbReplicaHostPort", port: ports.dbReplica, what: "the Postgres replica" });
        }
    }
    return published;
}

function checkPortsDistinct(profile: StageProfile, appInstances: number, ports: LabConfig["ports"]): void {
    const seen = new Map<number, { key: SettingName; what: string }>();
    for (const { key, port, what } of publishedPorts(profile, appInstances, ports)) {
        if (port > PORT_MAX) {
            throw new LabConfigError(
                `${CONFIG_NAMESPACE}:${key} = ${ports[portField(key)]} puts ${what} on port ${port}, past ${PORT_MAX}: ` +
                    `lower ${CONFIG_NAMESPACE}:${key}`,
            );
        }
        const other = seen.get(port);
        if (other) {
            throw new LabConfigError(
                `${CONFIG_NAMESPACE}:${key} = ${ports[portField(key)]} puts ${what} on host port ${port}, which ` +
                    `${CONFIG_NAMESPACE}:${other.key} already gives to ${other.what}: every published port must be different`,
            );
        }
        seen.set(port, { key, what });
    }
}

function portField(key: SettingName): keyof LabConfig["ports"] {
    const fields: Partial<Record<SettingName, keyof LabConfig["ports"]>> = {
        appHostPort: "app",
        edgeHostPort: "edge",
        edgeTlsHostPort: "edgeTls",
        dbHostPort: "db",
        dbReplicaHostPort: "dbReplica",
    };
    return fields[key]!;
}

function readStage(get: Getter): StageNumber {
    const raw = get("stage");
    const allowed = `a whole number from 1 to ${STAGE_NUMBERS.length}`;
    if (raw === undefined || raw.trim() === "") {
        throw new LabConfigError(
            `${CONFIG_NAMESPACE}:stage is not set: select a stage's stack (pulumi stack select stage1) or ` +
                `run pulumi config set ${CONFIG_NAMESPACE}:stage <1-${STAGE_NUMBERS.length}>`,
        );
    }
    const value = parseWhole(raw);
    if (value === undefined || !(STAGE_NUMBERS as readonly number[]).includes(value)) {
        throw new LabConfigError(`${CONFIG_NAMESPACE}:stage = ${JSON.stringify(raw)} is not a stage: use ${allowed}`);
    }
    return value as StageNumber;
}

function readInteger(get: Getter, key: SettingName, min: number, max: number, why: string): number {
    const raw = get(key) ?? defaultOf(key);
    const value = parseWhole(raw);
    if (value === undefined || value < min || value > max) {
        throw new LabConfigError(
            `${CONFIG_NAMESPACE}:${key} = ${JSON.stringify(raw)} is not allowed: use a whole number from ${min} to ${max} (${why})`,
        );
    }
    return value;
}

function readPort(get: Getter, key: SettingName): number {
    return readInteger(get, key, PORT_MIN, PORT_MAX, "a host port a user may bind, not a privileged one");
}

/** An image reference with a tag that is not `latest`, or a digest: what runs must not drift. */
function readImage(get: Getter, key: SettingName): string {
    const raw = get(key) ?? defaultOf(key);
    const example = defaultOf(key) || "registry.example/app:1.0.0";
    const fail = (problem: string) =>
        new LabConfigError(
            `${CONFIG_NAMESPACE}:${key} = ${JSON.stringify(raw)} ${problem}: use an image pinned to a tag or digest, e.g. ${example}`,
        );
    if (raw.trim() === "") throw fail("is empty");
    if (/\s/.test(raw)) throw fail("contains white space");
    const ref = parseImageRef(raw);
    if (!ref.digest && !ref.tag) throw fail("has no tag");
    if (!ref.digest && ref.tag === "latest") throw fail("uses the moving tag latest");
    return raw;
}

function defaultOf(key: SettingName): string {
    const setting: Setting = SETTINGS[key];
    return String(setting.default ?? "");
}

function parseWhole(raw: string): number | undefined {
    return /^\s*\d+\s*$/.test(raw) ? Number(raw) : undefined;
}

/** The known key nearest to a typo (edit distance <= 3), for "did you mean". */
function closest(key: string, known: string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const row = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            let previous = row[0];
            row[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const current = row[j];
                row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
                previous = current;
            }
        }
        return row[b.length];
    };
    const ranked = known.map((k) => ({ k, d: distance(key, k) })).sort((x, y) => x.d - y.d);
    return ranked[0] && ranked[0].d <= 3 ? ranked[0].k : undefined;
}
