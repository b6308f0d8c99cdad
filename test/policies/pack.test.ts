import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "fs";
import * as path from "path";
import * as docker from "@pulumi/docker";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runProgram } from "../support/mocks";
import { LAB_POLICIES, policies } from "../../policy-pack/policies";
import { configPath, renderStageConfig, stageConfig } from "../../policy-pack/stage-config";
import { STAGE_NUMBERS } from "../../profiles/profile";
import { evaluatePack, evaluateStage } from "../support/policy-harness";
import { happyStack } from "./fixtures";
import { happyKubernetes, NS } from "./k8s-fixtures";
import { packRequire } from "../support/pack";

// The pack's own SDK (test/support/pack.ts), as the policies use it.
const { validateResourceOfType } = packRequire("@pulumi/policy") as typeof import("@pulumi/policy");

/**
 * The policy catalogue's Docker, Kubernetes and stack tables (in the project's design folder beside the
 * repository), with their `from` (see the one exception below).
 */
const CATALOGUE: Record<string, number> = {
    "docker-no-privileged": 1, "docker-no-socket-mount": 1, "docker-no-sensitive-host-dirs": 1, "docker-no-host-namespaces": 1,
    "image-pinned": 1, "docker-no-plaintext-secret-env": 1, "docker-user-network": 2, "docker-healthcheck": 3,
    "docker-restart-policy": 3, "data-ports-not-published": 3, "docker-ports-localhost": 3, "docker-non-root": 4,
    "docker-caps-drop-all": 4, "docker-no-new-privileges": 4, "docker-readonly-rootfs": 4, "docker-limits": 4,
    "data-network-internal": 4, "tls-at-edge": 4,
    "k8s-no-default-namespace": 5, "k8s-host-isolation": 5, "k8s-no-privilege": 5, "k8s-run-as-non-root": 5,
    "k8s-capabilities": 5, "k8s-seccomp": 5, "k8s-readonly-rootfs": 5, "k8s-resources": 5, "k8s-probes": 5,
    "k8s-image-tag": 5, "k8s-sa-hygiene": 5, "k8s-secret-env-ref": 5, "k8s-service-exposure": 5,
    "k8s-namespace-pss-label": 5, "k8s-rbac-least-privilege": 5, "k8s-hpa-sane": 5,
    "no-single-point-of-failure": 2, "database-replicated": 2,
    "default-deny-network-policy": 5, "references-resolve": 5, "ownership-labels": 1,
};
/** Stages 1-3 pass the database password in env on purpose (their lessons); Vault arrives in stage 4. */
const DEVIATIONS: Record<string, number> = { "docker-no-plaintext-secret-env": 4 };

describe("the policy pack", () => {
    it("implements every Docker, Kubernetes and stack rule of the catalogue, each once, in its order", () => {
        assert.deepEqual(LAB_POLICIES.map((p) => p.meta.name), Object.keys(CATALOGUE));
        assert.deepEqual(policies.map((p) => p.name), LAB_POLICIES.map((p) => p.meta.name));
    });
    it("makes each rule mandatory from the catalogue's stage", () => {
        const from = Object.fromEntries(LAB_POLICIES.map((p) => [p.meta.name, p.meta.from]));
        assert.deepEqual(from, { ...CATALOGUE, ...DEVIATIONS });
    });
    it("gives every policy its metadata: severity, the seed's why, remediation, anchors", () => {
        for (const { meta, policy } of LAB_POLICIES) {
            assert.ok(meta.description && meta.remediation && meta.anchors.length > 0, meta.name);
            assert.match(meta.why, /^[A-Z].+\.$/, `${meta.name}: why is one sentence`);
            assert.deepEqual([policy.name, policy.severity, policy.remediationSteps], [meta.name, meta.severity, meta.remediation]);
        }
    });
    it("passes the hardened stage-4-shaped stack with every policy mandatory, at up and at preview", async () => {
        for (const preview of [false, true]) {
            const result = await evaluatePack({ resources: happyStack() }, stageConfig(6), { preview });
            assert.deepEqual([result.mandatory, result.advisory, result.previewSkips], [[], [], []], `preview: ${preview}`);
        }
    });
    it("passes the happy stage-5-shaped Kubernetes stack with every policy mandatory, at up and at preview", async () => {
        // The fixture keeps its edge Service and chaos account in one namespace (NS), not the lab's.
        const happyConfig = {
            ...stageConfig(6),
            "k8s-sa-hygiene": { enforcementLevel: "mandatory" as const, tokenServiceAccounts: [`${NS}/chaos`] },
            "k8s-service-exposure": { enforcementLevel: "mandatory" as const, nodePortServices: [`${NS}/nginx`] },
        };
        for (const preview of [false, true]) {
            const result = await evaluatePack({ resources: happyKubernetes() }, happyConfig, { preview });
            assert.deepEqual([result.mandatory, result.advisory, result.previewSkips], [[], [], []], `preview: ${preview}`);
        }
    });
    it("loads without @pulumi/kubernetes (its rules match type tokens), so Docker stages never pay for it", () => {
        const script = 'require("ts-node/register/transpile-only"); require("./policy-pack/policies"); ' +
            'process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes("@pulumi/kubernetes"))))';
        const root = path.join(__dirname, "../..");
        assert.equal(execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" }), "false");
    });
    it("constructs the PolicyPack in index.ts only, from the policies module", () => {
        const index = fs.readFileSync(path.join(__dirname, "../../policy-pack/index.ts"), "utf8");
        assert.match(index, /new PolicyPack\("devsecops-journey", \{ policies/);
        assert.match(index, /from "\.\/policies"/);
    });
});

describe("the per-stage policy config (policy-pack/config/stageN.json)", () => {
    for (const stage of STAGE_NUMBERS) {
        it(`stage${stage}.json is current with the policies' metadata`, () => {
            const file = configPath(stage);
            assert.ok(fs.existsSync(file), `${file} is missing: run npm run policy-config`);
            assert.equal(fs.readFileSync(file, "utf8"), renderStageConfig(stage), `${file} is stale: run npm run policy-config`);
        });
    }
    it("advises a rule before its stage and enforces it from there; stage 6 enforces everything", () => {
        const level = (entry: unknown) => (typeof entry === "string" ? entry : (entry as { enforcementLevel: string }).enforcementLevel);
        for (const stage of STAGE_NUMBERS) {
            const config = stageConfig(stage);
            for (const { meta } of LAB_POLICIES) {
                const expected = stage === 6 || stage >= meta.from ? "mandatory" : "advisory";
                assert.equal(level(config[meta.name]), expected, `stage ${stage} ${meta.name}`);
            }
        }
    });
    it("carries each policy's config values in CrossGuard's object form", () => {
        assert.deepEqual(stageConfig(3)["docker-caps-drop-all"], { enforcementLevel: "advisory", allowedCapabilities: ["NET_BIND_SERVICE"] });
        assert.equal(stageConfig(3)["docker-healthcheck"], "mandatory");
        assert.deepEqual(stageConfig(4)["k8s-service-exposure"], { enforcementLevel: "advisory", nodePortServices: ["devsecops-edge/nginx"] });
        assert.deepEqual(stageConfig(5)["k8s-sa-hygiene"], { enforcementLevel: "mandatory", tokenServiceAccounts: ["devsecops-ops/chaos"] });
        assert.deepEqual(stageConfig(5)["k8s-namespace-pss-label"], { enforcementLevel: "mandatory", baselineNamespaces: [] });
    });
});

describe("the in-process harness", () => {
    // A policy that reads the container's image id head-on, as a careless one would.
    const careless: ResourceValidationPolicy = {
        name: "careless", description: "reads an id unknown at preview",
        validateResource: validateResourceOfType(docker.Container, (c, _args, report) => {
            if (c.image.startsWith("sha256:")) report("runs an image id");
        }),
    };
    it("turns a read of a value unknown at preview into a preview skip, as the engine does", async () => {
        const up = await evaluatePack({ resources: happyStack() }, { careless: "mandatory" }, { policies: [careless] });
        const preview = await evaluatePack({ resources: happyStack() }, { careless: "mandatory" }, { policies: [careless], preview: true });
        assert.deepEqual(up.mandatory.map((v) => v.resource), ["postgres-primary", "postgres-replica", "redis", "nginx"]);
        assert.deepEqual(preview.mandatory, []);
        assert.deepEqual(preview.previewSkips.map((v) => v.resource), ["postgres-primary", "postgres-replica", "redis", "nginx"]);
        assert.match(preview.previewSkips[0].message, /^can't run policy 'careless' from policy pack 'devsecops-journey@v0\.1\.0' during preview: string value at \.image can't be known during preview$/);
    });
    it("files violations under the level the stage's config gives, and skips disabled policies", async () => {
        const config = { careless: "advisory" as const };
        assert.equal((await evaluatePack({ resources: happyStack() }, config, { policies: [careless] })).advisory.length, 4);
        const disabled = await evaluatePack({ resources: happyStack() }, { careless: "disabled" }, { policies: [careless] });
        assert.deepEqual([disabled.mandatory, disabled.advisory, disabled.notApplicable], [[], [], []]);
    });
    it("matches validateResourceOfType by type, like the server's fast path", async () => {
        const result = await evaluatePack({ resources: happyStack() }, { careless: "mandatory" }, { policies: [careless] });
        assert.equal(result.notApplicable.length, happyStack().filter((r) => r.type !== "docker:index/container:Container").length);
    });
    it("prefixes a violation with the policy's description, as the server's reportViolation does", async () => {
        const { mandatory } = await evaluatePack({ resources: happyStack() }, { careless: "mandatory" }, { policies: [careless] });
        assert.equal(mandatory[0].message, "reads an id unknown at preview\nruns an image id");
        assert.equal(mandatory[0].detail, "runs an image id");
    });
    it("hands the pack the docker provider's Check defaults: a rule trusting networkMode sees stage 2 on the default bridge", async () => {
        // The old docker-user-network's mistake, alone: the program sets no networkMode, the provider fills "bridge".
        const trusting: StackValidationPolicy = {
            name: "trusting", description: "networkMode bridge means the default bridge",
            validateStack: (args, report) => {
                for (const r of args.resources) if (r.isType(docker.Container) && r.props.networkMode === "bridge" && r.props.start !== false) report(r.name, r.urn);
            },
        };
        const run = await runProgram({ stage: "2" });
        const { failures } = await evaluateStage(run, { trusting: "mandatory" }, { policies: [trusting] });
        assert.equal(failures.length, 10, failures.join("\n")); // 5 running containers, at preview and at up
    });
});

describe("the harness's policy config, as the CLI reconciles --policy-pack-config", () => {
    const strict: StackValidationPolicy = {
        name: "strict", description: "has a config schema",
        configSchema: { properties: { ports: { type: "array", items: { type: "integer" } }, owner: { type: "string" } }, required: ["owner"] },
        validateStack: (args, report) => report(JSON.stringify(args.getConfig())),
    };
    const run = (config: Record<string, unknown>) => evaluatePack({ resources: happyStack() }, config as any, { policies: [strict] });
    it("passes the schema's values through getConfig, without enforcementLevel", async () => {
        assert.deepEqual((await run({ strict: { enforcementLevel: "mandatory", owner: "lab", ports: [80] } })).mandatory.map((v) => v.detail), ['{"owner":"lab","ports":[80]}']);
    });
    it("rejects a value of the wrong type, as the CLI's JSON-schema validation does", async () => {
        await assert.rejects(run({ strict: { owner: "lab", ports: ["80"] } }), /^Error: policy config "strict": ports\[0\]: "80" is not of type integer$/);
    });
    it("rejects a missing required key", async () => {
        await assert.rejects(run({ strict: "mandatory" }), /^Error: policy config "strict": owner is required$/);
    });
    it("rejects an unknown key and an unknown policy, which the CLI accepts silently", async () => {
        await assert.rejects(run({ strict: { owner: "lab", owners: ["x"] } }), /owners: unknown key; the policy's configSchema declares ports, owner/);
        await assert.rejects(run({ strict: { owner: "lab" }, "docker-no-privileegd": "mandatory" }), /policy config "docker-no-privileegd": the pack has no such policy/);
    });
    it("rejects an enforcement level the CLI does not know", async () => {
        await assert.rejects(run({ strict: { owner: "lab", enforcementLevel: "strict" } }), /enforcementLevel "strict" is not a valid enforcement level/);
    });
    it("accepts every checked-in stage config", async () => {
        for (const stage of STAGE_NUMBERS) await evaluatePack({ resources: [] }, stageConfig(stage));
    });
});
