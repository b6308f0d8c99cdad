import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../../profiles/catalog";
import { STAGE_NUMBERS } from "../../profiles/profile";
import { parseImageRef } from "../../program/config";
import { LABELS, PROJECT, TIER_LABELS } from "../../program/names";
import { TYPES, containers, imageOf, labelsOf, ofType } from "../support/topology";
import { containersOf, kubeObjects, podTemplate, workloads } from "../support/kube";

describe("every stage: the catalog", () => {
    it("has a profile for every stage number of the journey, under its number", () => {
        assert.deepEqual([...STAGES.keys()], [...STAGE_NUMBERS]);
        for (const [stage, profile] of STAGES) assert.equal(profile.stage, stage);
    });

    it("documents in profiles/profile.ts exactly the placeholders the stories of each target use", () => {
        const source = fs.readFileSync(path.resolve(__dirname, "../../profiles/profile.ts"), "utf8");
        const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly tryThis:/.exec(source)?.[1] ?? "";
        const placeholders = (text: string) => [...new Set([...text.matchAll(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g)].map((m) => m[1]))].sort();
        for (const target of ["docker", "kubernetes"] as const) {
            const line = new RegExp(`^\\s*\\* - ${target}: (.*)$`, "m").exec(doc);
            assert.ok(line, `StageStory.tryThis's doc has no "- ${target}:" line`);
            const used = placeholders([...STAGES.values()].filter((p) => p.target === target).flatMap((p) => p.story.tryThis).join("\n"));
            assert.deepEqual(placeholders(line[1]), used, `the ${target} placeholders StageStory.tryThis documents, and those the stories use`);
        }
    });
});

/** What holds for every stage: labels, names, replacement, pinning, secrets. */
for (const [stage, profile] of STAGES) {
    const docker = profile.target === "docker";
    describe(`every stage: stage ${stage}`, () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({ stage: String(stage) });
        });

        it("fills every placeholder of its story's tryThis", () => {
            const lines = run.outputs.tryThis as string[];
            assert.equal(lines.length, profile.story.tryThis.length);
            for (const line of lines) assert.doesNotMatch(line, /\{[a-zA-Z][a-zA-Z0-9]*\}/, line);
        });

        it(docker ? "labels every container, network and volume with project, stage and tier"
            : "labels every Kubernetes object and pod template with project, stage and tier", () => {
            const labelled = docker
                ? [TYPES.container, TYPES.network, TYPES.volume].flatMap((t) => ofType(run, t)).map((r) => ({ name: r.name, labels: labelsOf(r) }))
                : [
                    ...kubeObjects(run).map((r) => ({ name: r.name, labels: r.inputs.metadata.labels as Record<string, string> })),
                    ...workloads(run).map((w) => ({ name: `${w.name} pods`, labels: podTemplate(w).metadata.labels })),
                ];
            assert.ok(labelled.length > 0);
            for (const { labels, ...r } of labelled) {
                assert.equal(labels[LABELS.project], PROJECT, r.name);
                assert.equal(labels[LABELS.stage], String(stage), r.name);
                assert.ok((TIER_LABELS as readonly string[]).includes(labels[LABELS.tier]), `${r.name}: tier ${labels[LABELS.tier]}`);
            }
        });

        it("names every container or object explicitly and replaces it delete-first (fixed names and ports)", () => {
            for (const r of kubeObjects(run)) {
                assert.ok(r.inputs.metadata.name, `${r.name} has no explicit name`);
                assert.equal(r.deleteBeforeReplace, true, r.name);
            }
            const names = containers(run).map((c) => c.inputs.name);
            assert.equal(new Set(names).size, names.length, "every Docker name once");
            for (const c of containers(run)) {
                assert.match(c.inputs.name, new RegExp(`^devsecops-s${stage}-[a-z0-9-]+$`), c.name);
                assert.equal(c.deleteBeforeReplace, true, c.name);
            }
        });

        it("runs only pinned images", () => {
            const images = [
                ...containers(run).map((c) => ({ name: c.name, image: imageOf(run, c) })),
                ...workloads(run).flatMap((w) => containersOf(w).map((c) => ({ name: `${w.name}/${c.name}`, image: c.image as string }))),
            ];
            assert.ok(images.length > 0);
            for (const { name, image } of images) {
                const ref = parseImageRef(image);
                assert.ok(ref.digest || (ref.tag && ref.tag !== "latest"), `${name}: ${image}`);
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
            for (const c of [...containers(run), ...kubeObjects(run)]) assert.notEqual(c.parent, "", `${c.name} has no parent component`);
        });
    });
}
