import { recordStage } from "../../lab/stages";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "../../lab/args";
import { stageNeeds } from "../../lab/needs";
import { STAGES } from "../../profiles/catalog";
import { StageNumber } from "../../profiles/profile";
import { DOCS_DIR, pageName } from "../../tools/docs";

/**
 * A page's commands run against the stage they are on: every container or network a page names is
 * one that stage's program creates, every host port one a stage publishes, every `npm run lab`
 * command one the CLI accepts for that stage, every stack the page's own. Hand-written prose and
 * the generated parts alike (the stories feed both).
 */
const PORT_FORWARDS = new Set([9090]); // kubectl port-forward svc/prometheus 9090, stage 6

function labCommands(text: string): string[][] {
    const found: string[][] = [];
    for (const m of text.matchAll(/npm run (?:-s )?lab -- ([^\n`;|&)]*)/g)) {
        const tokens = m[1].trim().split(/\s+/);
        const args = [tokens[0]];
        for (const t of tokens.slice(1)) {
            if (/^\d+$/.test(t) || /^--[a-z-]+$/.test(t) || (args[0] === "output" && args.length === 2 && /^[a-z][A-Za-z]+$/.test(t))
                || (args[0] === "drill" && args.length === 2 && /^[a-z]+$/.test(t))) args.push(t);
            else break;
        }
        if (!args.includes("N")) found.push(args);
    }
    return found;
}

describe("docs: the pages' commands match the stage they are on", () => {
    const published = new Set<number>();
    before(async () => {
        for (const stage of STAGES.keys()) {
            const r = await recordStage(stage);
            for (const p of stageNeeds(r.profile.target, r.resources).ports) published.add(Number(p.slice(p.lastIndexOf(":") + 1)));
        }
    });

    for (const stage of STAGES.keys()) {
        const file = path.join(DOCS_DIR, pageName(stage, STAGES.get(stage)!.title));
        describe(path.basename(file), () => {
            const page = fs.readFileSync(file, "utf8");

            it("names only containers and networks of this stage", async () => {
                const r = await recordStage(stage);
                const names = new Set(r.resources.filter((x) => /docker:index\/(container|network|volume)/.test(x.type)).map((x) => String(x.inputs.name)));
                for (const m of page.matchAll(/devsecops-s(\d)-[a-z0-9-]*[a-z0-9]/g)) {
                    const name = m[0];
                    assert.equal(Number(m[1]), stage, `${name} on the page of stage ${stage}`);
                    assert.ok(names.has(name), `${name}: stage ${stage} creates no such container or network`);
                }
            });

            it("names only host ports a stage of the lab publishes", () => {
                for (const m of page.matchAll(/(?:localhost:|-p )(\d{4,5})\b/g)) {
                    const port = Number(m[1]);
                    assert.ok(published.has(port) || PORT_FORWARDS.has(port), `port ${port} ("${m[0]}"): no stage publishes it`);
                }
            });

            it("runs only lab commands the CLI accepts, for this stage", () => {
                for (const args of labCommands(page)) {
                    const command = parseArgs(args);
                    const stages = "stage" in command && command.stage !== undefined ? [command.stage]
                        : command.name === "diff" ? [command.to] : [];
                    for (const s of stages) assert.equal(s, stage as StageNumber, `npm run lab -- ${args.join(" ")} on the page of stage ${stage}`);
                }
                for (const m of page.matchAll(/--stack stage(\d)/g)) assert.equal(Number(m[1]), stage, m[0]);
            });
        });
    }
});
