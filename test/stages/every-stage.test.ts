import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { STAGES } from "../../stages/catalog";
import { parseImageRef } from "../../stages/config";
import { LABELS, PROJECT, TIER_LABELS } from "../../stages/names";
import { TYPES, containers, imageOf, labelsOf, ofType } from "../support/topology";

/** What holds for every buildable stage: labels, names, replacement, pinning, secrets. */
for (const stage of STAGES.keys()) {
    describe(`every stage: stage ${stage}`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ stage: String(stage) });
        });

        it("labels every container, network and volume with project, stage and tier", () => {
            const labelled = [TYPES.container, TYPES.network, TYPES.volume].flatMap((t) => ofType(run, t));
            assert.ok(labelled.length > 0);
            for (const r of labelled) {
                const labels = labelsOf(r);
                assert.equal(labels[LABELS.project], PROJECT, r.name);
                assert.equal(labels[LABELS.stage], String(stage), r.name);
                assert.ok((TIER_LABELS as readonly string[]).includes(labels[LABELS.tier]), `${r.name}: tier ${labels[LABELS.tier]}`);
            }
        });

        it("names every container for this stage and replaces it delete-first (fixed names and ports)", () => {
            for (const c of containers(run)) {
                assert.equal(c.inputs.name, `devsecops-s${stage}-${c.name}`);
                assert.equal(c.deleteBeforeReplace, true, c.name);
            }
        });

        it("runs only pinned images", () => {
            for (const c of containers(run)) {
                const ref = parseImageRef(imageOf(run, c));
                assert.ok(ref.digest || (ref.tag && ref.tag !== "latest"), `${c.name}: ${imageOf(run, c)}`);
            }
        });

        it("never passes a generated password outside a secret", () => {
            const passwords = ofType(run, TYPES.password).map((p) => p.state.result as string);
            for (const r of run.resources) {
                const plain = JSON.stringify(r.inputs, (key, value) => value);
                for (const password of passwords) {
                    if (!plain.includes(password)) continue;
                    const secretJson = r.secretPaths.map((p) => JSON.stringify(p.split(".").reduce((v: any, k) => v[k], r.inputs)));
                    assert.ok(secretJson.some((s) => s.includes(password)), `${r.name} carries a password outside a secret`);
                }
            }
        });

        it("puts every component's children under it", () => {
            for (const c of containers(run)) assert.notEqual(c.parent, "", `${c.name} has no parent component`);
        });
    });
}
