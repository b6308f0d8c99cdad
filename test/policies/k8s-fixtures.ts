/**
 * A small happy Kubernetes stack for the stack rules that reach stage 5 (the Kubernetes builder does
 * not exist yet): one namespace with default deny, the app Deployment with an HPA and a PDB, a
 * Service and an allow rule that select its pods.
 */
import { LABELS, PROJECT } from "../../stages/names";
import type { RecordedResource } from "../support/mocks";

const labels = (tier: string) => ({ [LABELS.project]: PROJECT, [LABELS.stage]: "5", [LABELS.tier]: tier });
const APP_PODS = { app: "app" };

function k8s(type: string, name: string, props: Record<string, any>): RecordedResource {
    const [, apiVersion, kind] = /^kubernetes:(.+):(\w+)$/.exec(type)!;
    const inputs = { apiVersion: apiVersion.replace(/^core\//, ""), kind, ...props };
    return { type, name, urn: `${type}::${name}`, inputs, state: { ...inputs }, secretPaths: [], dependsOn: [], parent: "", deleteBeforeReplace: false };
}

const meta = (name: string, tier = "app") => ({ metadata: { name, namespace: "lab-app", labels: labels(tier) } });

export function happyKubernetes(): RecordedResource[] {
    return [
        k8s("kubernetes:core/v1:Namespace", "lab-app", { metadata: { name: "lab-app", labels: labels("app") } }),
        k8s("kubernetes:apps/v1:Deployment", "app", {
            ...meta("app"),
            spec: {
                replicas: 2,
                selector: { matchLabels: APP_PODS },
                template: { metadata: { labels: { ...APP_PODS, ...labels("app") } }, spec: { containers: [{ name: "app", image: "app:1.0.0" }] } },
            },
        }),
        k8s("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "app", {
            ...meta("app"),
            spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "app" }, minReplicas: 2, maxReplicas: 5 },
        }),
        k8s("kubernetes:policy/v1:PodDisruptionBudget", "app", { ...meta("app"), spec: { minAvailable: 1, selector: { matchLabels: APP_PODS } } }),
        k8s("kubernetes:core/v1:Service", "app", { ...meta("app"), spec: { selector: APP_PODS, ports: [{ port: 8080 }] } }),
        k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny", {
            ...meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }),
        k8s("kubernetes:networking.k8s.io/v1:NetworkPolicy", "app-from-edge", {
            ...meta("app-from-edge"),
            spec: { podSelector: { matchLabels: APP_PODS }, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: {} }] }] },
        }),
    ];
}

/** The happy Kubernetes stack with `spec` (or any top-level input) of one resource replaced. */
export function kubernetesWith(type: string, name: string, patch: Record<string, unknown>): RecordedResource[] {
    return happyKubernetes().map((r) => {
        if (!(r.type === type && r.name === name)) return r;
        const inputs = { ...r.inputs, ...patch };
        return { ...r, inputs, state: { ...inputs } };
    });
}
