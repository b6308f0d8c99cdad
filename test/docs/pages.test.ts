/**
 * docs/stages/: one page per stage, fresh (what `npm run docs` would write), with every section a
 * learner needs, the diagram of the program as it is, and hand-written prose that survives.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { STAGES } from "../../profiles/catalog";
import { checksFor, CHECKS } from "../../profiles/verify";
import { DOCS_DIR, documentedStages, mergePage, pageName, renderDocs } from "../../tools/docs";
import { renderMermaid } from "../../tools/mermaid";
import { recordStage } from "../../lab/stages";
import { REPO_ROOT } from "../../lab/plan";

const SECTIONS = [
    "## The scenario",
    "## The topology",
    "## What to run",
    "## What to observe",
    "## What to break, and what should happen",
    "## The policies that apply, and why",
    "## What a laptop cannot show: a mapping",
];

const read = (stage: number, title: string) => fs.readFileSync(path.join(DOCS_DIR, pageName(stage as never, title)), "utf8");

describe("docs: the stage pages", () => {
    it("are what `npm run docs` writes (run it after changing a stage, a policy or the program)", async () => {
        const expected = await renderDocs();
        for (const doc of expected) {
            const rel = path.relative(REPO_ROOT, doc.file);
            assert.ok(fs.existsSync(doc.file), `${rel} is missing: run npm run docs`);
            assert.equal(fs.readFileSync(doc.file, "utf8"), doc.text, `${rel} is stale: run npm run docs`);
            assert.equal(doc.replaces, undefined, `${rel} has an old name: run npm run docs`);
        }
        const onDisk = fs.readdirSync(DOCS_DIR).sort();
        assert.deepEqual(onDisk, expected.map((d) => path.basename(d.file)).sort(), "docs/stages/ holds a page of no stage");
    });

    it("exist for every stage in STAGES, linked from the index", () => {
        const index = fs.readFileSync(path.join(DOCS_DIR, "README.md"), "utf8");
        for (const [stage, profile] of STAGES) {
            const name = pageName(stage, profile.title);
            assert.ok(fs.existsSync(path.join(DOCS_DIR, name)), name);
            assert.ok(index.includes(`](${name})`), `index links ${name}`);
        }
        assert.deepEqual(documentedStages().map((s) => s.stage), [...STAGES.keys()]);
    });

    for (const [stage, profile] of STAGES) {
        describe(`stage ${stage}: ${pageName(stage, profile.title)}`, () => {
            let page: string;
            before(() => {
                page = read(stage, profile.title);
            });

            it("has every section, in order, and hand-written prose where the generator leaves room", () => {
                assert.ok(page.startsWith(`<!-- BEGIN GENERATED: title`));
                assert.ok(page.includes(`# Stage ${stage}: ${profile.title}\n`));
                let at = -1;
                for (const heading of SECTIONS) {
                    const i = page.indexOf(`\n${heading}\n`);
                    assert.ok(i > at, `${heading} missing or out of order`);
                    at = i;
                }
                assert.doesNotMatch(page, /Not written yet/);
                assert.ok(page.includes(profile.story.scenario), "the scenario is the profile's");
            });

            it("draws the program's topology as it is now", async () => {
                const recorded = await recordStage(stage);
                assert.ok(page.includes(`\`\`\`mermaid\n${renderMermaid(recorded.topology)}\n\`\`\``));
                assert.ok(page.includes(profile.target === "kubernetes" ? "namespaces are the boxes" : "Docker networks are the boxes"));
            });

            it("says what to run, and lists the verify checks of the stage", () => {
                for (const command of ["up", "verify", "preview", "down"]) assert.ok(page.includes(`npm run lab -- ${command} ${stage}`), command);
                assert.ok(page.includes(`--policy-pack-config policy-pack/config/stage${stage}.json`));
                for (const id of checksFor(stage)) assert.ok(page.includes(`- ${CHECKS[id]} (\`${id}\`)`), id);
            });

            it("names the policies that turn mandatory here, with their why", () => {
                for (const p of LAB_POLICIES.filter((x) => x.meta.from === stage)) {
                    assert.ok(page.includes(`| \`${p.meta.name}\` | ${p.meta.severity} | ${p.meta.description} | ${p.meta.why} |`), p.meta.name);
                }
            });

            it("labels the roadmap items a laptop cannot show as a mapping", () => {
                const mapping = page.slice(page.indexOf("## What a laptop cannot show: a mapping"));
                assert.match(mapping, /\| roadmap \| in the lab \|/);
            });

            if (STAGES.has((stage - 1) as never)) {
                it("says what changed since the previous stage, as the diff computes it", () => {
                    assert.ok(page.includes(`## What changed since stage ${stage - 1}`));
                    assert.ok(page.includes(`npm run lab -- diff ${stage - 1} ${stage}`));
                });
            }
        });
    }

    describe("regeneration", () => {
        const sections = [{ name: "title", body: "# New title" }, { name: "observe", body: "## What to observe\n\n- new" }, { name: "policies", body: "## P\n\nnew" }];

        it("replaces the generated blocks and keeps the prose around them", () => {
            const old = mergePage(undefined, [{ name: "title", body: "# Old" }, { name: "observe", body: "old" }, { name: "policies", body: "old p" }], 3)
                .replace(/## What to break, and what should happen\n\n[^\n]+/, "## What to break, and what should happen\n\nMy own words.");
            const merged = mergePage(old, sections, 3);
            assert.ok(merged.includes("My own words."));
            assert.ok(merged.includes("# New title") && merged.includes("- new") && merged.includes("## P\n\nnew"));
            assert.ok(!merged.includes("# Old") && !merged.includes("old p"));
            assert.equal(mergePage(merged, sections, 3), merged, "stable on a second run");
        });

        it("adds a block a page lacks after the block before it (a section the generator learnt)", () => {
            const older = mergePage(undefined, [{ name: "title", body: "# Older" }], 5 as never).replace(/_Not written yet[^\n]*_/g, "Prose.");
            const merged = mergePage(older, sections, 5 as never);
            const order = ["# New title", "- new", "## What to break", "## P\n\nnew", "## What a laptop cannot show"].map((x) => merged.indexOf(x));
            assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1])), order.join(" "));
        });

        it("adds a block the page lacks, and drops one the generator no longer makes", () => {
            const page = "intro\n\n<!-- BEGIN GENERATED: changes (npm run docs rewrites this part) -->\nx\n<!-- END GENERATED: changes -->\n\noutro\n";
            const merged = mergePage(page, [{ name: "title", body: "# T" }], 1);
            assert.ok(merged.startsWith("intro\n\noutro"));
            assert.ok(merged.includes("<!-- BEGIN GENERATED: title (npm run docs rewrites this part) -->\n# T\n<!-- END GENERATED: title -->"));
            assert.ok(!merged.includes("GENERATED: changes"));
        });

        it("starts a new page with placeholders for the hand-written sections", () => {
            const fresh = mergePage(undefined, sections, 7 as never);
            assert.match(fresh, /## What to break, and what should happen\n\n_Not written yet/);
            assert.ok(fresh.indexOf("- new") < fresh.indexOf("## What to break") && fresh.indexOf("## What to break") < fresh.indexOf("## P"));
            assert.ok(fresh.indexOf("## P") < fresh.indexOf("## What a laptop cannot show"));
        });
    });

    describe("the README", () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        it("starts with the workshop flow in five lines under the title", () => {
            const lines = readme.split("\n");
            assert.equal(lines[0], "# devsecops-journey");
            const flow = lines.slice(1).filter((l) => l.trim() !== "").slice(0, 5);
            assert.equal(flow.length, 5);
            for (const command of ["npm ci", "npm run lab -- up", "npm run lab -- verify", "npm run lab -- diff", "npm run lab -- down"]) {
                assert.ok(flow.some((l) => l.includes(command)), command);
            }
        });
        it("links the stage pages", () => {
            assert.ok(readme.includes("](docs/stages/)") || readme.includes("](docs/stages/README.md)"));
        });
    });
});
