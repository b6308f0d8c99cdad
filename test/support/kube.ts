/** Questions tests ask of a recorded Kubernetes stage: objects by kind, pod templates, containers. */
import { ProgramRun, RecordedResource } from "./mocks";

export const KUBE_TYPES = {
    namespace: "kubernetes:core/v1:Namespace",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    service: "kubernetes:core/v1:Service",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    secret: "kubernetes:core/v1:Secret",
    configMap: "kubernetes:core/v1:ConfigMap",
    networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    provider: "pulumi:providers:kubernetes",
} as const;

/** Every Kubernetes object the program sends (not the provider, not components). */
export const kubeObjects = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("kubernetes:"));

export function kind(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** One object by kind, namespace and metadata.name. */
export function object(run: ProgramRun, type: string, namespace: string | undefined, name: string): RecordedResource {
    const found = kind(run, type).find((r) => r.inputs.metadata?.name === name && r.inputs.metadata?.namespace === namespace);
    if (!found) {
        const there = kind(run, type).map((r) => `${r.inputs.metadata?.namespace}/${r.inputs.metadata?.name}`).join(", ");
        throw new Error(`no ${type} ${namespace}/${name} (there are: ${there || "none"})`);
    }
    return found;
}

/** Workloads: what runs pods. */
export const WORKLOAD_TYPES: string[] = [KUBE_TYPES.deployment, KUBE_TYPES.statefulSet, KUBE_TYPES.job, KUBE_TYPES.cronJob];
export const workloads = (run: ProgramRun) => run.resources.filter((r) => WORKLOAD_TYPES.includes(r.type));

/** A workload's pod template (a CronJob's is one level deeper). */
export function podTemplate(w: RecordedResource): { metadata: { labels: Record<string, string> }; spec: any } {
    return w.type === KUBE_TYPES.cronJob ? w.inputs.spec.jobTemplate.spec.template : w.inputs.spec.template;
}

export const containersOf = (w: RecordedResource): any[] => podTemplate(w).spec.containers;

/** "namespace/name" of an object. */
export const ref = (r: RecordedResource) => `${r.inputs.metadata?.namespace ?? ""}/${r.inputs.metadata?.name}`;
