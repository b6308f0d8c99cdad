import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../../profiles/catalog";
import { parseLabConfig } from "../../program/config";
import {
    LAB_PASSPHRASE, REPO_ROOT, appContainerNames, appEnvSources, listRunningCommand, parseEnvOutput, commandLine, decideUp, inspectEnvCommand, policyPlan, requirementsOf,
    stackFile, stackName, stageOfStack, verifyTarget, workspacePlan,
} from "../../lab/plan";

const HOME = "/home/learner";
const noEnv = async () => [];

describe("lab CLI: what it prepares for Pulumi (pure)", () => {
    describe("workspace", () => {
        it("defaults to a file backend in the user's home and the lab's passphrase, without a Pulumi account", () => {
            const plan = workspacePlan({}, HOME);
            assert.equal(plan.workDir, REPO_ROOT);
            assert.equal(plan.backendUrl, "file:///home/learner/.devsecops-lab/state");
            assert.equal(plan.stateDir, "/home/learner/.devsecops-lab/state");
            assert.deepEqual(plan.envVars, {
                PULUMI_BACKEND_URL: "file:///home/learner/.devsecops-lab/state",
                PULUMI_CONFIG_PASSPHRASE: "devsecops-lab",
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
                PULUMI_SKIP_UPDATE_CHECK: "true",
            });
            assert.equal(plan.defaultPassphrase, true);
        });

        it("uses the passphrase the README names", () => {
            const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
            assert.ok(readme.includes(`PULUMI_CONFIG_PASSPHRASE=${LAB_PASSPHRASE}`));
        });

        it("keeps the user's own passphrase, passphrase file, backend and lab home", () => {
            const own = workspacePlan({ PULUMI_CONFIG_PASSPHRASE: "mine", PULUMI_BACKEND_URL: "s3://bucket/lab" }, HOME);
            assert.equal(own.envVars.PULUMI_CONFIG_PASSPHRASE, undefined, "inherited from the user's env, not overridden");
            assert.equal(own.defaultPassphrase, false);
            assert.equal(own.backendUrl, "s3://bucket/lab");
            assert.equal(own.stateDir, undefined);
            assert.equal(workspacePlan({ PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pp" }, HOME).envVars.PULUMI_CONFIG_PASSPHRASE, undefined);
            assert.equal(workspacePlan({ DEVSECOPS_LAB_HOME: "/data/lab" }, HOME).backendUrl, "file:///data/lab/state");
            assert.equal(workspacePlan({ PULUMI_BACKEND_URL: "file://~/state" }, HOME).stateDir, "/home/learner/state");
        });

        it("an empty passphrase is the user's choice too", () => {
            assert.equal(workspacePlan({ PULUMI_CONFIG_PASSPHRASE: "" }, HOME).defaultPassphrase, false);
        });
    });

    describe("stacks", () => {
        it("names each stage's stack after its stack file, which exists", () => {
            for (const stage of STAGES.keys()) {
                assert.equal(stackName(stage), `stage${stage}`);
                assert.ok(fs.existsSync(stackFile(stage)), stackFile(stage));
                assert.match(fs.readFileSync(stackFile(stage), "utf8"), new RegExp(`devsecops:stage: ${stage}\\b`));
            }
        });

        it("maps stack names back to stages, and ignores other stacks", () => {
            assert.equal(stageOfStack("stage3"), 3);
            assert.equal(stageOfStack("organization/devsecops/stage2"), 2);
            assert.equal(stageOfStack("dev"), undefined);
            assert.equal(stageOfStack("stage9"), undefined);
        });
    });

    describe("policy pack and command lines", () => {
        it("previews with the pack and that stage's pack config, which exist", () => {
            for (const stage of STAGES.keys()) {
                const plan = policyPlan(stage);
                assert.deepEqual(plan.policyPacks, [path.join(REPO_ROOT, "policy-pack")]);
                assert.deepEqual(plan.policyPackConfigs, [path.join(REPO_ROOT, "policy-pack", "config", `stage${stage}.json`)]);
                assert.ok(fs.existsSync(plan.policyPackConfigs[0]));
                assert.ok(fs.existsSync(path.join(plan.policyPacks[0], "PulumiPolicy.yaml")));
            }
        });

        it("prints the pulumi command a learner could type instead", () => {
            assert.equal(commandLine("up", 2), "pulumi up --stack stage2 --refresh --yes");
            assert.equal(commandLine("destroy", 2), "pulumi destroy --stack stage2 --yes");
            assert.equal(commandLine("preview", 3),
                "pulumi preview --stack stage3 --policy-pack policy-pack --policy-pack-config policy-pack/config/stage3.json");
        });
    });

    describe("one stage at a time", () => {
        const opts = { yes: false, interactive: false };
        it("proceeds when nothing else runs (or only this stage)", () => {
            assert.deepEqual(decideUp(2, [], opts), { kind: "proceed" });
            assert.deepEqual(decideUp(2, [2], opts), { kind: "proceed" });
        });
        it("tears the running stage down first with --yes", () => {
            assert.deepEqual(decideUp(3, [1, 3], { yes: true, interactive: false }), { kind: "tear-down-first", stages: [1] });
        });
        it("asks on a terminal", () => {
            assert.deepEqual(decideUp(3, [2], { yes: false, interactive: true }), { kind: "ask", stages: [2] });
        });
        it("refuses without a terminal, saying how to go on", () => {
            assert.deepEqual(decideUp(3, [2], opts), {
                kind: "refuse",
                stages: [2],
                message: "stage 2 is running and only one stage runs at a time: run npm run lab -- down 2, or add --yes to tear it down first",
            });
        });
    });

    describe("requirements and verify's endpoints", () => {
        it("needs the Pulumi CLI and Docker for a Docker stage, plus kind for a Kubernetes one", () => {
            for (const profile of STAGES.values()) {
                assert.deepEqual(requirementsOf(profile), profile.target === "kubernetes" ? ["pulumi", "docker", "kind"] : ["pulumi", "docker"]);
            }
            assert.deepEqual(requirementsOf({ ...STAGES.get(1)!, target: "kubernetes" }), ["pulumi", "docker", "kind"]);
        });

        it("inspects the app containers the builder names", () => {
            const lab = parseLabConfig((k) => ({ stage: "3", appReplicas: "2" } as Record<string, string>)[k]);
            assert.deepEqual(appContainerNames(lab), ["devsecops-s3-app-1", "devsecops-s3-app-2"]);
            assert.deepEqual(inspectEnvCommand("devsecops-s3-app-1"), ["docker", "inspect", "--format", "{{json .Config.Env}}", "devsecops-s3-app-1"]);
        });

        it("reads the app's environment with docker inspect on Docker, with kubectl exec env on Kubernetes", () => {
            const lab = parseLabConfig((k) => ({ stage: "4", appReplicas: "2" } as Record<string, string>)[k]);
            assert.deepEqual(appEnvSources(lab), [
                { name: "devsecops-s4-app-1", command: inspectEnvCommand("devsecops-s4-app-1"), format: "json" },
                { name: "devsecops-s4-app-2", command: inspectEnvCommand("devsecops-s4-app-2"), format: "json" },
            ]);
            for (const [stage, profile] of [...STAGES].filter(([, p]) => p.target === "kubernetes")) {
                const kube = parseLabConfig((k) => (k === "stage" ? String(stage) : undefined));
                const sources = appEnvSources(kube);
                assert.equal(sources.length, profile.kubernetes?.regions ?? 1, `stage ${stage}`);
                assert.deepEqual(sources[0].command, ["kubectl", "--context", kube.kubernetes.context, "-n", "devsecops-app", "exec", "deploy/app", "--", "env"]);
                assert.equal(sources[0].format, "lines");
            }
            assert.deepEqual(parseEnvOutput("json", '["A=1","B=2"]'), ["A=1", "B=2"]);
            assert.deepEqual(parseEnvOutput("lines", "A=1\nB=x=y\n\nwarning\n"), ["A=1", "B=x=y"]);
        });

        it("lists what runs with docker ps on Docker, kubectl get pods on Kubernetes", () => {
            const lab = parseLabConfig((k) => (k === "stage" ? "2" : undefined));
            assert.deepEqual(listRunningCommand(lab), ["docker", "ps", "--filter", "label=devsecops-journey/stage=2", "--format", "{{.Names}}  {{.Status}}  {{.Ports}}"]);
            for (const stage of [...STAGES.values()].filter((p) => p.target === "kubernetes").map((p) => p.stage)) {
                const kube = parseLabConfig((k) => (k === "stage" ? String(stage) : undefined));
                assert.deepEqual(listRunningCommand(kube),
                    ["kubectl", "--context", kube.kubernetes.context, "get", "pods", "-A", "-l", "devsecops-journey/project=devsecops-journey", "--no-headers"]);
            }
        });

        it("takes the entry points and certificate from the outputs and the ports from the stack's config", () => {
            const lab4 = parseLabConfig((k) => ({ stage: "4", edgeHostPort: "9080", dbHostPort: "25432" } as Record<string, string>)[k]);
            const t = verifyTarget(lab4, { entryPoints: ["https://localhost:8443"], edgeCertificate: "PEM" }, noEnv);
            assert.deepEqual(t.entryPoints, ["https://localhost:8443"]);
            assert.equal(t.httpEntry, "http://localhost:9080");
            assert.equal(t.ca, "PEM");
            assert.equal(t.instances, 3);
            assert.deepEqual(t.databaseFromHost, [
                { host: "127.0.0.1", port: 25432 }, { host: "127.0.0.1", port: 15433 },
            ]);
            const lab1 = parseLabConfig((k) => (k === "stage" ? "1" : undefined));
            const t1 = verifyTarget(lab1, { entryPoints: ["http://localhost:8081"] }, noEnv);
            assert.equal(t1.httpEntry, undefined);
            assert.equal(t1.instances, 1);
        });
    });
});
