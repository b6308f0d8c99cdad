import * as assert from "node:assert/strict";
import { k8sHpaSane } from "../../policy-pack/policies/k8s-hpa-sane";
import { k8sNamespacePssLabel } from "../../policy-pack/policies/k8s-namespace-pss-label";
import { k8sNoDefaultNamespace } from "../../policy-pack/policies/k8s-no-default-namespace";
import { k8sRbacLeastPrivilege } from "../../policy-pack/policies/k8s-rbac-least-privilege";
import { k8sSaHygiene } from "../../policy-pack/policies/k8s-sa-hygiene";
import { k8sSecretEnvRef } from "../../policy-pack/policies/k8s-secret-env-ref";
import { k8sServiceExposure } from "../../policy-pack/policies/k8s-service-exposure";
import { runPolicy } from "../support/policy-harness";
import { happyStack } from "./fixtures";
import { happyK8s, happyKubernetes, K, NS, withField } from "./k8s-fixtures";

type Policy = Parameters<typeof runPolicy>[0];

/** The violations of one policy over one happy resource with one field set (or removed: undefined). */
async function messagesOf(policy: Policy, type: string, name: string, path?: string, value?: unknown, config = {}) {
    const resource = happyK8s(type, name);
    return (await runPolicy(policy, path ? withField(resource, path, value) : resource, config)).messages;
}

describe("policy k8s-no-default-namespace", () => {
    it("passes every namespaced object of the happy stack; cluster-scoped ones are not applicable", async () => {
        const outcome = await runPolicy(k8sNoDefaultNamespace, [...happyKubernetes(), ...happyStack()]);
        assert.deepEqual(outcome.messages, []);
        assert.ok(outcome.notApplicable.some((n) => n.resource === NS), "the Namespace itself");
        assert.equal(outcome.notApplicable.length, 1 + happyStack().length);
    });
    it("fails an object in the default namespace", async () => {
        assert.deepEqual(await messagesOf(k8sNoDefaultNamespace, K.deployment, "app", "metadata.namespace", "default"), [
            'deployment "app": metadata.namespace is "default", which every unlabelled object shares and no Pod Security label or default-deny guards; put it in its tier\'s namespace',
        ]);
    });
    it("fails an object without a namespace", async () => {
        assert.match((await messagesOf(k8sNoDefaultNamespace, K.service, "app", "metadata.namespace", undefined)).join(),
            /^service "app": metadata.namespace is not set, so it lands in whatever namespace the provider defaults to/);
    });
});

describe("policy k8s-sa-hygiene", () => {
    const config = { tokenServiceAccounts: ["chaos"] };
    it("passes pods with their own account and no token, and the chaos job's allowed token", async () => {
        const outcome = await runPolicy(k8sSaHygiene, happyKubernetes(), config);
        assert.deepEqual(outcome.messages, []);
    });
    it("fails the token automounted", async () => {
        assert.deepEqual(await messagesOf(k8sSaHygiene, K.deployment, "app", "spec.template.spec.automountServiceAccountToken", true, config), [
            'deployment "app": spec.template.spec.automountServiceAccountToken is true, so a compromised container holds a Kubernetes API token; set it to false (or list its ServiceAccount in tokenServiceAccounts)',
        ]);
    });
    it("fails the default ServiceAccount", async () => {
        assert.deepEqual(await messagesOf(k8sSaHygiene, K.deployment, "app", "spec.template.spec.serviceAccountName", undefined, config), [
            'deployment "app": spec.template.spec.serviceAccountName is not set, so it runs as the namespace\'s default ServiceAccount that every such pod shares; create one for it and set serviceAccountName',
        ]);
    });
    it("fails a ServiceAccount that hands its token to every pod", async () => {
        assert.deepEqual(await messagesOf(k8sSaHygiene, K.serviceAccount, "app", "automountServiceAccountToken", undefined, config), [
            'service account "app": automountServiceAccountToken is not set (true by default), so every pod that uses it carries an API token; set it to false, or list the account in tokenServiceAccounts',
        ]);
    });
    it("takes its allowlist from config only (the SDK fills no schema default)", async () => {
        const chaos = happyK8s(K.cronJob, "chaos");
        assert.match((await runPolicy(k8sSaHygiene, chaos, {})).messages.join(), /^cron job "chaos": spec.jobTemplate.spec.template.spec.automountServiceAccountToken is true/);
        assert.deepEqual((await runPolicy(k8sSaHygiene, chaos, { tokenServiceAccounts: [`${NS}/chaos`] })).messages, []);
    });
});

describe("policy k8s-secret-env-ref", () => {
    const env = "spec.template.spec.containers[0].env[1]";
    it("passes a password from secretKeyRef and a ConfigMap of plain settings", async () => {
        assert.deepEqual((await runPolicy(k8sSecretEnvRef, happyKubernetes())).messages, []);
    });
    it("fails a password as a literal env value", async () => {
        assert.deepEqual(await messagesOf(k8sSecretEnvRef, K.deployment, "app", env, { name: "DB_PASSWORD", value: "hunter2" }), [
            'deployment "app", container "app": spec.template.spec.containers[0].env[1] DB_PASSWORD holds a literal value, which anyone who may read the Deployment sees; use valueFrom.secretKeyRef to a Secret',
        ]);
    });
    it("fails a password read from a ConfigMap", async () => {
        assert.match((await messagesOf(k8sSecretEnvRef, K.deployment, "app", `${env}.valueFrom`, { configMapKeyRef: { name: "app-config", key: "pw" } })).join(),
            /env\[1\] DB_PASSWORD comes from a ConfigMap \(valueFrom.configMapKeyRef\), which stores it unencrypted/);
    });
    it("fails a ConfigMap with a sensitive key", async () => {
        assert.deepEqual(await messagesOf(k8sSecretEnvRef, K.configMap, "app-config", "data.API_TOKEN", "abc"), [
            'config map "app-config": data["API_TOKEN"] looks like a secret, and a ConfigMap is readable by anyone who may read config and is stored unencrypted; move it to a Secret',
        ]);
    });
});

describe("policy k8s-service-exposure", () => {
    const config = { nodePortServices: ["nginx"] };
    it("passes ClusterIP Services and the edge's allowed NodePort", async () => {
        assert.deepEqual((await runPolicy(k8sServiceExposure, happyKubernetes(), config)).messages, []);
    });
    it("fails a LoadBalancer", async () => {
        assert.deepEqual(await messagesOf(k8sServiceExposure, K.service, "app", "spec.type", "LoadBalancer", config), [
            'service "app": spec.type is LoadBalancer, so the cloud opens it to the internet beside the edge; make it ClusterIP and reach it through the edge',
        ]);
    });
    it("fails externalIPs", async () => {
        assert.deepEqual(await messagesOf(k8sServiceExposure, K.service, "app", "spec.externalIPs", ["203.0.113.10"], config), [
            'service "app": spec.externalIPs (203.0.113.10) makes every node answer for those addresses; remove spec.externalIPs',
        ]);
    });
    it("fails a NodePort the config does not list", async () => {
        assert.deepEqual(await messagesOf(k8sServiceExposure, K.service, "app", "spec.type", "NodePort", config), [
            'service "app": spec.type is NodePort, so every node publishes it, and only nginx may be; make it ClusterIP, or list it in nodePortServices if it is the entry point',
        ]);
    });
    it("takes its allowlist from config only", async () => {
        assert.equal((await runPolicy(k8sServiceExposure, happyK8s(K.service, "nginx"), {})).messages.length, 1);
    });
});

describe("policy k8s-namespace-pss-label", () => {
    const label = 'metadata.labels["pod-security.kubernetes.io/enforce"]';
    const withLevel = (level: string | undefined) => {
        const ns = happyK8s(K.namespace, NS);
        const labels = { ...ns.inputs.metadata.labels, "pod-security.kubernetes.io/enforce": level };
        if (level === undefined) delete labels["pod-security.kubernetes.io/enforce"];
        return withField(ns, "metadata.labels", labels);
    };
    it("passes restricted", async () => assert.deepEqual(await messagesOf(k8sNamespacePssLabel, K.namespace, NS), []));
    it("fails a namespace without the label", async () => {
        assert.deepEqual((await runPolicy(k8sNamespacePssLabel, withLevel(undefined), { baselineNamespaces: [] })).messages, [
            `namespace "${NS}": ${label} is not set, so the API server admits pods that run as root or privileged there; set it to restricted`,
        ]);
    });
    it("allows baseline only where the config says", async () => {
        assert.match((await runPolicy(k8sNamespacePssLabel, withLevel("baseline"), { baselineNamespaces: [] })).messages.join(), /is "baseline", so/);
        assert.deepEqual((await runPolicy(k8sNamespacePssLabel, withLevel("baseline"), { baselineNamespaces: [NS] })).messages, []);
        assert.match((await runPolicy(k8sNamespacePssLabel, withLevel("privileged"), { baselineNamespaces: [NS] })).messages.join(),
            /is "privileged", .*; set it to restricted \(or baseline, which the config allows here\)$/);
    });
});

describe("policy k8s-rbac-least-privilege", () => {
    it("passes a Role with exact verbs on pods, bound to its ServiceAccount", async () => {
        assert.deepEqual((await runPolicy(k8sRbacLeastPrivilege, happyKubernetes())).messages, []);
    });
    it("fails a Role with \"*\" verbs", async () => {
        assert.deepEqual(await messagesOf(k8sRbacLeastPrivilege, K.role, "chaos", "rules[0].verbs", ["*"]), [
            'role "chaos": rules[0].verbs contains "*", which grants every verb, escalate and impersonate included, and whatever the API adds later; list the verbs it needs',
        ]);
    });
    it("fails a Role with \"*\" resources", async () => {
        assert.match((await messagesOf(k8sRbacLeastPrivilege, K.role, "chaos", "rules[0].resources", ["*"])).join(),
            /^role "chaos": rules\[0\].resources contains "\*", which grants every resource of its API groups, Secrets included/);
    });
    it("fails a binding to cluster-admin", async () => {
        assert.deepEqual(await messagesOf(k8sRbacLeastPrivilege, K.roleBinding, "chaos", "roleRef", { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }), [
            'role binding "chaos": roleRef is ClusterRole "cluster-admin", which lets its subjects do anything anywhere in the cluster; bind a Role that lists only what they need',
        ]);
    });
});

describe("policy k8s-hpa-sane", () => {
    it("passes min 2, max 5", async () => assert.deepEqual(await messagesOf(k8sHpaSane, K.hpa, "app"), []));
    it("fails min 1", async () => {
        assert.deepEqual(await messagesOf(k8sHpaSane, K.hpa, "app", "spec.minReplicas", 1), [
            'horizontal pod autoscaler "app": spec.minReplicas is 1, so it may scale the app down to one pod, a single point of failure; set minReplicas to 2 or more',
        ]);
    });
    it("fails max <= min", async () => {
        assert.deepEqual(await messagesOf(k8sHpaSane, K.hpa, "app", "spec.maxReplicas", 2), [
            'horizontal pod autoscaler "app": spec.maxReplicas (2) is not above minReplicas (2), so it can never scale out; set maxReplicas above minReplicas',
        ]);
    });
});
