/**
 * Stage 6's ValidatingAdmissionPolicy, evaluated with a stand-in for the API server's CEL: the
 * @marcbachmann/cel-js evaluator, which implements the CEL spec's macros (all, exists, has), `in`,
 * string `matches` and `endsWith` (the language definition at https://github.com/google/cel-spec) as Kubernetes' CEL does
 * for these expressions (kubernetes.io/docs/reference/using-api/cel); `matches` is RE2 there and a
 * JavaScript RegExp here, which agree on the classes and anchors the rules use. The variables are
 * evaluated first and given as `variables`, as the API server does (kubernetes.io/docs/reference/
 * access-authn-authz/validating-admission-policy, "Variable composition"). What the real API server
 * says is proven in the end-to-end workflow's admission drill.
 *
 * The point: the cluster admits every pod the lab itself creates, refuses each realistic mutation,
 * and agrees with the pack's own policy on each one ("the same core rules").
 */
import * as assert from "node:assert/strict";
import { ADMISSION_POLICY, ADMISSION_VALIDATIONS, CONTAINERS_VARIABLE } from "../../builders/kubernetes/admission";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { configDefaults } from "../../policy-pack/stage-config";
import { KUBE_NAMESPACES, LABELS, PROJECT } from "../../program/names";
import { ProgramRun, RecordedResource, runProgram } from "../support/mocks";
import { KUBE_TYPES, kind, podTemplate, ref, workloads } from "../support/kube";
import { runPolicy } from "../support/policy-harness";

// The evaluator is ESM only: a real import(), which TypeScript would otherwise turn into require().
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

type Evaluate = (expression: string, context: Record<string, unknown>) => unknown;

interface PodUnderReview { readonly name: string; readonly namespace: string; readonly pod: any }

/** What the API server sees when a workload's controller creates its pod. */
function podOf(w: RecordedResource): PodUnderReview {
    const t = podTemplate(w);
    return {
        name: ref(w),
        namespace: w.inputs.metadata.namespace,
        pod: { apiVersion: "v1", kind: "Pod", metadata: { labels: { ...t.metadata.labels }, namespace: w.inputs.metadata.namespace }, spec: structuredClone(t.spec) },
    };
}

describe("stage 6: the cluster's own admission policy (CEL, stand-in evaluator)", () => {
    let run: ProgramRun;
    let evaluate: Evaluate;
    /** The validations that refuse a pod (their pack policy names); empty: admitted. */
    let refusals: (p: PodUnderReview) => string[];

    before(async () => {
        run = await runProgram({ stage: "6" });
        evaluate = (await importEsm("@marcbachmann/cel-js")).evaluate;
        refusals = ({ pod, namespace }) => {
            const context = { object: pod, namespaceObject: { metadata: { name: namespace } } };
            const variables = { containers: evaluate(CONTAINERS_VARIABLE, context) };
            return ADMISSION_VALIDATIONS.filter((v) => evaluate(v.expression, { ...context, variables }) !== true).map((v) => v.policy);
        };
    });

    it("binds one policy, denying, to exactly the lab's namespaces", () => {
        const [policy] = kind(run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
        const [binding] = kind(run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
        assert.equal(policy.inputs.metadata.name, ADMISSION_POLICY);
        assert.equal(policy.inputs.spec.failurePolicy, "Fail");
        assert.deepEqual(binding.inputs.spec.validationActions, ["Deny"]);
        assert.equal(binding.inputs.spec.policyName, ADMISSION_POLICY);
        const selector: Record<string, string> = binding.inputs.spec.matchResources.namespaceSelector.matchLabels;
        const selected = (labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
        const namespaces = kind(run, KUBE_TYPES.namespace);
        assert.deepEqual(namespaces.filter((n) => selected(n.inputs.metadata.labels)).map((n) => n.inputs.metadata.name).sort(),
            Object.values(KUBE_NAMESPACES).filter((n) => namespaces.some((ns) => ns.inputs.metadata.name === n)).sort());
        assert.equal(selected({ "kubernetes.io/metadata.name": "kube-system" }), false, "not the cluster's own namespaces");
        // Every pod of the lab waits for the binding, so each is admitted by it.
        for (const w of workloads(run)) assert.ok(w.dependsOn.some((d) => d.includes("admission-binding")), `${ref(w)} waits for the binding`);
    });

    it("admits every pod the lab itself creates", () => {
        const pods = workloads(run).map(podOf);
        assert.ok(pods.length >= 12, `${pods.length} pod templates`);
        assert.deepEqual(pods.map((p) => [p.name, refusals(p)]).filter(([, r]) => (r as string[]).length > 0), []);
    });

    const app = () => podOf(workloads(run).find((w) => ref(w) === `${KUBE_NAMESPACES.app}/app`)!);
    const MUTATIONS: { readonly what: string; readonly policy: string; readonly edit: (pod: any) => void }[] = [
        { what: "an image on :latest", policy: "k8s-image-tag", edit: (p) => { p.spec.containers[0].image = "busybox:latest"; } },
        { what: "an image with no tag", policy: "k8s-image-tag", edit: (p) => { p.spec.containers[0].image = "busybox"; } },
        { what: "a registry with a port and no tag", policy: "k8s-image-tag", edit: (p) => { p.spec.containers[0].image = "localhost:5001/devsecops-app"; } },
        { what: "an init container on :latest", policy: "k8s-image-tag", edit: (p) => { p.spec.initContainers = [{ ...p.spec.containers[0], name: "init", image: "alpine:latest" }]; } },
        { what: "no memory limit", policy: "k8s-resources", edit: (p) => { delete p.spec.containers[0].resources.limits; } },
        { what: "no resources at all", policy: "k8s-resources", edit: (p) => { delete p.spec.containers[0].resources; } },
        { what: "the API token mounted", policy: "k8s-sa-hygiene", edit: (p) => { p.spec.automountServiceAccountToken = true; } },
        { what: "the default ServiceAccount", policy: "k8s-sa-hygiene", edit: (p) => { p.spec.serviceAccountName = "default"; } },
        { what: "no project label", policy: "ownership-labels", edit: (p) => { delete p.metadata.labels[LABELS.project]; } },
        { what: "another project's label", policy: "ownership-labels", edit: (p) => { p.metadata.labels[LABELS.project] = `${PROJECT}-fork`; } },
    ];

    for (const m of MUTATIONS) {
        it(`refuses ${m.what}, and so does the pack's ${m.policy}`, async () => {
            const pod = app();
            m.edit(pod.pod);
            assert.deepEqual(refusals(pod), [m.policy]);
            // The pack judges the same change in a Deployment's template.
            const d = workloads(run).find((w) => ref(w) === `${KUBE_NAMESPACES.app}/app`)!;
            // ownership-labels reads a workload's own labels, not its pods' (a gap the cluster's rule closes):
            // the pack is shown the same edit on the Deployment's metadata.
            const metadata = m.policy === "ownership-labels" ? { ...d.inputs.metadata, labels: pod.pod.metadata.labels } : d.inputs.metadata;
            const mutated: RecordedResource = { ...d, inputs: { ...d.inputs, metadata, spec: { ...d.inputs.spec, template: { metadata: pod.pod.metadata, spec: pod.pod.spec } } } };
            const policy = LAB_POLICIES.find((p) => p.meta.name === m.policy)!;
            const outcome = await runPolicy(policy, mutated, configDefaults(policy));
            assert.ok(outcome.messages.length > 0, `the pack's ${m.policy} passes ${m.what}`);
        });
    }

    it("lets the chaos job alone mount its token, as the pack's tokenServiceAccounts allows", () => {
        const chaos = podOf(workloads(run).find((w) => ref(w) === `${KUBE_NAMESPACES.ops}/chaos`)!);
        assert.equal(chaos.pod.spec.automountServiceAccountToken, true);
        assert.deepEqual(refusals(chaos), []);
        const elsewhere = { ...chaos, namespace: KUBE_NAMESPACES.app };
        assert.deepEqual(refusals(elsewhere), ["k8s-sa-hygiene"], "the same account name in another namespace gets no token");
    });
});
