import { ProgramRun, RecordedResource, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { KUBE_TYPES, kubeObjects, ref } from "../support/kube";

/**
 * The manifests the program would send, checked offline against the Kubernetes API's OpenAPI schema
 * with kubernetes-models' generated validators (types, required fields, enums, formats). Unknown
 * fields are not refused by those validators; the @pulumi/kubernetes input types catch them at
 * `tsc` time instead.
 */

// kubernetes-models is ESM only: a real import(), which TypeScript would otherwise turn into require().
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/** "kubernetes:apps/v1:Deployment" -> "kubernetes-models/apps/v1/Deployment"; core is "v1". */
function modelPath(type: string): { path: string; kind: string } {
    const [, groupVersion, kind] = type.split(":");
    const [group, version] = groupVersion.split("/");
    return { path: group === "core" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`, kind };
}

async function validate(r: RecordedResource): Promise<string | undefined> {
    const { path, kind } = modelPath(r.type);
    const module = await importEsm(path);
    const Model = module[kind];
    assert.equal(r.inputs.kind, kind, `${r.name}: recorded kind`);
    assert.equal(Model.apiVersion, r.inputs.apiVersion, `${r.name}: apiVersion`);
    try {
        new Model(r.inputs).validate();
        return undefined;
    } catch (error) {
        return `${r.type} ${ref(r)}: ${(error as Error).message}`;
    }
}

for (const stage of ["5", "6"]) {
    describe(`stage ${stage}'s manifests against the Kubernetes API schema`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ stage });
        });

        it("validates every object the program sends", async () => {
            const objects = kubeObjects(run);
            assert.ok(objects.length > 50, `${objects.length} objects`);
            const errors = (await Promise.all(objects.map(validate))).filter((e) => e !== undefined);
            assert.deepEqual(errors, []);
        });

        it("would refuse a broken object (the validators really validate)", async () => {
            const deployment = kubeObjects(run).find((r) => r.type === KUBE_TYPES.deployment)!;
            const broken = structuredClone(deployment) as RecordedResource;
            broken.inputs.spec.template.spec.containers[0].ports[0].containerPort = "http";
            assert.match((await validate(broken))!, /containerPort must be integer/);
            const policy = kubeObjects(run).find((r) => r.type === KUBE_TYPES.networkPolicy)!;
            const badPolicy = structuredClone(policy) as RecordedResource;
            badPolicy.inputs.spec.policyTypes = ["Ingres"];
            assert.match((await validate(badPolicy))!, /policyTypes\/0 must be equal to one of the allowed values/);
        });
    });
}
