import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../../program/config";
import { KubeNamespace, LABELS, PROJECT, TierLabel } from "../../program/names";
import { KubernetesProfile, StageProfile } from "../../profiles/profile";

/** The core/v1 input shapes (a namespace alias: `type` cannot name a namespace). */
import Input = k8s.types.input.core.v1;

/** What every component of the Kubernetes builder receives. */
export interface KubeContext {
    readonly lab: LabConfig;
    readonly k8s: KubernetesProfile;
    /** The namespaces and their NetworkPolicies: every object waits for them, so no pod starts unfenced. */
    readonly ready: pulumi.Resource[];
}

/** The lab's ownership labels, plus the service a pod belongs to (selectors match on it). */
export function labLabels(profile: StageProfile, tier: TierLabel, service?: string): Record<string, string> {
    return {
        [LABELS.project]: PROJECT,
        [LABELS.stage]: String(profile.stage),
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
    profile: StageProfile, name: string, namespace: KubeNamespace | undefined, tier: TierLabel, service?: string,
): k8s.types.input.meta.v1.ObjectMeta {
    return { name, ...(namespace ? { namespace } : {}), labels: labLabels(profile, tier, service) };
}

/**
 * Options for every object: under its component, and replaced delete-first, because a fixed name
 * cannot exist twice (a Job's or a selector's change forces a replacement).
 */
export function objectOptions(parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []): pulumi.CustomResourceOptions {
    return { parent, dependsOn, deleteBeforeReplace: true };
}

/** objectOptions for an object inside a lab namespace: after the namespaces and their policies. */
export function inLab(ctx: KubeContext, parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[] = []): pulumi.CustomResourceOptions {
    return objectOptions(parent, [...ctx.ready, ...dependsOn]);
}

/** uid and gid a container runs as: the image's own non-root user (IMAGE_USERS), as numbers. */
export function ids(user: string): { uid: number; gid: number } {
    const [uid, gid] = user.split(":").map(Number);
    if (!(uid > 0) || !(gid >= 0)) throw new Error(`"${user}" is not a non-root uid:gid`);
    return { uid, gid };
}

/**
 * Pod Security "restricted" for a container (stage 4's hardening in Kubernetes' words): non-root,
 * no privilege escalation, every capability dropped, read-only root filesystem, RuntimeDefault seccomp.
 */
export function restrictedContainer(user: string): Input.SecurityContext {
    const { uid, gid } = ids(user);
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** The pod's side: the same user, and fsGroup so mounted secrets are readable by the server's group only. */
export function restrictedPod(user: string): Input.PodSecurityContext {
    const { uid, gid } = ids(user);
    return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Requests and limits: a request so the scheduler and the HPA can count, limits so one pod cannot starve the node. */
export function resources(cpu: string, memory: string, cpuLimit: string, memoryLimit: string): Input.ResourceRequirements {
    return { requests: { cpu, memory }, limits: { cpu: cpuLimit, memory: memoryLimit } };
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
}

/** A pod spec the restricted profile admits, with its own ServiceAccount and no API token. */
export function podSpec(args: PodArgs): Input.PodSpec {
    return {
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: args.apiToken === true,
        // No *_SERVICE_HOST variables from every Service of the namespace: DNS names only.
        enableServiceLinks: false,
        securityContext: restrictedPod(args.user),
        containers: args.containers,
        ...(args.volumes?.length ? { volumes: args.volumes } : {}),
        ...(args.restartPolicy ? { restartPolicy: args.restartPolicy } : {}),
        ...(args.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds } : {}),
    };
}

/** A workload's own ServiceAccount; the token is mounted nowhere unless a pod asks for it. */
export function serviceAccount(
    ctx: KubeContext, parent: pulumi.Resource, name: string, namespace: KubeNamespace, tier: TierLabel,
): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(`${namespace}-${name}`, {
        metadata: meta(ctx.lab.profile, name, namespace, tier, name),
        automountServiceAccountToken: false,
    }, inLab(ctx, parent));
}

/** A Secret from Pulumi secrets: stringData, so the values stay secrets in the state and the preview. */
export function secret(
    ctx: KubeContext, parent: pulumi.Resource, name: string, namespace: KubeNamespace, tier: TierLabel,
    data: Record<string, pulumi.Input<string>>,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(`${namespace}-${name}`, {
        metadata: meta(ctx.lab.profile, name, namespace, tier),
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, pulumi.secret(v)])),
    }, inLab(ctx, parent));
}

export function configMap(
    ctx: KubeContext, parent: pulumi.Resource, name: string, namespace: KubeNamespace, tier: TierLabel,
    data: Record<string, pulumi.Input<string>>,
): k8s.core.v1.ConfigMap {
    return new k8s.core.v1.ConfigMap(`${namespace}-${name}`, {
        metadata: meta(ctx.lab.profile, name, namespace, tier),
        data,
    }, inLab(ctx, parent));
}

/** A ClusterIP Service (or headless, for StatefulSets and DNS discovery) in front of one service's pods. */
export function clusterService(
    ctx: KubeContext, parent: pulumi.Resource, name: string, namespace: KubeNamespace, tier: TierLabel,
    service: string, ports: { name: string; port: number }[], headless = false,
): k8s.core.v1.Service {
    return new k8s.core.v1.Service(`${namespace}-${name}`, {
        metadata: meta(ctx.lab.profile, name, namespace, tier, service),
        spec: {
            type: "ClusterIP",
            ...(headless ? { clusterIP: "None", publishNotReadyAddresses: false } : {}),
            selector: selectorOf(service),
            ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })),
        },
    }, inLab(ctx, parent));
}

/** Fully qualified DNS name of a Service: what a pod in another namespace resolves. */
export function serviceHost(name: string, namespace: KubeNamespace): string {
    return `${name}.${namespace}.svc.cluster.local`;
}

/** The mode of mounted secret files: readable by the owner and the pod's fsGroup, nobody else. */
export const SECRET_MODE = 0o440;
/** Scripts: readable and executable by all (they hold nothing secret). */
export const SCRIPT_MODE = 0o555;
