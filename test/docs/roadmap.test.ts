import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROADMAP, RoadmapKind } from "../../profiles/roadmap";
import { STAGES } from "../../profiles/catalog";
import { StageNumber } from "../../profiles/profile";

const REPO = path.resolve(__dirname, "..", "..");
/** Where the project's seeds sit beside the repository (as in CI); absent in a plain clone. */
const SEEDS = path.resolve(REPO, "..", "shared", "seeds");

/**
 * The roadmap's own items, read from the seed: under "> N. " (a stage), the bullets `- *Name:*` of
 * its "Solutions Introduced" (with their sub-headings, such as "Caching Layer Introduction") and of
 * its "System Design Concepts Applied", up to the stage's closing quote block.
 */
export function seedItems(text: string): Map<number, { item: string; kind: RoadmapKind }[]> {
    const items = new Map<number, { item: string; kind: RoadmapKind }[]>();
    let stage: number | undefined;
    let kind: RoadmapKind | undefined;
    for (const line of text.split("\n")) {
        const heading = /^> (\d)\. /.exec(line);
        if (heading) {
            stage = Number(heading[1]);
            kind = undefined;
            continue;
        }
        if (line.includes("Solutions Introduced")) kind = "solution";
        else if (line.includes("Concepts Applied")) kind = "concept";
        else if (line.startsWith("> ") || line.startsWith("## ")) kind = undefined;
        const bullet = /^\s*- \*([^*]+):\*/.exec(line);
        if (bullet && kind && stage !== undefined) items.set(stage, [...(items.get(stage) ?? []), { item: bullet[1], kind }]);
    }
    return items;
}

function roadmapSeed(): string | undefined {
    if (!fs.existsSync(SEEDS)) return undefined;
    const file = fs.readdirSync(SEEDS).map((f) => path.join(SEEDS, f)).find((f) => f.endsWith(".txt") && fs.readFileSync(f, "utf8").includes("The DevSecOps Journey"));
    return file && fs.readFileSync(file, "utf8");
}

describe("the roadmap, item by item (profiles/roadmap.ts)", () => {
    const stages = [...STAGES.keys()];

    it("has an entry list for every stage, and a stage for every entry list", () => {
        assert.deepEqual(Object.keys(ROADMAP).map(Number).sort(), [...stages].sort());
    });

    for (const stage of stages) {
        it(`stage ${stage}: names each item once, says what the lab does, and cites a file that exists for what it shows`, () => {
            const names = ROADMAP[stage].map((e) => `${e.kind}:${e.item}`);
            assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "an item listed twice");
            for (const entry of ROADMAP[stage]) {
                assert.ok(entry.by.trim().length > 20, `${entry.item}: say what the lab does for it`);
                if (entry.how === "shown") {
                    assert.ok(fs.existsSync(path.join(REPO, entry.evidence)), `${entry.item}: ${entry.evidence} does not exist`);
                    assert.match(entry.evidence, /^(test|scripts)\//, `${entry.item}: "shown" is checked by a test or a bench script`);
                }
            }
        });
    }

    it("lists exactly the roadmap's own solutions and concepts, stage by stage (read from the seed beside the repository)", function () {
        const seed = roadmapSeed();
        if (!seed) this.skip(); // a clone without the seeds folder beside it: the lists above stand alone
        const fromSeed = seedItems(seed!);
        for (const stage of stages) {
            const expected = (fromSeed.get(stage) ?? []).map((e) => `${e.kind}: ${e.item}`).sort();
            const listed = ROADMAP[stage as StageNumber].map((e) => `${e.kind}: ${e.item}`).sort();
            assert.ok(expected.length > 0, `the seed has no items for stage ${stage}: has its layout changed?`);
            assert.deepEqual(listed, expected, `stage ${stage}`);
        }
        const solutions = [...fromSeed.entries()].filter(([s]) => s >= 1).flatMap(([, e]) => e).filter((e) => e.kind === "solution");
        assert.equal(solutions.length, 57, "the roadmap's stages 1-6 introduce 57 solutions");
    });

    it("reads a seed's stage the way the roadmap lays it out, sub-headings and all", () => {
        const text = [
            "> 3. 🐳 Containers",
            "**🛠️ Solutions Introduced:**",
            "- *Containerization:* Docker.",
            "**Caching Layer Introduction:**",
            "- *External Caching:* Redis.",
            "**📉 System Design Concepts Applied:**",
            "- *Caching:* layers.",
            "> [!IMPORTANT]",
            "> *Key Learnings:* not an item.",
            "- *Stray:* after the stage's closing block, not an item.",
        ].join("\n");
        assert.deepEqual(seedItems(text).get(3), [
            { item: "Containerization", kind: "solution" },
            { item: "External Caching", kind: "solution" },
            { item: "Caching", kind: "concept" },
        ]);
    });

    it("prints the coverage, stage by stage", () => {
        const rows = stages.map((stage) => {
            const entries = ROADMAP[stage];
            const of = (kind: RoadmapKind) => entries.filter((e) => e.kind === kind);
            const shownOf = (kind: RoadmapKind) => of(kind).filter((e) => e.how === "shown").length;
            return `stage ${stage}: solutions ${shownOf("solution")}/${of("solution").length} shown, concepts ${shownOf("concept")}/${of("concept").length} shown`;
        });
        console.log(`      [figures] roadmap coverage: ${rows.join("; ")}`);
        assert.equal(rows.length, stages.length);
    });
});
