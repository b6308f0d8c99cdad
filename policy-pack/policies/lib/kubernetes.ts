/**
 * Kubernetes objects as stack policies see them, by type token: the Docker stages must not load
 * @pulumi/kubernetes (DESIGN: start-up time), and tokens are all a policy needs to match.
 */
import { PolicyResource } from "@pulumi/policy";
import { knownPlain } from "./known";
import { workloadKind } from "./pods";

export const K8S = {
    namespace: "kubernetes:core/v1:Namespace",
    service: "kubernetes:core/v1:Service",
    pod: "kubernetes:core/v1:Pod",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    hpa: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"],
} as const;

export const isKubernetes = (r: PolicyResource) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");

/** A plain copy of part of a resource, or undefined when unknown at preview. */
export const read = (r: PolicyResource, pick: (props: any) => any) => knownPlain(() => pick(r.props));

/** metadata.name; under auto-naming it may be absent, and then the Pulumi name stands in. */
export const nameOf = (r: PolicyResource): string => read(r, (p) => p.metadata?.name) ?? r.name;
export const namespaceOf = (r: PolicyResource): string => read(r, (p) => p.metadata?.namespace) ?? "default";

export interface Workload {
    readonly resource: PolicyResource;
    readonly kind: string;
    readonly name: string;
    readonly namespace: string;
    /** The labels of the pods it runs (the pod template's, or a Pod's own); undefined: unknown at preview. */
    readonly podLabels?: Record<string, string>;
}

/** Where each kind keeps its pods' labels. */
const POD_LABELS: Record<string, (props: any) => unknown> = {
    Pod: (p) => p.metadata?.labels,
    CronJob: (p) => p.spec?.jobTemplate?.spec?.template?.metadata?.labels,
};

/** Everything that runs pods (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod). */
export function workloads(resources: readonly PolicyResource[]): Workload[] {
    return resources.flatMap((r) => {
        const kind = workloadKind(r.type);
        if (!kind) return [];
        const podLabels = read(r, POD_LABELS[kind] ?? ((p) => p.spec?.template?.metadata?.labels));
        return [{ resource: r, kind, name: nameOf(r), namespace: namespaceOf(r), podLabels }];
    });
}

export interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** An empty selector selects everything (a NetworkPolicy's `podSelector: {}`). */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
    return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
    if (!selector) return true;
    const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    return byLabels && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
        switch (operator) {
            case "In": return key in labels && values.includes(labels[key]);
            case "NotIn": return !(key in labels) || !values.includes(labels[key]);
            case "Exists": return key in labels;
            case "DoesNotExist": return !(key in labels);
            default: return false;
        }
    });
}
