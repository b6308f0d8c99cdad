/**
 * A happy Kubernetes stack that passes every policy, the stage-5 shape in small: a namespace that
 * enforces Pod Security "restricted" with a default deny, the app Deployment (restricted security
 * context, its own ServiceAccount without a token, probes, requests and limits, its password from
 * a Secret) with an HPA, a PDB and a Service, the edge's NodePort Service, a ConfigMap, and stage 6's
 * chaos CronJob with the one Role it needs. Each test takes a fresh copy and changes one field
 * (`withField`), so reading it tells the rule.
 */
import { LABELS, PROJECT } from "../../program/names";
import type { RecordedResource } from "../support/mocks";

export const NS = "lab-app";
const labels = (tier: string) => ({ [LABELS.project]: PROJECT, [LABELS.stage]: "5", [LABELS.tier]: tier });
const APP_PODS = { app: "app" };
const CHAOS_PODS = { app: "chaos" };

export const K = {
    namespace: "kubernetes:core/v1:Namespace",
    serviceAccount: "kubernetes:core/v1:ServiceAccount",
    configMap: "kubernetes:core/v1:ConfigMap",
    service: "kubernetes:core/v1:Service",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
} as const;

export function k8s(type: string, name: string, props: Record<string, any>): RecordedResource {
    const [, apiVersion, kind] = /^kubernetes:(.+):(\w+)$/.exec(type)!;
    const inputs = { apiVersion: apiVersion.replace(/^core\//, ""), kind, ...props };
    return { type, name, urn: `${type}::${name}`, inputs, state: structuredClone(inputs), secretPaths: [], dependsOn: [], parent: "", deleteBeforeReplace: false };
}

const meta = (name: string, tier = "app") => ({ metadata: { name, namespace: NS, labels: labels(tier) } });

/** Pod Security "restricted" for a container, and the resources, probes and image the rules ask for. */
function container(name: string, image: string, more: Record<string, unknown> = {}) {
    return {
        name,
        image,
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        ...more,
    };
}

const probes = {
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    livenessProbe: { httpGet: { path: "/health", port: 8080 } },
};

function podSpec(serviceAccountName: string, containers: unknown[], more: Record<string, unknown> = {}) {
    return {
        serviceAccountName,
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers,
        ...more,
    };
}

export function happyKubernetes(): RecordedResource[] {
    return [
        k8s(K.namespace, NS, { metadata: { name: NS, labels: { ...labels("app"), "pod-security.kubernetes.io/enforce": "restricted" } } }),
        k8s(K.serviceAccount, "app", { ...meta("app"), automountServiceAccountToken: false }),
        k8s(K.configMap, "app-config", { ...meta("app-config"), data: { LOG_LEVEL: "info", "nginx.conf": "events {}" } }),
        k8s(K.deployment, "app", {
            ...meta("app"),
            spec: {
                replicas: 2,
                selector: { matchLabels: APP_PODS },
                template: {
                    metadata: { labels: { ...APP_PODS, ...labels("app") } },
                    spec: podSpec("app", [container("app", "app:1.0.0", {
                        ports: [{ containerPort: 8080 }],
                        env: [
                            { name: "LOG_LEVEL", value: "info" },
                            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
                        ],
                        ...probes,
                    })], {
                        initContainers: [container("wait-for-db", "busybox:1.37.0")],
                        volumes: [{ name: "tmp", emptyDir: { medium: "Memory" } }],
                    }),
                },
            },
        }),
        k8s(K.hpa, "app", {
            ...meta("app"),
            spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "app" }, minReplicas: 2, maxReplicas: 5 },
        }),
        k8s(K.pdb, "app", { ...meta("app"), spec: { minAvailable: 1, selector: { matchLabels: APP_PODS } } }),
        k8s(K.service, "app", { ...meta("app"), spec: { selector: APP_PODS, ports: [{ port: 8080 }] } }),
        // The edge: the one NodePort the policy config allows (kind maps it to a host port).
        k8s(K.service, "nginx", { ...meta("nginx", "edge"), spec: { type: "NodePort", selector: APP_PODS, ports: [{ port: 8443, nodePort: 30443 }] } }),
        k8s(K.netpol, "default-deny", {
            ...meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }),
        k8s(K.netpol, "app-from-edge", {
            ...meta("app-from-edge"),
            spec: { podSelector: { matchLabels: APP_PODS }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] },
        }),
        // Stage 6's chaos job: the one workload that calls the API, with a Role that allows exactly that.
        k8s(K.serviceAccount, "chaos", { ...meta("chaos"), automountServiceAccountToken: false }),
        k8s(K.role, "chaos", { ...meta("chaos"), rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "delete"] }] }),
        k8s(K.roleBinding, "chaos", {
            ...meta("chaos"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "chaos" },
            subjects: [{ kind: "ServiceAccount", name: "chaos", namespace: NS }],
        }),
        k8s(K.cronJob, "chaos", {
            ...meta("chaos"),
            spec: {
                schedule: "*/10 * * * *",
                jobTemplate: {
                    spec: {
                        template: {
                            metadata: { labels: { ...CHAOS_PODS, ...labels("app") } },
                            spec: podSpec("chaos", [container("chaos", "bitnami/kubectl:1.33.4")], { automountServiceAccountToken: true, restartPolicy: "Never" }),
                        },
                    },
                },
            },
        }),
    ];
}

/** One happy resource by type and name (a fresh copy). */
export function happyK8s(type: string, name: string): RecordedResource {
    const found = happyKubernetes().find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no happy ${type} "${name}"`);
    return found;
}

/**
 * A copy of `r` with one field at a path (`spec.template.spec.containers[0].securityContext.privileged`)
 * set, or removed when `value` is undefined: the same path the policy's message names.
 */
export function withField(r: RecordedResource, path: string, value: unknown): RecordedResource {
    const inputs = structuredClone(r.inputs);
    const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
    let at: any = inputs;
    keys.slice(0, -1).forEach((key, i) => {
        if (at[key] === undefined) at[key] = /^\d+$/.test(keys[i + 1]) ? [] : {};
        at = at[key];
    });
    const last = keys[keys.length - 1];
    if (value === undefined) delete at[last];
    else at[last] = value;
    return { ...r, inputs, state: structuredClone(inputs) };
}

/** The happy stack with one field of one resource changed (see withField). */
export function kubernetesWithField(type: string, name: string, path: string, value: unknown): RecordedResource[] {
    return happyKubernetes().map((r) => (r.type === type && r.name === name ? withField(r, path, value) : r));
}

/** The happy Kubernetes stack with `spec` (or any top-level input) of one resource replaced. */
export function kubernetesWith(type: string, name: string, patch: Record<string, unknown>): RecordedResource[] {
    return happyKubernetes().map((r) => {
        if (!(r.type === type && r.name === name)) return r;
        const inputs = { ...r.inputs, ...patch };
        return { ...r, inputs, state: { ...inputs } };
    });
}
