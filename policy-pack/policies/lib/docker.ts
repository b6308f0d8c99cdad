/** Reading the docker provider's inputs the way the lab's builder shapes them. */
import * as docker from "@pulumi/docker";
import { ReportViolation, ResourceValidation, ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { Unwrap } from "@pulumi/pulumi";
import { LABELS, parseImageRef } from "../../contract";
import { known, knownItems, previewSafe } from "./known";

export type ContainerProps = Unwrap<docker.ContainerArgs>;

/**
 * What a container is for. A "seed" is created and never started (start: false; Docker's data
 * container pattern, stage 4 uses it to fill read-only volumes), a "job" runs once and exits
 * (attach: true, Pulumi waits for it), a "server" keeps running. The builder also says so with
 * the role label (LABELS.role: files, job).
 */
export type ContainerRole = "server" | "job" | "seed";

export function roleOf(c: { start?: unknown; attach?: unknown; labels?: unknown }): ContainerRole {
    const role = labelMap(() => c.labels as { label: string; value: string }[] | undefined)[LABELS.role];
    if (known(() => c.start) === false || role === "files") return "seed";
    if (known(() => c.attach) === true || role === "job") return "job";
    return "server";
}

/** Which containers a rule is about: all of them, those that run at all, or long-running servers. */
export type Applies = "all" | "running" | "servers";

const APPLIES: Record<Applies, readonly ContainerRole[]> = {
    all: ["server", "job", "seed"],
    running: ["server", "job"],
    servers: ["server"],
};

/** A check of docker Containers (the ones `applies` names), preview-safe (see known.ts). */
export function forContainers(
    check: (container: ContainerProps, args: ResourceValidationArgs, report: ReportViolation) => void,
    applies: Applies = "all",
): ResourceValidation {
    return validateResourceOfType(docker.Container, previewSafe((c: ContainerProps, args, report) => {
        const role = roleOf(c);
        if (!APPLIES[applies].includes(role)) {
            args.notApplicable(`a ${role} container: the rule is about ${applies === "servers" ? "long-running servers" : "containers that run"}`);
        }
        return check(c, args, report);
    }));
}

/** `container "app-1"`: how every message names the resource, by its Pulumi name. */
export const containerRef = (name: string) => `container "${name}"`;

/** The provider's `[{ label, value }]` as a map (known labels only). */
export function labelMap(read: () => readonly { label: string; value: string }[] | undefined): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const { item } of knownItems(read)) {
        const label = known(() => item.label);
        const value = known(() => item.value);
        if (label !== undefined && value !== undefined) labels[label] = value;
    }
    return labels;
}

export const tierOf = (labels: Record<string, string>): string | undefined => labels[LABELS.tier];

/** An image id (what RemoteImage.imageId gives), not a reference a registry resolves. */
export const isImageId = (image: string) => /^sha256:/.test(image);

/**
 * Data stores, secret stores and caches by the last path segment of their image repository
 * (postgres, bitnami/postgresql, hashicorp/vault, ...): what must never face the host.
 */
const DATA_STORE_IMAGES = new Set([
    "postgres", "postgresql", "mysql", "mariadb", "mongo", "mongodb", "redis", "valkey", "keydb", "memcached",
    "vault", "elasticsearch", "opensearch", "cassandra", "couchdb", "etcd", "clickhouse-server", "influxdb",
]);

/** The repository's last path segment, lower case: "hashicorp/vault:1.20" -> "vault". */
export function imageKind(ref: string): string {
    const { repository } = parseImageRef(ref);
    return repository.slice(repository.lastIndexOf("/") + 1).toLowerCase();
}

export const isDataStoreImage = (ref: string) => DATA_STORE_IMAGES.has(imageKind(ref));

/** "uid[:gid]" is root when the user part is root or 0. */
export function isRootUser(user: string): boolean {
    const who = user.split(":")[0].trim().toLowerCase();
    return who === "root" || who === "0";
}

/** A capability as Docker accepts it (cap_net_raw, CAP_NET_RAW, NET_RAW) in one spelling. */
export const capability = (name: string) => name.trim().toUpperCase().replace(/^CAP_/, "");

/** A host path without trailing or doubled slashes, so "/etc/" and "//etc" compare as "/etc". */
export function normalizeHostPath(p: string): string {
    const collapsed = p.replace(/\/+/g, "/");
    return collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
}

/** The host paths a container binds, each with where it was found (volumes[i] or mounts[i]). */
export function hostBinds(c: ContainerProps): { at: string; hostPath: string }[] {
    const binds: { at: string; hostPath: string }[] = [];
    for (const { item, index } of knownItems(() => c.volumes)) {
        const hostPath = known(() => item.hostPath);
        if (hostPath) binds.push({ at: `volumes[${index}].hostPath`, hostPath: normalizeHostPath(hostPath) });
    }
    for (const { item, index } of knownItems(() => c.mounts)) {
        const type = known(() => item.type);
        const source = known(() => item.source);
        if (type === "bind" && source) binds.push({ at: `mounts[${index}].source`, hostPath: normalizeHostPath(source) });
    }
    return binds;
}

/** Published ports with their index; a port without an ip is bound to every interface (Docker's default). */
export interface PublishedPort {
    readonly index: number;
    readonly internal?: number;
    readonly external?: number;
    readonly ip?: string;
    /** No ip at all (Docker binds every interface), as opposed to one unknown at preview. */
    readonly ipAbsent: boolean;
}

export function publishedPorts(c: ContainerProps): PublishedPort[] {
    return knownItems(() => c.ports).map(({ item, index }) => ({
        index,
        internal: known(() => item.internal),
        external: known(() => item.external),
        ip: known(() => item.ip),
        ipAbsent: !("ip" in item),
    }));
}

export function describePort(p: { internal?: number; external?: number; ip?: string }): string {
    return `${p.ip ?? "0.0.0.0"}:${p.external ?? "<random>"}->${p.internal ?? "?"}`;
}
