import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { STAGES } from "../../profiles/catalog";
import { SETTINGS } from "../../program/config";

/**
 * The workflows cannot run here (no GitHub, no Pulumi CLI, no registry): keep them parsed and in step
 * with the program, so what they run exists and what they scan is what the lab deploys.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github/workflows/devsecops.yml"), "utf8")) as any;
const jobs = workflow.jobs as Record<string, any>;
const steps = (job: string) => jobs[job].steps as { uses?: string; run?: string; with?: Record<string, unknown> }[];

describe(".github/workflows/devsecops.yml", () => {
    it("has the shift-left jobs: tests, policy preview, dependency audit, SAST, image scan, secret scan", () => {
        assert.deepEqual(Object.keys(jobs).sort(),
            ["dependency-audit", "image-scan", "policy-preview", "sast", "secret-scan", "test"]);
    });

    it("runs on pushes to main and on pull requests, read-only by default", () => {
        assert.deepEqual(workflow.on.push.branches, ["main"]);
        assert.ok("pull_request" in workflow.on);
        assert.deepEqual(workflow.permissions, { contents: "read" });
    });

    it("pins every action to a version, never a branch", () => {
        for (const [name, job] of Object.entries(jobs)) {
            for (const step of job.steps as { uses?: string }[]) {
                if (!step.uses) continue;
                assert.match(step.uses, /^[\w.-]+\/[\w./-]+@v?\d+(\.\d+)*$/, `${name}: ${step.uses}`);
            }
        }
    });

    it("tests with the same script CI runs", () => {
        assert.ok(steps("test").some((s) => s.run === "bash .ci/run"));
    });

    it("previews every Docker stage with its own policy config, and the config files exist", () => {
        const dockerStages = [...STAGES.values()].filter((p) => p.target === "docker").map((p) => p.stage);
        assert.deepEqual(jobs["policy-preview"].strategy.matrix.stage, dockerStages);
        const run = steps("policy-preview").map((s) => s.run ?? "").join("\n");
        assert.match(run, /pulumi preview .*--policy-pack policy-pack/s);
        assert.match(run, /--policy-pack-config policy-pack\/config\/stage\$\{\{ matrix.stage \}\}\.json/);
        for (const stage of dockerStages) {
            assert.ok(fs.existsSync(path.join(ROOT, `policy-pack/config/stage${stage}.json`)), `stage${stage}.json`);
            assert.ok(fs.existsSync(path.join(ROOT, `Pulumi.stage${stage}.yaml`)), `Pulumi.stage${stage}.yaml`);
        }
    });

    it("scans the app's image and exactly the images the lab pins", () => {
        const include = jobs["image-scan"].strategy.matrix.include as { image: string; build?: boolean; "exit-code": string }[];
        const pinned = [SETTINGS.postgresImage, SETTINGS.nginxImage, SETTINGS.redisImage, SETTINGS.vaultImage].map((s) => s.default);
        assert.deepEqual(include.filter((i) => !i.build).map((i) => i.image).sort(), [...pinned].sort());
        const app = include.find((i) => i.build)!;
        assert.equal(app["exit-code"], "1", "a fixable HIGH in our own image fails the build");
        assert.ok(steps("image-scan").some((s) => s.run === "docker build -f app/Dockerfile -t ${{ matrix.image }} ."));
        assert.ok(fs.existsSync(path.join(ROOT, "app/Dockerfile")));
    });

    it("audits production dependencies and scans the whole history for secrets", () => {
        assert.ok(steps("dependency-audit").some((s) => s.run === "npm audit --omit=dev --audit-level=high"));
        const checkout = steps("secret-scan").find((s) => s.uses?.startsWith("actions/checkout"))!;
        assert.equal(checkout.with?.["fetch-depth"], 0, "gitleaks needs the history, not one commit");
        assert.match(steps("secret-scan").map((s) => s.run ?? "").join(" "), /gitleaks:v[\d.]+ git .*--log-opts="--all"/);
    });

    it("gives SAST the one extra permission it needs", () => {
        assert.deepEqual(jobs.sast.permissions, { contents: "read", "security-events": "write" });
    });
});
