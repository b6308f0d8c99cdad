import { ProgramRun, runProgram } from "../support/mocks";
import { buildProfile } from "../support/profiles";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../../profiles/catalog";
import { StageNumber, StageProfile } from "../../profiles/profile";
import { SETTINGS } from "../../program/config";
import { KUBERNETES, LABELS, PROJECT } from "../../program/names";
import { parseArgs } from "../../lab/args";
import { LAB_PASSPHRASE } from "../../lab/plan";
import { configPath } from "../../policy-pack/stage-config";
import { evaluatePack } from "../support/policy-harness";
import { containers } from "../support/topology";
import { KUBE_TYPES, kind, podTemplate, workloads } from "../support/kube";
import { ROOT, Step, loadWorkflow } from "../support/workflows";

/**
 * .github/workflows/e2e.yml runs what a learner runs, on a GitHub runner; here nothing can run it
 * (no engine, no images, no cluster). So it is read as GitHub would for each stage of its matrix:
 * which steps run (their `if:`), and every `npm run lab` command in them goes through the CLI's own
 * parser; every container, namespace, workload and Service a drill names is one the stage's
 * program (under mocks) really creates.
 */
const workflow = loadWorkflow("e2e.yml");
const { doc } = workflow;
const job = workflow.jobs.stage;
const steps = workflow.steps("stage");
const profileOf = (stage: StageNumber) => STAGES.get(stage)!;

type Outcome = "success" | "failure";

/**
 * Whether a step runs, for one matrix entry and one outcome of the steps before it. Reads the few
 * shapes this workflow uses (status functions, `matrix.x == value`, joined by &&); anything else
 * fails the test rather than being guessed.
 */
function runs(step: Step, stage: StageNumber, target: string, outcome: Outcome): boolean {
    if (step.if === undefined) return outcome === "success";
    const expr = step.if.trim().replace(/^\$\{\{\s*([\s\S]*?)\s*\}\}$/, "$1");
    let status: boolean | undefined;
    let matrix = true;
    for (const clause of expr.split("&&").map((c) => c.trim())) {
        const m = /^matrix\.(stage|target)\s*==\s*('?)([\w-]+)\2$/.exec(clause);
        if (m) {
            matrix &&= m[1] === "stage" ? Number(m[3]) === stage : m[3] === target;
            continue;
        }
        const functions: Record<string, boolean> = {
            "success()": outcome === "success", "failure()": outcome === "failure", "always()": true, "!cancelled()": true,
        };
        if (!(clause in functions)) throw new Error(`the test cannot read the condition "${step.if}" (clause "${clause}")`);
        status = (status ?? true) && functions[clause];
    }
    return matrix && (status ?? outcome === "success");
}

/** A run script as the runner sees it for one matrix entry. */
const script = (step: Step, stage: StageNumber, target: string) =>
    (step.run ?? "").replaceAll("${{ matrix.stage }}", String(stage)).replaceAll("${{ matrix.target }}", target);

/** The argument lists of every `npm run lab -- ...` in a script, up to the shell's next operator. */
function labCommands(text: string): string[][] {
    return [...text.matchAll(/npm run lab -- ([^;&|>\n]*)/g)].map((m) => m[1].trim().split(/\s+/).filter(Boolean));
}

const entries = (job.strategy.matrix.include as { stage: StageNumber; target: string }[]);
const successSteps = (stage: StageNumber, target: string) => steps.filter((s) => runs(s, stage, target, "success"));

describe(".github/workflows/e2e.yml", () => {
    const runsOf = new Map<StageNumber, ProgramRun>();
    before(async () => {
        for (const stage of STAGES.keys()) runsOf.set(stage, await runProgram({ stage: String(stage) }));
    });

    describe("when it runs", () => {
        it("on demand, weekly, and on pushes to main and pull requests that change the program or the pack", () => {
            assert.ok("workflow_dispatch" in doc.on);
            const cron = (doc.on.schedule as { cron: string }[]).map((s) => s.cron);
            assert.equal(cron.length, 1);
            const fields = cron[0].split(/\s+/);
            assert.equal(fields.length, 5);
            assert.deepEqual(fields.slice(2, 4), ["*", "*"], "every month, every day of the month");
            assert.match(fields[4], /^[0-6]$/, "one day of the week: weekly");
            assert.deepEqual(doc.on.push.branches, ["main"]);
            assert.deepEqual(doc.on.pull_request.paths, doc.on.push.paths);
        });

        it("on a change to any file the program, the pack, the CLI or the app loads", () => {
            const globs = (doc.on.push.paths as string[]).map((g) =>
                new RegExp(`^${g.replace(/[.+^$()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\0").replace(/\*/g, "[^/]*").replace(/\0/g, ".*")}$`));
            // What the mocked program loaded for all six stages, plus the pack's policies and the CLI
            // (not policy-pack/index.ts: constructing the pack starts its gRPC server).
            require("../../policy-pack/policies");
            require("../../lab/commands");
            const loaded = Object.keys(require.cache)
                .filter((f) => f.startsWith(ROOT + path.sep) && !f.includes(`${path.sep}node_modules${path.sep}`))
                .map((f) => path.relative(ROOT, f))
                .filter((f) => !f.startsWith(`test${path.sep}`) && !f.startsWith(`tools${path.sep}`) && !/^\.mocharc\./.test(f));
            assert.ok(loaded.includes("index.ts") && loaded.some((f) => f.startsWith("policy-pack/")), loaded.join(", "));
            assert.deepEqual(loaded.filter((f) => !globs.some((g) => g.test(f))), []);
            for (const file of ["policy-pack/index.ts", "policy-pack/PulumiPolicy.yaml", "app/Dockerfile", "app/src/server.ts", "Pulumi.yaml", "Pulumi.stage5.yaml", "kind-config.yaml", "scripts/kind-up.sh"]) {
                assert.ok(globs.some((g) => g.test(file)), file);
            }
        });

        it("read-only, one run per ref at a time", () => {
            assert.deepEqual(doc.permissions, { contents: "read" });
            assert.match(doc.concurrency.group, /\$\{\{ github\.ref \}\}/);
        });
    });

    describe("the matrix and the machine", () => {
        it("has every stage once, on its profile's target", () => {
            assert.deepEqual(entries.map((e) => e.stage), [...STAGES.keys()]);
            for (const e of entries) assert.equal(e.target, profileOf(e.stage).target, `stage ${e.stage}`);
            assert.equal(job.strategy["fail-fast"], false, "one broken stage does not hide the others");
        });

        it("keeps state as the lab does: a local file backend and the lab's passphrase, no account", () => {
            assert.match(job.env.PULUMI_BACKEND_URL, /^file:\/\/\$\{\{ github\.workspace \}\}\//);
            assert.equal(job.env.PULUMI_CONFIG_PASSPHRASE, LAB_PASSPHRASE);
            assert.ok(!JSON.stringify(doc).includes("secrets."), "nothing needs a secret");
        });

        it("installs what a learner installs, in the README's order: npm ci, then the Pulumi CLI", () => {
            const ci = steps.findIndex((s) => s.run === "npm ci --no-audit --no-fund");
            const pulumi = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
            const up = steps.findIndex((s) => labCommands(s.run ?? "").some((a) => a[0] === "up"));
            assert.ok(ci >= 0 && pulumi > ci && up > pulumi, `${ci} ${pulumi} ${up}`);
            assert.equal(steps[pulumi].with, undefined, "no command: the action only installs the CLI");
        });

        it("gets kind and the lab's cluster only for Kubernetes stages, through scripts/kind-up.sh", () => {
            const kindAction = steps.find((s) => s.uses?.startsWith("helm/kind-action@"))!;
            const kindUp = steps.find((s) => s.run?.trim() === "scripts/kind-up.sh")!;
            for (const e of entries) {
                assert.equal(runs(kindAction, e.stage, e.target, "success"), e.target === "kubernetes", `kind-action, stage ${e.stage}`);
                assert.equal(runs(kindUp, e.stage, e.target, "success"), e.target === "kubernetes", `kind-up.sh, stage ${e.stage}`);
            }
            assert.ok(steps.indexOf(kindUp) > steps.indexOf(kindAction));
            // Installs kind and kubectl only; the cluster is kind-up.sh's, with the lab's name.
            assert.equal(kindAction.with?.install_only, true);
            assert.equal(kindAction.with?.cluster_name, KUBERNETES.clusterName);
            // kind enforces NetworkPolicy from v0.24 (the project's design notes): the default-deny must really bite.
            const [major, minor] = String(kindAction.with?.version).replace(/^v/, "").split(".").map(Number);
            assert.ok(major > 0 || minor >= 24, `kind ${kindAction.with?.version}`);
            assert.ok(fs.statSync(path.join(ROOT, "scripts/kind-up.sh")).mode & 0o111, "kind-up.sh is executable");
            assert.equal(job.env.KUBE_CONTEXT, `kind-${KUBERNETES.clusterName}`);
            assert.equal(job.env.KUBE_CONTEXT, SETTINGS.kubeContext.default, "the context the program's provider uses");
        });
    });

    describe("what each stage runs", () => {
        for (const { stage, target } of [...STAGES.values()].map((p: StageProfile) => ({ stage: p.stage, target: p.target }))) {
            const commands = () => successSteps(stage, target).flatMap((s) => labCommands(script(s, stage, target)));

            it(`stage ${stage}: every npm run lab command is one the CLI accepts, for stage ${stage}`, () => {
                const all = commands();
                assert.ok(all.length >= 4, JSON.stringify(all));
                for (const argv of all) {
                    const parsed = parseArgs(argv);
                    assert.notEqual(parsed.name, "help", argv.join(" "));
                    assert.ok("stage" in parsed && parsed.stage === stage, `${argv.join(" ")} is about stage ${stage}`);
                }
            });

            it(`stage ${stage}: up --yes, verify, preview first; down last`, () => {
                const names = commands().map((argv) => argv.filter((a) => !a.startsWith("-"))[0]);
                assert.deepEqual(names.slice(0, 3), ["up", "verify", "preview"]);
                assert.deepEqual(commands()[0], ["up", String(stage), "--yes"], "non-interactive: no terminal to answer on");
                assert.equal(names.at(-1), "down");
                assert.equal(names.filter((n) => n === "down").length, 1);
            });

            it(`stage ${stage}: has a drill, and every container or Kubernetes object it names exists in stage ${stage}`, () => {
                const drills = successSteps(stage, target).filter((s) => s.name?.startsWith("Drill:"));
                assert.ok(drills.length >= 1, `stage ${stage} has no drill`);
                const run = runsOf.get(stage)!;
                const text = drills.map((s) => script(s, stage, target)).join("\n");
                if (target === "docker") {
                    const names = new Set(containers(run).map((c) => c.inputs.name as string));
                    const named = [...text.matchAll(/\bdevsecops-s\d-[\w-]+/g)].map((m) => m[0]);
                    assert.deepEqual(named.filter((n) => !names.has(n)), [], `containers of stage ${stage}: ${[...names].join(", ")}`);
                    const unnamed = text.split("\n").filter((l) => !l.trim().startsWith("#") && /\bdocker (stop|start|kill|restart|inspect|exec)\b/.test(l) && !/\bdevsecops-s\d-/.test(l));
                    assert.deepEqual(unnamed, [], "every docker command of a drill names its container");
                    assert.doesNotMatch(text, /kubectl/);
                } else {
                    checkKubeReferences(run, text);
                    assert.doesNotMatch(text, /\bdocker (stop|kill|start)\b/);
                }
            });
        }

        it("stage 4's edit-the-code drill applies to profiles/stage4.ts and the pack really refuses the result", async () => {
            const drill = steps.find((s) => s.name?.startsWith("Drill: break the rules in code"))!;
            assert.equal(drill.if, "matrix.stage == 4");
            const sed = /sed -i 's\/(.+?)\/(.+?)\/' profiles\/stage4\.ts/.exec(drill.run!)!;
            const [from, to] = [new RegExp(sed[1], "m"), sed[2]];
            const source = fs.readFileSync(path.join(ROOT, "profiles/stage4.ts"), "utf8");
            assert.equal(source.split("\n").filter((l) => from.test(l)).length, 1, `${from} matches one line of profiles/stage4.ts`);
            assert.equal(to.trim(), 'secretsFrom: "env",');
            const policy = /grep -q ([\w-]+) preview\.log/.exec(drill.run!)![1];
            assert.equal(JSON.parse(fs.readFileSync(configPath(4), "utf8"))[policy], "mandatory", `${policy} in stage4.json`);
            // The same edit, as data: stage 4 with its secrets in the environment, through the pack.
            const result = await evaluatePack(await buildProfile({ ...STAGES.get(4)!, secretsFrom: "env" }), JSON.parse(fs.readFileSync(configPath(4), "utf8")));
            assert.ok(result.mandatory.some((v) => v.policy === policy), result.mandatory.map((v) => v.policy).join(", "));
        });
    });

    describe("DAST on stage 4's edge", () => {
        const zap = steps.find((s) => /zap-baseline\.py/.test(s.run ?? ""))!;

        it("runs ZAP's baseline scan, pinned, against the entry point, on stage 4 only", () => {
            for (const e of entries) assert.equal(runs(zap, e.stage, e.target, "success"), e.stage === 4, `stage ${e.stage}`);
            const p = profileOf(4);
            assert.ok(p.tls && p.rateLimit && p.target === "docker", "stage 4 is the first stage with an HTTPS edge");
            assert.match(zap.run!, /docker run --rm --network host -v "\$PWD\/zap:\/zap\/wrk:rw" ghcr\.io\/zaproxy\/zaproxy:\d+\.\d+\.\d+ /);
            assert.match(zap.run!, /zap-baseline\.py -t "\$ENTRY" -J report\.json .*-I\b/);
            assert.match(zap.run!, /chmod a\+w zap/, "ZAP runs as uid 1000 and writes its reports there");
        });

        it("points ZAP at https://localhost:<edgeTlsHostPort>, the edge's entry point", () => {
            const entry = (runsOf.get(4)!.outputs.entryPoints as string[])[0];
            assert.equal(entry, `https://localhost:${SETTINGS.edgeTlsHostPort.default}`);
            const wait = steps.find((s) => s.name === "Wait until every entry point answers")!;
            assert.match(wait.run!, /pulumi stack output entryPoints --stack stage\$\{\{ matrix\.stage \}\} --json \| jq -r '\.\[\]'/);
            assert.match(wait.run!, /echo "ENTRY=\$\(echo "\$entries" \| head -1\)" >> "\$GITHUB_ENV"/);
            assert.ok(steps.indexOf(wait) < steps.indexOf(zap));
        });

        it("fails the job on a high finding through scripts/zap-gate.ts, and uploads the report whatever happened", () => {
            assert.match(zap.run!, /npx ts-node --transpile-only scripts\/zap-gate\.ts zap\/report\.json "\$ENTRY"/);
            assert.ok(fs.existsSync(path.join(ROOT, "scripts/zap-gate.ts")));
            const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.path === "zap/")!;
            assert.ok(runs(upload, 4, "docker", "failure") && runs(upload, 4, "docker", "success"));
            assert.ok(!runs(upload, 3, "docker", "failure"));
        });
    });

    describe("when a step fails", () => {
        const logs = (target: string) => steps.filter((s) => runs(s, target === "docker" ? 1 : 5, target, "failure") && /logs/.test(s.run ?? ""));
        const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@") && s.with?.path === "logs/")!;

        it("collects the logs of every container of the lab (Docker stages)", () => {
            const [step] = logs("docker");
            assert.match(step.run!, new RegExp(`docker ps -a --filter label=${LABELS.project}=${PROJECT} --format '\\{\\{\\.Names\\}\\}'`));
            assert.match(step.run!, /docker logs --timestamps "\$c" > "logs\/\$c\.log"/);
            assert.ok(!runs(step, 1, "docker", "success"), "only on failure");
        });

        it("collects the logs of every pod in the lab's namespaces, and kind's own (Kubernetes stages)", () => {
            const [step] = logs("kubernetes");
            assert.match(step.run!, new RegExp(`get namespaces -l ${LABELS.project}=${PROJECT}`));
            assert.match(step.run!, /logs "\$pod" --all-containers/);
            assert.match(step.run!, /kind export logs logs\/kind --name devsecops-journey/);
            for (const r of kind(runsOf.get(5)!, KUBE_TYPES.namespace)) assert.equal(r.inputs.metadata.labels[LABELS.project], PROJECT);
        });

        it("uploads them, and reads them before anything tears the stage down", () => {
            for (const e of entries) {
                assert.ok(runs(upload, e.stage, e.target, "failure") && !runs(upload, e.stage, e.target, "success"));
                // down runs only on success: a failed step leaves the stage running for the log steps after it.
                const down = steps.find((s) => labCommands(script(s, e.stage, e.target)).some((a) => a[0] === "down"))!;
                assert.ok(!runs(down, e.stage, e.target, "failure"));
                assert.ok(steps.indexOf(upload) > steps.indexOf(down));
            }
        });
    });
});

/**
 * The Kubernetes names a drill uses, against the stage's objects: `-n` namespaces, deploy/ and
 * cronjob/ workloads, `-l` pod labels, `--as` ServiceAccounts and `svc.cluster.local` hosts with ports.
 */
function checkKubeReferences(run: ProgramRun, text: string): void {
    const meta = (type: string) => kind(run, type).map((r) => ({ ns: r.inputs.metadata?.namespace as string, name: r.inputs.metadata?.name as string, r }));
    const namespaces = new Set(meta(KUBE_TYPES.namespace).map((n) => n.name));
    const problems: string[] = [];
    for (const line of text.split("\n").filter((l) => /kubectl/.test(l))) {
        const ns = /-n "?([\w-]+)"?/.exec(line)?.[1];
        if (ns && !namespaces.has(ns)) problems.push(`namespace ${ns}: ${line.trim()}`);
        for (const [, kindName, name] of line.matchAll(/\b(deploy|cronjob)\/([\w-]+)/g)) {
            const type = kindName === "deploy" ? KUBE_TYPES.deployment : KUBE_TYPES.cronJob;
            if (!meta(type).some((o) => o.ns === ns && o.name === name)) problems.push(`${kindName}/${name} in ${ns}`);
        }
        for (const [, key, value] of line.matchAll(/-l ([\w./-]+)=([\w-]+)/g)) {
            const matching = workloads(run).filter((w) => w.inputs.metadata?.namespace === ns && podTemplate(w).metadata.labels[key] === value);
            if (ns && matching.length === 0) problems.push(`no pods labelled ${key}=${value} in ${ns}`);
        }
        for (const [, saNs, sa] of line.matchAll(/--as=system:serviceaccount:([\w-]+):([\w-]+)/g)) {
            if (!meta(KUBE_TYPES.serviceAccount).some((o) => o.ns === saNs && o.name === sa)) problems.push(`ServiceAccount ${saNs}/${sa}`);
        }
    }
    for (const [, name, ns, port] of text.matchAll(/\b([\w-]+)\.([\w-]+)\.svc\.cluster\.local (\d+)/g)) {
        const service = meta(KUBE_TYPES.service).find((o) => o.ns === ns && o.name === name);
        if (!service) problems.push(`Service ${ns}/${name}`);
        else if (!(service.r.inputs.spec.ports as { port: number }[]).some((p) => p.port === Number(port))) problems.push(`Service ${ns}/${name} has no port ${port}`);
    }
    assert.ok(/kubectl/.test(text), "a Kubernetes drill uses kubectl");
    assert.deepEqual(problems, []);
}
