import { PolicyResource } from "@pulumi/policy";
import { LABELS } from "../contract";
import { tierOf } from "./lib/docker";
import { previewSafe } from "./lib/known";
import { K8S, namespaceOf, read, selects, workloads } from "./lib/kubernetes";
import { stackPolicy } from "./lib/meta";
import { DockerStack } from "./lib/stack";

const APP = "app";

export const noSinglePointOfFailure = stackPolicy({
    name: "no-single-point-of-failure",
    description: "The app runs as two or more instances (or an HPA with minReplicas >= 2) and, on Kubernetes, has a PodDisruptionBudget.",
    from: 2,
    severity: "high",
    why: "Single point of failure: if the one server goes down, the entire product is offline; multiple identical instances provide redundancy.",
    remediation: "Run at least two app instances (devsecops:appReplicas from stage 2); on Kubernetes set replicas or HPA minReplicas >= 2 and add a PodDisruptionBudget.",
    anchors: ["KS deployment-replicas", "Ky require-pdb"],
}, {
    validateStack: previewSafe((args, report) => {
        const stack = new DockerStack(args.resources);
        // Servers only: a seed or a job labelled tier=app is not an instance of the app.
        const containers = stack.containersIn("server").filter((c) => tierOf(stack.labels(c)) === APP);
        const apps = workloads(args.resources)
            .filter((w) => ["Deployment", "StatefulSet", "ReplicaSet"].includes(w.kind) && w.podLabels?.[LABELS.tier] === APP);
        if (containers.length === 0 && apps.length === 0) {
            args.notApplicable(`the stack runs no app (nothing labelled ${LABELS.tier}=${APP})`);
        }
        if (containers.length === 1) {
            report(`the app runs as one container ("${containers[0].name}"): when it stops the product is offline; run at ` +
                `least two instances behind a shared alias or a load balancer (stage 2's devsecops:appReplicas)`, containers[0].urn);
        }
        const of = (types: readonly string[]) => args.resources.filter((r) => types.includes(r.type));
        const hpas = of(K8S.hpa);
        const pdbs = of([K8S.pdb]);
        for (const app of apps) {
            const where = `${app.kind.toLowerCase()} "${app.name}" (namespace ${app.namespace})`;
            const replicas = read(app.resource, (p) => p.spec?.replicas) ?? 1;
            const hpa = hpas.find((h) => sameNamespace(h, app.namespace) &&
                read(h, (p) => p.spec?.scaleTargetRef?.name) === app.name && read(h, (p) => p.spec?.scaleTargetRef?.kind) === app.kind);
            const minReplicas = hpa ? read(hpa, (p) => p.spec?.minReplicas) ?? 1 : undefined;
            // An HPA overrides spec.replicas and may scale down to its minimum: that is what counts.
            if ((minReplicas ?? replicas) < 2) {
                report(`${where}: ${hpa ? `its HPA's minReplicas is ${minReplicas}` : `replicas is ${replicas} and no HPA scales it`}, ` +
                    `so one pod is the whole app; set replicas or the HPA's minReplicas to 2 or more`, (hpa ?? app.resource).urn);
            }
            const guarded = pdbs.some((pdb) => sameNamespace(pdb, app.namespace) && selects(read(pdb, (p) => p.spec?.selector), app.podLabels ?? {}));
            if (!guarded) {
                report(`${where}: no PodDisruptionBudget selects its pods, so a node drain may evict them all at once; ` +
                    `add one with minAvailable: 1 and its pod labels as selector`, app.resource.urn);
            }
        }
    }),
});

const sameNamespace = (r: PolicyResource, namespace: string) => namespaceOf(r) === namespace;
