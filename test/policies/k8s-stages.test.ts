/**
 * Stages 5 and 6 (Kubernetes) through the pack with their config files, as the CLI's preview would
 * run it; then deliberately broken variants of their resources, one mistake each, with the message
 * each must produce.
 */
import { ProgramRun, RecordedResource, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { PolicyPackConfig } from "@pulumi/policy";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { configPath } from "../../policy-pack/stage-config";
import { LABELS, SERVICES } from "../../program/names";
import { evaluateStage, evaluatePack } from "../support/policy-harness";
import { K, k8s, withField } from "./k8s-fixtures";

const configOf = (stage: 5 | 6): PolicyPackConfig => JSON.parse(fs.readFileSync(configPath(stage), "utf8"));

const ref = (kind: string, r: RecordedResource) => `${kind} "${r.name}"`;
const nameOf = (r: RecordedResource): string => r.inputs.metadata?.name ?? r.name;
const namespaceOf = (r: RecordedResource): string => r.inputs.metadata?.namespace ?? "default";

/** The app's Deployment (its pods carry tier=app), the one the variants break. */
function appDeployment(run: ProgramRun): RecordedResource {
    const found = run.resources.find((r) => r.type === K.deployment && r.inputs.spec?.template?.metadata?.labels?.[LABELS.tier] === "app");
    assert.ok(found, "the stage has an app Deployment");
    return found;
}

/** A NetworkPolicy that denies both directions to every pod of its namespace. */
const isDefaultDeny = (r: RecordedResource) => r.type === K.netpol &&
    Object.keys(r.inputs.spec?.podSelector?.matchLabels ?? {}).length === 0 && !(r.inputs.spec?.podSelector?.matchExpressions?.length) &&
    ["Ingress", "Egress"].every((t) => r.inputs.spec?.policyTypes?.includes(t)) && !r.inputs.spec?.ingress?.length && !r.inputs.spec?.egress?.length;

const replace = (run: ProgramRun, old: RecordedResource, next: RecordedResource) => run.resources.map((r) => (r === old ? next : r));

describe("the Kubernetes rules on a Docker stage", () => {
    it("are not applicable to any of stage 4's resources", async () => {
        const run = await runProgram({ stage: "4" });
        const k8sRules = LAB_POLICIES.filter((p) => p.meta.name.startsWith("k8s-"));
        const result = await evaluatePack(run, configOf(5), { policies: k8sRules });
        assert.deepEqual([result.mandatory, result.advisory, result.previewSkips], [[], [], []]);
        assert.equal(result.notApplicable.length, k8sRules.length * run.resources.length);
    });
});

for (const stage of [5, 6] as const) {
    describe(`stage ${stage} (Kubernetes) through the policy pack`, () => {
        let run: ProgramRun;
        // Each break-it change must fail the preview of a fresh stack already, and the same way at up.
        const mandatory = async (resources: readonly RecordedResource[]) => {
            const { preview, up } = await evaluateStage({ resources }, configOf(stage));
            const texts = (r: typeof up) => r.mandatory.map((v) => `${v.policy}: ${v.detail}`);
            assert.deepEqual(texts(preview), texts(up), "preview and up disagree");
            return texts(up);
        };

        before(async () => {
            run = await runProgram({ stage: String(stage) });
        });

        it("passes every policy with its config file (all mandatory from stage 5), at preview and at up", async () => {
            const { preview, up, failures } = await evaluateStage(run, configOf(stage));
            assert.deepEqual(failures, []);
            assert.deepEqual([...up.advisory, ...preview.advisory, ...preview.previewSkips].map((v) => `${v.policy} ${v.resource ?? ""}: ${v.message}`), []);
        });

        it("fails a privileged pod", async () => {
            const app = appDeployment(run);
            const broken = withField(app, "spec.template.spec.containers[0].securityContext.privileged", true);
            const container = app.inputs.spec.template.spec.containers[0].name;
            assert.deepEqual(await mandatory(replace(run, app, broken)), [
                `k8s-no-privilege: ${ref("deployment", app)}, container "${container}": spec.template.spec.containers[0].securityContext.privileged is true, so it gets every device and capability of the node; remove it`,
            ]);
        });
        it("fails a namespace without its default deny", async () => {
            const deny = run.resources.find(isDefaultDeny);
            assert.ok(deny, "the stage has a default-deny NetworkPolicy");
            const messages = await mandatory(run.resources.filter((r) => r !== deny));
            assert.deepEqual(messages, [
                `default-deny-network-policy: namespace "${namespaceOf(deny)}": no NetworkPolicy denies Ingress and Egress by default, so its pods accept and open connections anyone allows; add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules`,
            ]);
        });
        it("fails a wildcard Role", async () => {
            const role = run.resources.find((r) => r.type === K.role);
            const app = appDeployment(run);
            // Stage 5 grants no Role (nothing there calls the API): the variant adds one, as a careless change would.
            const wildcard = role
                ? withField(role, "rules[0].verbs", ["*"])
                : k8s(K.role, "careless", { metadata: app.inputs.metadata, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }] });
            const messages = await mandatory(role ? replace(run, role, wildcard) : [...run.resources, wildcard]);
            assert.deepEqual(messages, [
                `k8s-rbac-least-privilege: ${ref("role", wildcard)}: rules[0].verbs contains "*", which grants every verb, escalate and impersonate included, and whatever the API adds later; list the verbs it needs`,
            ]);
        });
        it("fails a :latest image", async () => {
            const app = appDeployment(run);
            const image: string = app.inputs.spec.template.spec.containers[0].image;
            const latest = `${image.replace(/@sha256:.*$/, "").replace(/:[^:/]+$/, "")}:latest`;
            const messages = await mandatory(replace(run, app, withField(app, "spec.template.spec.containers[0].image", latest)));
            assert.deepEqual(messages.map((m) => m.replace(/^(\S+): .*$/, "$1")), ["k8s-image-tag"]);
            assert.match(messages[0], new RegExp(`spec\\.template\\.spec\\.containers\\[0\\]\\.image "${latest.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" uses the moving tag latest`));
        });
        it("fails a Service of type LoadBalancer", async () => {
            const service = run.resources.find((r) => r.type === K.service && nameOf(r) === SERVICES.app)
                ?? run.resources.find((r) => r.type === K.service && (r.inputs.spec?.type ?? "ClusterIP") === "ClusterIP");
            assert.ok(service, "the stage has a ClusterIP Service");
            const messages = await mandatory(replace(run, service, withField(service, "spec.type", "LoadBalancer")));
            assert.deepEqual(messages, [
                `k8s-service-exposure: ${ref("service", service)}: spec.type is LoadBalancer, so the cloud opens it to the internet beside the edge; make it ClusterIP and reach it through the edge`,
            ]);
        });
    });
}
