/**
 * The Automation API engine against the real Pulumi CLI, in a temp copy of the project with a temp
 * file backend: a stack is created from its stack file on first use, its config read, and listed
 * with no resources. Skipped, saying so, where the Pulumi CLI is not installed (the CLI does the
 * work; everything the engine is given is tested in plan.test.ts without it).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { automationEngine } from "../../lab/engine";
import { REPO_ROOT, workspacePlan } from "../../lab/plan";
import { runCommand } from "../../lab/probes";
import { makeTempDir } from "../support/servers";

describe("lab CLI: the Automation API engine (needs the Pulumi CLI)", function () {
    this.timeout(120_000);
    let root: string;
    let home: string;

    before(async function () {
        const probe = await runCommand("pulumi", ["version"]);
        if (probe.code !== 0) {
            console.log("      skipped: the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/); the engine needs it to run");
            this.skip();
        }
        root = makeTempDir("lab-engine-root-");
        home = makeTempDir("lab-engine-home-");
        // A copy, so creating stacks never touches the repository's stack files.
        for (const file of ["Pulumi.yaml", "Pulumi.stage1.yaml"]) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(root, file));
    });

    it("creates stage1 from its stack file in a file backend in the lab's home, and lists it as not running", async () => {
        const plan = workspacePlan({}, home, root);
        fs.mkdirSync(plan.stateDir!, { recursive: true });
        const engine = await automationEngine(plan);
        const config = await engine.config(1);
        assert.equal(config["devsecops:stage"], "1");
        assert.deepEqual((await engine.stacks()).map((s) => ({ stage: s.stage, resources: s.resources })), [{ stage: 1, resources: 0 }]);
        assert.ok(fs.readdirSync(plan.stateDir!).length > 0, "state written under the lab's home");
    });
});
