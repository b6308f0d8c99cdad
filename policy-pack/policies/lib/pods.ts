/**
 * Pod specs and containers as the Kubernetes resource policies read them, by type token (the pack
 * must not load @pulumi/kubernetes: the Docker stages never do). A check works on a plain copy of
 * the resource's inputs in which every value unknown at preview is UNKNOWN; `get` walks a path and
 * says UNKNOWN as soon as a step is, and records that the check cannot decide it until `up`
 * (known.ts), so a rule that skips an UNKNOWN says so instead of passing.
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { isUnknownValueError, undecidedIfChecking } from "./known";
import { resourceRef } from "./meta";

export const UNKNOWN: unique symbol = Symbol("unknown at preview");
export type Tree = unknown;

/** A plain copy of what `read` returns, with UNKNOWN wherever the engine has an unknown value. */
export function snapshot(read: () => unknown): Tree {
    let value: unknown;
    try {
        value = read();
    } catch (error) {
        if (isUnknownValueError(error)) return UNKNOWN;
        throw error;
    }
    if (value === null || typeof value !== "object") return value;
    const from = value as Record<string | number, unknown>;
    if (Array.isArray(from)) return Array.from({ length: from.length }, (_, i) => snapshot(() => from[i]));
    return Object.fromEntries(Object.keys(from).map((key) => [key, snapshot(() => from[key])]));
}

/** The value at a path: UNKNOWN when any step is unknown, undefined when any step is absent. */
export function get(tree: Tree, ...path: (string | number)[]): unknown {
    let value = tree;
    for (const key of path) {
        if (value === UNKNOWN) break;
        if (value === null || typeof value !== "object") return undefined;
        value = (value as Record<string | number, unknown>)[key];
    }
    if (value === UNKNOWN) undecidedIfChecking(`${path.join(".") || "the object"} is unknown until up`);
    return value;
}

export const isKnown = <T>(value: T | typeof UNKNOWN): value is T => value !== UNKNOWN;

/** The known items of a list at a path, with their index (an unknown list or item is left out). */
export function items(tree: Tree, ...path: (string | number)[]): { item: Tree; index: number }[] {
    const list = get(tree, ...path);
    if (!Array.isArray(list)) return [];
    if (list.includes(UNKNOWN)) undecidedIfChecking(`an item of ${path.join(".")} is unknown until up`);
    return list.map((item, index) => ({ item, index })).filter(({ item }) => item !== UNKNOWN && item !== null && item !== undefined);
}

/** `kubernetes:apps/v1:Deployment` -> { group: "apps", version: "v1", kind: "Deployment" }; not an object type: undefined. */
export function typeToken(type: string): { group: string; version: string; kind: string } | undefined {
    const match = /^kubernetes:([\w.-]+)\/(v\w+):(\w+)$/.exec(type);
    if (!match) return undefined;
    const [, group, version, kind] = match;
    // Helm releases, YAML and kustomize groups are components or wrappers, not API objects; *Patch and *List are partial.
    if (["helm.sh", "yaml", "kustomize"].includes(group) || /(Patch|List)$/.test(kind)) return undefined;
    return { group, version, kind };
}

/** Where each workload kind keeps the pod spec it runs. */
const POD_SPEC_PATHS: Record<string, { groups: readonly string[]; path: readonly string[] }> = {
    Pod: { groups: ["core"], path: ["spec"] },
    Deployment: { groups: ["apps", "extensions"], path: ["spec", "template", "spec"] },
    StatefulSet: { groups: ["apps"], path: ["spec", "template", "spec"] },
    DaemonSet: { groups: ["apps", "extensions"], path: ["spec", "template", "spec"] },
    ReplicaSet: { groups: ["apps", "extensions"], path: ["spec", "template", "spec"] },
    Job: { groups: ["batch"], path: ["spec", "template", "spec"] },
    CronJob: { groups: ["batch"], path: ["spec", "jobTemplate", "spec", "template", "spec"] },
};

/** The kind of a workload type (one that holds a pod spec), or undefined. */
export function workloadKind(type: string): string | undefined {
    const token = typeToken(type);
    const where = token && POD_SPEC_PATHS[token.kind];
    return where && where.groups.includes(token.group) ? token.kind : undefined;
}

/** Jobs run to completion: probes and restarts mean something else there. */
export const RUN_TO_COMPLETION = ["Job", "CronJob"];

export interface PodSpec {
    readonly kind: string;
    /** `spec.template.spec`, `spec.jobTemplate.spec.template.spec` or `spec` (a Pod). */
    readonly path: string;
    /** The pod spec, or UNKNOWN. */
    readonly spec: Tree;
    /** How messages name the resource: `deployment "app"`. */
    readonly ref: string;
}

export interface Container {
    readonly container: Tree;
    /** `spec.template.spec.containers[0]` */
    readonly path: string;
    /** `deployment "app", container "app"` */
    readonly ref: string;
    readonly init: boolean;
}

/** The resource's pod spec, or undefined when it is not a workload. */
export function podSpecOf(args: Pick<ResourceValidationArgs, "type" | "name" | "props">): PodSpec | undefined {
    const kind = workloadKind(args.type);
    if (!kind) return undefined;
    const path = POD_SPEC_PATHS[kind].path;
    // Copy only the pod spec: walking the proxy is most of a check's cost.
    const spec = snapshot(() => path.reduce<any>((at, key) => (at === null || typeof at !== "object" ? undefined : at[key]), args.props));
    return { kind, path: path.join("."), spec, ref: resourceRef(args.type, args.name) };
}

/** Its init containers, then its containers (the known ones). */
export function containersOf(pod: PodSpec): Container[] {
    return (["initContainers", "containers"] as const).flatMap((list) => items(pod.spec, list).map(({ item, index }) => {
        const name = get(item, "name");
        return {
            container: item,
            path: `${pod.path}.${list}[${index}]`,
            ref: `${pod.ref}${typeof name === "string" ? `, container "${name}"` : ""}`,
            init: list === "initContainers",
        };
    }));
}

/** A check of every workload's pod spec; other resources are not applicable. */
export function forPodSpecs(
    check: (pod: PodSpec, args: ResourceValidationArgs, report: ReportViolation) => void,
    kinds: readonly string[] = Object.keys(POD_SPEC_PATHS),
): ResourceValidation {
    return (args, report) => {
        const pod = podSpecOf(args);
        if (!pod || !kinds.includes(pod.kind)) {
            return args.notApplicable(`the rule checks the pod specs of ${kinds.join(", ")}`);
        }
        if (pod.spec === UNKNOWN) return undecidedIfChecking(`${pod.path} is unknown until up`);
        check(pod, args, report);
    };
}

/** A check of each container (init containers included) of every workload. */
export function forContainers(
    check: (c: Container, pod: PodSpec, report: ReportViolation, args: ResourceValidationArgs) => void,
    kinds?: readonly string[],
): ResourceValidation {
    return forPodSpecs((pod, args, report) => {
        for (const c of containersOf(pod)) check(c, pod, report, args);
    }, kinds);
}

/** A check of resources of the given kinds (by type token), as a plain copy with UNKNOWN; others are not applicable. */
export function forKinds(
    kinds: readonly string[],
    check: (resource: Tree, ref: string, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    return (args, report) => {
        const token = typeToken(args.type);
        if (!token || !kinds.includes(token.kind)) return args.notApplicable(`the rule checks ${kinds.join(", ")} objects`);
        check(snapshot(() => args.props), resourceRef(args.type, args.name), args, report);
    };
}

/**
 * A security context field as the kubelet applies it: the container's, else the pod's (for the
 * fields PSS lets a pod set for all its containers), with the path it came from.
 */
export function effective(pod: PodSpec, c: Container, field: string): { value: unknown; path: string } | undefined {
    const own = get(c.container, "securityContext", field);
    if (own !== undefined) return { value: own, path: `${c.path}.securityContext.${field}` };
    const shared = get(pod.spec, "securityContext", field);
    if (shared !== undefined) return { value: shared, path: `${pod.path}.securityContext.${field}` };
    return undefined;
}

/** Config lists name objects as "name" or "namespace/name". */
export function listed(list: readonly string[] | undefined, name: unknown, namespace: unknown): boolean {
    if (typeof name !== "string") return false;
    const ns = typeof namespace === "string" ? namespace : "default";
    return (list ?? []).some((entry) => entry === name || entry === `${ns}/${name}`);
}
