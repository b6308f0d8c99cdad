import "../support/mocks";
import { buildProfile } from "../support/profiles";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { PolicyPackConfig } from "@pulumi/policy";
import { configPath } from "../../policy-pack/stage-config";
import { StageProfile } from "../../profiles/profile";
import { stage5 } from "../../profiles/stage5";
import { evaluatePack } from "../support/policy-harness";

/**
 * The stage 5 page's "break the rules in code" exercise, done as a learner does it: change a field
 * of profiles/stage5.ts, build, and run the pack with stage 5's config. The builder must really
 * build the weaker thing (it reads the field), and the pack must stop it.
 */
const config: PolicyPackConfig = JSON.parse(fs.readFileSync(configPath(5), "utf8"));

async function mandatoryOf(profile: StageProfile): Promise<string[]> {
    const run = await buildProfile(profile);
    return [...new Set((await evaluatePack(run, config)).mandatory.map((v) => v.policy))].sort();
}

describe("stage 5's exercise: weaken the profile, and the pack stops the preview", () => {
    it("passes as written", async () => {
        assert.deepEqual(await mandatoryOf(stage5), []);
    });

    for (const level of ["baseline", "privileged"] as const) {
        it(`podSecurity "${level}": the namespaces enforce less, and the pack says so`, async () => {
            assert.ok((await mandatoryOf({ ...stage5, kubernetes: { ...stage5.kubernetes!, podSecurity: level } })).includes("k8s-namespace-pss-label"));
        });
    }

    it("hardening false: no restricted securityContext, no limits, and the pack says so", async () => {
        const found = await mandatoryOf({ ...stage5, hardening: false });
        for (const policy of ["k8s-run-as-non-root", "k8s-readonly-rootfs", "k8s-capabilities", "k8s-resources"]) assert.ok(found.includes(policy), `${policy} in ${found}`);
    });

    it("networkPolicy \"none\": no default deny, and the pack says so", async () => {
        assert.ok((await mandatoryOf({ ...stage5, kubernetes: { ...stage5.kubernetes!, networkPolicy: "none" } })).includes("default-deny-network-policy"));
    });
});
