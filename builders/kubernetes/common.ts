import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeNamespace, LABELS, PROJECT, TierLabel } from "../../program/names";
import { StageNumber } from "../../profiles/profile";

/** The core/v1 input shapes (a namespace alias: `type` cannot name a namespace). */
import Input = k8s.types.input.core.v1;

/**
 * What every object of a stage shares, whichever component creates it: its stage (labels), the
 * namespaces and NetworkPolicies it must wait for (so no pod starts unfenced), and whether pods
 * are hardened (the profile's `hardening`: the restricted securityContext and limits).
 */
export interface KubeScope {
    readonly stage: StageNumber;
    readonly ready: pulumi.Resource[];
    readonly hardening: boolean;
}

/** The lab's ownership labels, plus the service a pod belongs to (selectors match on it). */
export function labLabels(stage: StageNumber, tier: TierLabel, service?: string): Record<string, string> {
    return {
        [LABELS.project]: PROJECT,
        [LABELS.stage]: String(stage),
        [LABELS.tier]: tier,
        ...(service ? { [LABELS.service]: service } : {}),
    };
}

/** What selects a service's pods: one label, the same in Services, NetworkPolicies, HPAs and PDBs. */
export function selectorOf(service: string): Record<string, string> {
    return { [LABELS.service]: service };
}

/** Metadata with an explicit name (no auto-naming: NetworkPolicies, docs and kubectl name them). */
export function meta(
    stage: StageNumber, name: string, namespace: KubeNamespace | undefined, tier: TierLabel, service?: string,
): k8s.types.input.meta.v1.ObjectMeta {
    return { name, ...(namespace ? { namespace } : {}), labels: labLabels(stage, tier, service) };
}

/**
 * Options for every object: under its component, and replaced delete-first, because a fixed name
 * cannot exist twice (a Job's or a selector's change forces a replacement).
 */
export function objectOptions(parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []): pulumi.CustomResourceOptions {
    return { parent, dependsOn, deleteBeforeReplace: true };
}

/** objectOptions for an object inside a lab namespace: after the namespaces and their policies. */
export function inLab(scope: KubeScope, parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []): pulumi.CustomResourceOptions {
    return objectOptions(parent, [...scope.ready, ...dependsOn]);
}

/** uid and gid a container runs as: the image's own non-root user (IMAGE_USERS), as numbers. */
export function ids(user: string): { uid: number; gid: number } {
    const [uid, gid] = user.split(":").map(Number);
    if (!(uid > 0) || !(gid >= 0)) throw new Error(`"${user}" is not a non-root uid:gid`);
    return { uid, gid };
}

/**
 * Pod Security "restricted" for a container (stage 4's hardening in Kubernetes' words): non-root,
 * no privilege escalation, every capability dropped, read-only root filesystem, RuntimeDefault
 * seccomp. Without hardening, nothing: the image's defaults (and the pack's findings).
 */
export function containerSecurity(scope: KubeScope, user: string): { securityContext?: Input.SecurityContext } {
    if (!scope.hardening) return {};
    const { uid, gid } = ids(user);
    return {
        securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: gid,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
    };
}

/**
 * The pod's side: the same user, and fsGroup so mounted secrets are readable by the server's group
 * only. Without hardening, only fsGroup (secret files mode 0440 must stay readable by the server).
 */
export function podSecurity(scope: KubeScope, user: string): Input.PodSecurityContext {
    const { uid, gid } = ids(user);
    // OnRootMismatch: the kubelet re-permissions a volume only when its root is not already the
    // pod's group. Without it, it chowns PGDATA at every start on the volumes it manages, and
    // Postgres then refuses a data directory that is not 0700 (the second start fails).
    const group = { fsGroup: gid, fsGroupChangePolicy: "OnRootMismatch" };
    if (!scope.hardening) return group;
    return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, ...group, seccompProfile: { type: "RuntimeDefault" } };
}

/**
 * Requests always (the scheduler and the HPA count them); limits with hardening, so one pod cannot
 * starve the node (stage 4's memory and CPU caps).
 */
export function resources(scope: KubeScope, cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Input.ResourceRequirements {
    return { requests: { cpu, memory }, ...(scope.hardening ? { limits: { cpu: cpuLimit, memory: memoryLimit } } : {}) };
}

/** Writable scratch space on a read-only root filesystem (what stage 4's tmpfs mounts were). */
export function scratch(name: string, mountPath: string): { volume: Input.Volume; mount: Input.VolumeMount } {
    return { volume: { name, emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }, mount: { name, mountPath } };
}

export interface PodArgs {
    readonly serviceAccountName: pulumi.Input<string>;
    readonly user: string;
    readonly containers: Input.Container[];
    readonly volumes?: Input.Volume[];
    /** Only the chaos job talks to the API server; every other pod gets no token. */
    readonly apiToken?: boolean;
    readonly restartPolicy?: "Always" | "OnFailure" | "Never";
    readonly terminationGracePeriodSeconds?: number;
    /** Where the pod may run: beside the pod whose ReadWriteOnce volume it shares. */
    readonly affinity?: Input.Affinity;
}

/** A pod spec with its own ServiceAccount and no API token; restricted when the stage hardens. */
export function podSpec(scope: KubeScope, args: PodArgs): Input.PodSpec {
    return {
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: args.apiToken === true,
        // No *_SERVICE_HOST variables from every Service of the namespace: DNS names only.
        enableServiceLinks: false,
        securityContext: podSecurity(scope, args.user),
        containers: args.containers,
        ...(args.volumes?.length ? { volumes: args.volumes } : {}),
        ...(args.restartPolicy ? { restartPolicy: args.restartPolicy } : {}),
        ...(args.affinity ? { affinity: args.affinity } : {}),
        ...(args.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds } : {}),
    };
}

/** Where an object lives and whom it belongs to: the four things every helper below needs. */
export interface Place {
    readonly scope: KubeScope;
    readonly parent: pulumi.Resource;
    /** The component's name: children are named under it, so a second component cannot clash. */
    readonly prefix: string;
    readonly namespace: KubeNamespace;
    readonly tier: TierLabel;
}

/** A workload's own ServiceAccount; the token is mounted nowhere unless a pod asks for it. */
export function serviceAccount(at: Place, name: string): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(`${at.prefix}-${name}-sa`, {
        metadata: meta(at.scope.stage, name, at.namespace, at.tier, name),
        automountServiceAccountToken: false,
    }, inLab(at.scope, at.parent));
}

/** A Secret from Pulumi secrets: stringData, so the values stay secrets in the state and the preview. */
export function secret(at: Place, name: string, data: Record<string, pulumi.Input<string>>): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(`${at.prefix}-${name}`, {
        metadata: meta(at.scope.stage, name, at.namespace, at.tier),
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, pulumi.secret(v)])),
    }, inLab(at.scope, at.parent));
}

export function configMap(at: Place, name: string, data: Record<string, pulumi.Input<string>>): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(`${at.prefix}-${name}`, {
        metadata: meta(at.scope.stage, name, at.namespace, at.tier),
        data,
    }, inLab(at.scope, at.parent));
}

/** A ClusterIP Service (or headless, for StatefulSets and DNS discovery) in front of one service's pods. */
export function clusterService(
    at: Place, name: string, service: string, ports: { name: string; port: number }[], headless = false,
): k8s.core.v1.Service {
    return new k8s.core.v1.Service(`${at.prefix}-${name}-service`, {
        metadata: meta(at.scope.stage, name, at.namespace, at.tier, service),
        spec: {
            type: "ClusterIP",
            ...(headless ? { clusterIP: "None", publishNotReadyAddresses: false } : {}),
            selector: selectorOf(service),
            ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
        },
    }, inLab(at.scope, at.parent));
}

export interface WorkloadArgs {
    /** The service's name: the Deployment's, its pods' label and its ServiceAccount's. */
    readonly service: string;
    readonly pod: Omit<PodArgs, "serviceAccountName">;
    readonly replicas?: number;
    readonly strategy?: k8s.types.input.apps.v1.DeploymentStrategy;
    /** Labels the pods carry besides the lab's (stage 6's region). */
    readonly podLabels?: Record<string, string>;
    /** Other fields of the Deployment's spec (minReadySeconds, ...). */
    readonly spec?: Partial<k8s.types.input.apps.v1.DeploymentSpec>;
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A Deployment of one service with its own ServiceAccount, written once for every server that is
 * one: the app, Nginx, Redis, Vault, Prometheus. Its selector is the service label alone.
 */
export function workload(at: Place, w: WorkloadArgs): k8s.apps.v1.Deployment {
    const sa = serviceAccount(at, w.service);
    const metadata = meta(at.scope.stage, w.service, at.namespace, at.tier, w.service);
    return new k8s.apps.v1.Deployment(`${at.prefix}-${w.service}`, {
        metadata,
        spec: {
            ...(w.replicas !== undefined ? { replicas: w.replicas } : {}),
            ...(w.strategy ? { strategy: w.strategy } : {}),
            ...w.spec,
            selector: { matchLabels: selectorOf(w.service) },
            template: {
                metadata: { labels: { ...labLabels(at.scope.stage, at.tier, w.service), ...w.podLabels } },
                spec: podSpec(at.scope, { ...w.pod, serviceAccountName: sa.metadata.name }),
            },
        },
    }, inLab(at.scope, at.parent, w.dependsOn ?? []));
}

/** Fully qualified DNS name of a Service: what a pod in another namespace resolves. */
export function serviceHost(name: string, namespace: KubeNamespace): string {
    return `${name}.${namespace}.svc.cluster.local`;
}

/** The mode of mounted secret files: readable by the owner and the pod's fsGroup, nobody else. */
export const SECRET_MODE = 0o440;
/** Scripts: readable and executable by all (they hold nothing secret). */
export const SCRIPT_MODE = 0o555;
