import * as assert from "node:assert/strict";
import { databaseReplicated } from "../../policy-pack/policies/database-replicated";
import { defaultDenyNetworkPolicy } from "../../policy-pack/policies/default-deny-network-policy";
import { noSinglePointOfFailure } from "../../policy-pack/policies/no-single-point-of-failure";
import { ownershipLabels } from "../../policy-pack/policies/ownership-labels";
import { referencesResolve } from "../../policy-pack/policies/references-resolve";
import { LABELS, PROJECT, TIER_LABELS } from "../../program/names";
import { runPolicy } from "../support/policy-harness";
import { TYPES } from "../support/topology";
import { happy, happyStack, stackWith, stackWithout, withInputs } from "./fixtures";
import { happyKubernetes, kubernetesWith } from "./k8s-fixtures";

const K = {
    deployment: "kubernetes:apps/v1:Deployment",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    service: "kubernetes:core/v1:Service",
    netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

describe("policy no-single-point-of-failure (stack)", () => {
    it("passes two app containers, and a Deployment with an HPA (min 2) and a PDB", async () => {
        assert.deepEqual((await runPolicy(noSinglePointOfFailure, happyStack())).messages, []);
        assert.deepEqual((await runPolicy(noSinglePointOfFailure, happyKubernetes())).messages, []);
    });
    it("fails one app container", async () => {
        assert.deepEqual((await runPolicy(noSinglePointOfFailure, stackWithout("app-2"))).messages, [
            'the app runs as one container ("app-1"): when it stops the product is offline; run at least two instances behind a shared alias or a load balancer (stage 2\'s devsecops:appReplicas)',
        ]);
    });
    it("fails an HPA whose minimum is one pod", async () => {
        const stack = kubernetesWith(K.hpa, "app", { spec: { scaleTargetRef: { kind: "Deployment", name: "app" }, minReplicas: 1, maxReplicas: 5 } });
        assert.match((await runPolicy(noSinglePointOfFailure, stack)).messages.join(), /^deployment "app" \(namespace lab-app\): its HPA's minReplicas is 1,/);
    });
    it("fails an app without a PodDisruptionBudget", async () => {
        const stack = happyKubernetes().filter((r) => r.type !== K.pdb);
        assert.match((await runPolicy(noSinglePointOfFailure, stack)).messages.join(), /no PodDisruptionBudget selects its pods/);
    });
    it("does not count a seed container labelled tier=app as an instance", async () => {
        const stack = [...stackWithout("app-2"), { ...withInputs(happy(), { start: false }), name: "app-1-files" }];
        assert.equal((await runPolicy(noSinglePointOfFailure, stack)).messages.length, 1);
    });
    it("is not applicable without an app", async () => {
        assert.equal((await runPolicy(noSinglePointOfFailure, stackWithout("app-1", "app-2"))).notApplicable.length, 1);
    });
});

describe("policy database-replicated (stack)", () => {
    it("passes a primary with a replica that streams from it", async () => {
        assert.deepEqual((await runPolicy(databaseReplicated, happyStack())).messages, []);
    });
    it("fails a primary without a replica", async () => {
        assert.deepEqual((await runPolicy(databaseReplicated, stackWithout("postgres-replica"))).messages, [
            'container "postgres-primary" (postgres) has no streaming replica: when it stops, every read and write fails; add a replica whose PRIMARY_HOST is one of postgres-primary, devsecops-s4-postgres-primary',
        ]);
    });
    it("fails a replica wired to no primary", async () => {
        const { messages } = await runPolicy(databaseReplicated, stackWith("postgres-replica", { envs: ["PRIMARY_HOST=db-old"] }));
        assert.deepEqual(messages.slice(1), [
            'container "postgres-replica": PRIMARY_HOST=db-old names no Postgres primary of the stack, so it replicates nothing; point it at the primary\'s alias',
        ]);
    });
});

describe("policy ownership-labels", () => {
    it("passes labelled containers, networks and volumes, and Kubernetes objects", async () => {
        const all = [...happyStack(), ...happyKubernetes()];
        const outcome = await runPolicy(ownershipLabels, all);
        assert.deepEqual(outcome.messages, []);
        // Images and passwords take no labels: not applicable rather than failing.
        assert.deepEqual(outcome.notApplicable.map((n) => n.resource).sort(), ["app-image", "nginx", "postgres", "redis"]);
    });
    it("fails a missing tier label", async () => {
        const volume = withInputs(happy("postgres-primary-data", TYPES.volume), { labels: [{ label: LABELS.project, value: PROJECT }, { label: LABELS.stage, value: "4" }] });
        assert.deepEqual((await runPolicy(ownershipLabels, volume)).messages, [
            `volume "postgres-primary-data": labels lack devsecops-journey/tier; add it (one of ${TIER_LABELS.join(", ")}), as the builders' labLabels() does`,
        ]);
    });
    it("fails a value outside the lab's vocabulary", async () => {
        const stack = kubernetesWith(K.service, "app", { metadata: { name: "app", namespace: "lab-app", labels: { [LABELS.project]: "other", [LABELS.stage]: "5", [LABELS.tier]: "app" } } });
        assert.deepEqual((await runPolicy(ownershipLabels, stack)).messages, [
            'service "app": metadata.labels devsecops-journey/project is "other"; use one of devsecops-journey',
        ]);
    });
});

describe("policy default-deny-network-policy (stack)", () => {
    it("passes a namespace with a default deny for both directions", async () => {
        assert.deepEqual((await runPolicy(defaultDenyNetworkPolicy, happyKubernetes())).messages, []);
    });
    it("fails a deny that covers ingress only", async () => {
        const stack = kubernetesWith(K.netpol, "default-deny", { spec: { podSelector: {}, policyTypes: ["Ingress"] } });
        assert.deepEqual((await runPolicy(defaultDenyNetworkPolicy, stack)).messages, [
            'namespace "lab-app": no NetworkPolicy denies Egress by default, so its pods open connections anyone allows; add one with podSelector: {}, policyTypes: [Egress] and no rules',
        ]);
    });
    it("fails a namespace without a default deny", async () => {
        const stack = happyKubernetes().filter((r) => !(r.type === K.netpol && r.name === "default-deny"));
        assert.deepEqual((await runPolicy(defaultDenyNetworkPolicy, stack)).messages, [
            'namespace "lab-app": no NetworkPolicy denies Ingress and Egress by default, so its pods accept and open connections anyone allows; add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules',
        ]);
    });
    it("is not applicable to the Docker stages", async () => {
        assert.deepEqual((await runPolicy(defaultDenyNetworkPolicy, happyStack())).notApplicable.map((n) => n.reason), ["the stack has no Kubernetes namespaces"]);
    });
});

describe("policy references-resolve (stack)", () => {
    it("passes a Service, NetworkPolicy and HPA that find their workload", async () => {
        assert.deepEqual((await runPolicy(referencesResolve, happyKubernetes())).messages, []);
    });
    it("finds the pods of a CronJob under spec.jobTemplate", async () => {
        const stack = kubernetesWith(K.netpol, "app-from-edge", { spec: { podSelector: { matchLabels: { app: "chaos" } }, policyTypes: ["Egress"], egress: [{}] } });
        assert.deepEqual((await runPolicy(referencesResolve, stack)).messages, []);
    });
    it("fails a Service whose selector matches no pods", async () => {
        const stack = kubernetesWith(K.service, "app", { spec: { selector: { app: "ap" } } });
        assert.deepEqual((await runPolicy(referencesResolve, stack)).messages, [
            'service "app" (namespace lab-app) selects {"app":"ap"}, which no workload\'s pods carry; match a pod template\'s labels',
        ]);
    });
    it("fails an HPA aimed at a missing Deployment", async () => {
        const stack = kubernetesWith(K.hpa, "app", { spec: { scaleTargetRef: { kind: "Deployment", name: "api" }, minReplicas: 2 } });
        assert.match((await runPolicy(referencesResolve, stack)).messages.join(), /targets Deployment "api", which the stack does not define there/);
    });
    it("is not applicable to the Docker stages", async () => {
        assert.equal((await runPolicy(referencesResolve, happyStack())).notApplicable.length, 1);
    });
});
