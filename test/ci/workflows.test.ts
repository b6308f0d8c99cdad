import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../../profiles/catalog";
import { SETTINGS } from "../../program/config";
import { ROOT, loadWorkflow, usesLines } from "../support/workflows";

/**
 * The workflows cannot run here (no GitHub, no Pulumi CLI, no registry): keep them parsed and in step
 * with the program, so what they run exists and what they scan is what the lab deploys.
 * (test/ci/pins.test.ts checks every workflow's `uses:` pins.)
 */
const workflow = loadWorkflow("devsecops.yml");
const { jobs, doc } = workflow;
const steps = workflow.steps;
/** The pinned release of an action, from the raw line (js-yaml drops the comment). */
const versionOf = (repo: string) => {
    const found = usesLines(workflow.raw).filter((u) => u.repo === repo);
    assert.ok(found.length > 0, `${repo} is used`);
    return found.map((u) => u.version!.slice(1).split(".").map(Number));
};
const atLeast = (v: number[], min: number[]) => v[0] !== min[0] ? v[0] > min[0] : v[1] !== min[1] ? v[1] > min[1] : v[2] >= min[2];

describe(".github/workflows/devsecops.yml", () => {
    it("has the shift-left jobs: tests, policy preview, dependency audit, SAST, image scan, secret scan", () => {
        assert.deepEqual(Object.keys(jobs).sort(),
            ["dependency-audit", "image-scan", "policy-preview", "sast", "secret-scan", "test"]);
    });

    it("runs on pushes to main and on pull requests, read-only by default", () => {
        assert.deepEqual(doc.on.push.branches, ["main"]);
        assert.ok("pull_request" in doc.on);
        assert.deepEqual(doc.permissions, { contents: "read" });
    });

    it("moves CodeQL to v4, pulumi/actions to v7, and trivy-action past its March 2026 re-tagging", () => {
        for (const v of versionOf("github/codeql-action")) assert.equal(v[0], 4);
        for (const v of versionOf("pulumi/actions")) assert.ok(v[0] >= 7, `pulumi/actions v${v.join(".")}`);
        // 0.35.0 was the one release the attacker did not rewrite; every tag since carries a `v`.
        for (const v of versionOf("aquasecurity/trivy-action")) assert.ok(atLeast(v, [0, 35, 0]), `trivy-action v${v.join(".")}`);
    });

    it("tests with the same script CI runs", () => {
        assert.ok(steps("test").some((s) => s.run === "bash .ci/run"));
    });

    it("previews every stage, Kubernetes ones included, with its own policy config, and the config files exist", () => {
        const stages = [...STAGES.keys()];
        assert.deepEqual(jobs["policy-preview"].strategy.matrix.stage, stages);
        const run = steps("policy-preview").map((s) => s.run ?? "").join("\n");
        assert.match(run, /pulumi preview .*--policy-pack policy-pack/s);
        assert.match(run, /--policy-pack-config policy-pack\/config\/stage\$\{\{ matrix.stage \}\}\.json/);
        for (const stage of stages) {
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
