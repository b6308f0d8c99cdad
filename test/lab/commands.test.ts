/**
 * The commands end to end over a fake Pulumi engine and fake machine probes: what runs, in which
 * order, what the learner reads, and the exit code, for every path and every error.
 */
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { STAGES } from "../../profiles/catalog";
import type { StageNumber } from "../../profiles/profile";
import { EXIT, LabDeps, LabError, runLab } from "../../lab/commands";
import type { LabEngine, StackState } from "../../lab/engine";
import { workspacePlan } from "../../lab/plan";
import { MISSING, ProbeResult } from "../../lab/probes";
import type { Requirement } from "../../lab/plan";

interface Harness {
    deps: LabDeps;
    out: string[];
    err: string[];
    calls: string[];
    state: Map<StageNumber, number>;
}

function harness(opts: {
    running?: Partial<Record<StageNumber, number>>;
    missing?: Partial<Record<Requirement, string>>;
    interactive?: boolean;
    answer?: boolean;
    outputs?: Record<string, unknown>;
    config?: Record<string, string>;
    failUp?: Error;
    secretOutputs?: string[];
    /** An image whose docker pull fails. */
    failPull?: string;
    docker?: { cpus: number; memoryMiB: number };
    exited?: { name: string; exitCode: number; logTail: string[] }[];
    busyPorts?: string[];
    /** What `docker ps` lists for a stage (default: one app container up). */
    containers?: string[];
} = {}): Harness {
    const out: string[] = [];
    const err: string[] = [];
    const calls: string[] = [];
    const state = new Map<StageNumber, number>(Object.entries(opts.running ?? {}).map(([k, v]) => [Number(k) as StageNumber, v!]));
    let clock = 0;
    const engine: LabEngine = {
        async stacks(): Promise<StackState[]> {
            calls.push("stacks");
            return [...state].map(([stage, resources]) => ({ stage, resources }));
        },
        async up(stage, onOutput) {
            calls.push(`up ${stage}`);
            if (opts.failUp) throw opts.failUp;
            onOutput(`Updating (stage${stage})\n`);
            state.set(stage, 12);
            clock += 83_000;
            return { outputs: opts.outputs ?? { entryPoints: [`http://localhost:8080`], tryThis: ["curl it"], lessons: ["a", "b"] }, changes: { create: 12 } };
        },
        async preview(stage, policy, onOutput) {
            calls.push(`preview ${stage} ${policy.policyPackConfigs.map((p) => p.split("/").slice(-2).join("/")).join(",")}`);
            onOutput("Previewing\n");
            return { changes: { create: 9, same: 0 } };
        },
        async destroy(stage, onOutput) {
            calls.push(`destroy ${stage}`);
            onOutput("Destroying\n");
            state.set(stage, 0);
        },
        async outputs(stage) {
            calls.push(`outputs ${stage}`);
            return opts.outputs ?? { entryPoints: [`http://localhost:${8080 + stage}`] };
        },
        async secretOutputs(stage) {
            calls.push(`secretOutputs ${stage}`);
            return opts.secretOutputs ?? [];
        },
        async config(stage) {
            calls.push(`config ${stage}`);
            return opts.config ?? { "devsecops:stage": String(stage) };
        },
    };
    const deps: LabDeps = {
        plan: workspacePlan({}, "/home/learner"),
        io: {
            out: (l) => out.push(l),
            err: (l) => err.push(l),
            progress: (t) => calls.push(`progress ${t.trim()}`),
            interactive: opts.interactive ?? false,
            async confirm(q) {
                calls.push(`confirm ${q}`);
                return opts.answer ?? false;
            },
        },
        async probe(what): Promise<ProbeResult> {
            calls.push(`probe ${what}`);
            const missing = opts.missing?.[what];
            return missing ? { ok: false, message: missing } : { ok: true, detail: what };
        },
        async engine() {
            calls.push("engine");
            return engine;
        },
        async readEnv(source) {
            calls.push(`env ${source.command.join(" ")}`);
            return [`APP_INSTANCE=${source.name}`];
        },
        async containers(lab) {
            return opts.containers ?? [`devsecops-s${lab.profile.stage}-app-1  Up 3 seconds`];
        },
        async diff(a, b) {
            calls.push(`diff ${a} ${b}`);
            return `Profile (1):\n- x`;
        },
        async needs(stage) {
            calls.push(`needs ${stage}`);
            return {
                images: ["postgres:17.6-bookworm", "redis:7.4.6-alpine"],
                ports: stage >= 4 ? ["127.0.0.1:8443"] : ["127.0.0.1:8080"],
                ...(stage >= 4 ? { cpus: 4.75, memoryMiB: 2304 } : {}),
            };
        },
        async dockerResources() {
            return opts.docker;
        },
        async exited() {
            return opts.exited ?? [];
        },
        async portFree(address, port) {
            calls.push(`portFree ${address}:${port}`);
            return !(opts.busyPorts ?? []).includes(`${address}:${port}`);
        },
        async exec(command, args) {
            calls.push(`exec ${command} ${args.join(" ")}`);
            return opts.failPull && args.includes(opts.failPull) ? 1 : 0;
        },
        now: () => clock,
    };
    return { deps, out, err, calls, state };
}

describe("lab CLI: commands over a fake engine", () => {
    describe("errors: one line, a non-zero exit, nothing run", () => {
        it("an unknown command", async () => {
            const h = harness();
            assert.equal(await runLab(["deploy", "1"], h.deps), EXIT.usage);
            assert.deepEqual(h.err, ['lab: unknown command "deploy": use one of up, preview, verify, down, reset, status, output, pull, doctor, diff, drill', "run `npm run lab -- help` for the commands"]);
            assert.deepEqual(h.calls, []);
        });

        it("a bad stage", async () => {
            const h = harness();
            assert.equal(await runLab(["up", "12"], h.deps), EXIT.usage);
            assert.match(h.err[0], /^lab: "12" is not a stage: use one of 1, 2, 3, 4/);
            assert.deepEqual(h.calls, []);
        });

        for (const command of [["up", "1"], ["preview", "2"], ["reset", "3"], ["down"], ["status"], ["verify"]]) {
            it(`the Pulumi CLI missing (${command.join(" ")})`, async () => {
                const h = harness({ missing: { pulumi: MISSING.pulumi } });
                assert.equal(await runLab(command, h.deps), EXIT.failed);
                assert.deepEqual(h.err, [`lab: ${MISSING.pulumi}`]);
                assert.ok(!h.calls.includes("engine"), "Pulumi was not started");
            });
        }

        for (const [why, message] of [["not installed", MISSING.dockerBinary], ["not running", MISSING.dockerDaemon]]) {
            it(`Docker ${why}`, async () => {
                const h = harness({ missing: { docker: message } });
                assert.equal(await runLab(["up", "1"], h.deps), EXIT.failed);
                assert.deepEqual(h.err, [`lab: ${message}`]);
                assert.deepEqual(h.calls, ["probe pulumi", "probe docker"]);
            });
        }

        it("Docker missing when verifying the running stage", async () => {
            const h = harness({ running: { 2: 9 }, missing: { docker: MISSING.dockerDaemon } });
            assert.equal(await runLab(["verify"], h.deps), EXIT.failed);
            assert.deepEqual(h.err, [`lab: ${MISSING.dockerDaemon}`]);
        });

        it("the kind cluster missing for a Kubernetes stage (only probed where the target is kubernetes)", async () => {
            const kube = [...STAGES.values()].find((p) => p.target === "kubernetes");
            const h = harness({ missing: { kind: MISSING.kindCluster } });
            if (kube) {
                assert.equal(await runLab(["up", String(kube.stage)], h.deps), EXIT.failed);
                assert.deepEqual(h.err, [`lab: ${MISSING.kindCluster}`]);
            }
            const docker = [...STAGES.values()].find((p) => p.target === "docker")!;
            const d = harness({ missing: { kind: MISSING.kindCluster } });
            assert.equal(await runLab(["up", String(docker.stage)], d.deps), EXIT.ok);
            assert.ok(!d.calls.includes("probe kind"));
        });

        it("a failed Pulumi run (a mandatory policy, a Docker error): one line after Pulumi's own output", async () => {
            const h = harness({ failUp: new LabError("pulumi up of stage1 failed: error: port is already allocated (Pulumi's output above says why)") });
            assert.equal(await runLab(["up", "1"], h.deps), EXIT.failed);
            assert.deepEqual(h.err, ["lab: pulumi up of stage1 failed: error: port is already allocated (Pulumi's output above says why)"]);
        });

        it("a Pulumi failure that is not the user's propagates as a bug (stack trace)", async () => {
            const h = harness({ failUp: new TypeError("boom") });
            await assert.rejects(runLab(["up", "1"], h.deps), TypeError);
        });
    });

    describe("up", () => {
        it("creates or selects the stack, streams Pulumi's progress and ends with a summary", async () => {
            const h = harness();
            assert.equal(await runLab(["up", "3"], h.deps), EXIT.ok);
            assert.deepEqual(h.calls, ["probe pulumi", "probe docker", "engine", "stacks", "up 3", "progress Updating (stage3)", "config 3"]);
            assert.equal(h.out[0], "bringing up stage 3 (Scaling and isolation): pulumi up --stack stage3 --refresh --yes");
            const text = h.out.join("\n");
            assert.match(text, /stage 3 \(Scaling and isolation\) is up in 1m 23s \(12 create\)/);
            assert.match(text, /runs: {3}1 containers\n {4}devsecops-s3-app-1 {2}Up 3 seconds/);
            assert.match(text, /open: {3}http:\/\/localhost:8080/);
            assert.match(text, /try:\n {4}- curl it/);
            assert.match(text, /2 lessons/);
            assert.match(text, /check: {2}npm run lab -- verify 3/);
            assert.match(text, /state: {2}file:\/\/\/home\/learner\/\.devsecops-lab\/state \(passphrase: the lab's, devsecops-lab\)/);
        });

        it("with another stage running and --yes, tears it down first", async () => {
            const h = harness({ running: { 1: 5 } });
            assert.equal(await runLab(["up", "2", "--yes"], h.deps), EXIT.ok);
            assert.deepEqual(h.calls.filter((c) => /^(up|destroy)/.test(c)), ["destroy 1", "up 2"]);
            assert.ok(h.out.includes("tearing down stage 1 (Day-1 sprint): pulumi destroy --stack stage1 --yes"));
        });

        it("with another stage running on a terminal, asks; yes tears it down", async () => {
            const h = harness({ running: { 1: 5 }, interactive: true, answer: true });
            assert.equal(await runLab(["up", "2"], h.deps), EXIT.ok);
            assert.ok(h.calls.includes("confirm stage 1 (Day-1 sprint) is running; only one stage runs at a time. Tear it down first?"));
            assert.deepEqual(h.calls.filter((c) => /^(up|destroy)/.test(c)), ["destroy 1", "up 2"]);
        });

        it("with another stage running on a terminal, asks; no leaves it and starts nothing", async () => {
            const h = harness({ running: { 1: 5 }, interactive: true, answer: false });
            assert.equal(await runLab(["up", "2"], h.deps), EXIT.failed);
            assert.deepEqual(h.calls.filter((c) => /^(up|destroy)/.test(c)), []);
            assert.deepEqual(h.err, ["lab: stage 1 (Day-1 sprint) keeps running; stage 2 (Early growth) was not started"]);
        });

        it("with another stage running and no terminal, refuses and says how", async () => {
            const h = harness({ running: { 1: 5 } });
            assert.equal(await runLab(["up", "2"], h.deps), EXIT.failed);
            assert.deepEqual(h.err, ["lab: stage 1 is running and only one stage runs at a time: run npm run lab -- down 1, or add --yes to tear it down first"]);
            assert.equal(h.state.get(1), 5);
        });

        it("the same stage running again is an update, not a teardown", async () => {
            const h = harness({ running: { 2: 9 } });
            assert.equal(await runLab(["up", "2"], h.deps), EXIT.ok);
            assert.deepEqual(h.calls.filter((c) => /^(up|destroy)/.test(c)), ["up 2"]);
        });
    });

    describe("preview, down, reset, status, diff", () => {
        it("preview runs with the policy pack and that stage's pack config", async () => {
            const h = harness();
            assert.equal(await runLab(["preview", "4"], h.deps), EXIT.ok);
            assert.ok(h.calls.includes("preview 4 config/stage4.json"));
            assert.match(h.out[0], /pulumi preview --stack stage4 --policy-pack policy-pack --policy-pack-config policy-pack\/config\/stage4.json/);
            assert.match(h.out.at(-1)!, /^preview of stage 4 \(Shift-left security\) done in 0s: 9 create$/);
        });

        it("down without a stage tears down the running one; with none running says so", async () => {
            const h = harness({ running: { 3: 14 } });
            assert.equal(await runLab(["down"], h.deps), EXIT.ok);
            assert.ok(h.calls.includes("destroy 3"));
            const none = harness();
            assert.equal(await runLab(["down"], none.deps), EXIT.failed);
            assert.deepEqual(none.err, ["lab: no stage is running, nothing to down: start one with npm run lab -- up 1"]);
        });

        it("down with two stages running asks which", async () => {
            const h = harness({ running: { 1: 5, 2: 9 } });
            assert.equal(await runLab(["down"], h.deps), EXIT.failed);
            assert.deepEqual(h.err, ["lab: stages 1 and 2 are running: say which, e.g. npm run lab -- down 1"]);
        });

        it("reset is down then up", async () => {
            const h = harness({ running: { 2: 9 } });
            assert.equal(await runLab(["reset", "2"], h.deps), EXIT.ok);
            assert.deepEqual(h.calls.filter((c) => /^(up|destroy)/.test(c)), ["destroy 2", "up 2"]);
        });

        it("status lists every stage and the running one's URLs", async () => {
            const h = harness({ running: { 2: 9, 1: 0 } });
            assert.equal(await runLab(["status"], h.deps), EXIT.ok);
            assert.equal(h.out[0], "state: file:///home/learner/.devsecops-lab/state");
            assert.ok(h.out.includes("  stage 1 (Day-1 sprint): down"));
            assert.ok(h.out.includes("  stage 2 (Early growth): RUNNING, 9 resources"));
            assert.ok(h.out.includes("  stage 3 (Scaling and isolation): never brought up"));
            assert.ok(h.out.includes("  open: http://localhost:8082"));
            assert.equal(h.out.length, 2 + STAGES.size);
        });

        it("status says when the state says running but Docker runs none of the stage's containers", async () => {
            const h = harness({ running: { 4: 60 }, containers: [] });
            assert.equal(await runLab(["status"], h.deps), EXIT.ok);
            assert.ok(h.out.includes("  but none of its containers runs (Docker restarted, or the laptop rebooted?): npm run lab -- up 4 starts them again, and npm run lab -- reset 4 refills Vault"), h.out.join("\n"));
            const fine = harness({ running: { 4: 60 } });
            await runLab(["status"], fine.deps);
            assert.ok(!fine.out.some((l) => l.includes("none of its containers")));
        });

        it("output lists a running stage's outputs through the lab's backend, secrets hidden unless named and asked for", async () => {
            const outputs = { entryPoints: ["https://localhost:8443"], databasePassword: "s3cret", edgeCertificate: "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n", stage: 4 };
            const run = async (args: string[]) => { const h = harness({ running: { 4: 60 }, outputs, secretOutputs: ["databasePassword"] }); const code = await runLab(args, h.deps); return { ...h, code }; };
            const all = await run(["output", "4"]);
            assert.equal(all.code, EXIT.ok);
            assert.deepEqual(all.out, [
                "databasePassword: [secret] (npm run lab -- output 4 databasePassword --show-secrets)",
                "edgeCertificate: (3 lines: npm run lab -- output 4 edgeCertificate)",
                "entryPoints:", "  - https://localhost:8443",
                "stage: 4",
            ]);
            const cert = await run(["output", "4", "edgeCertificate"]);
            assert.equal(cert.out.join("\n"), outputs.edgeCertificate, "the value alone, for > lab.crt");
            const hidden = await run(["output", "4", "databasePassword"]);
            assert.equal(hidden.code, EXIT.failed);
            assert.deepEqual(hidden.err, ["lab: databasePassword is a secret: npm run lab -- output 4 databasePassword --show-secrets"]);
            const shown = await run(["output", "4", "databasePassword", "--show-secrets"]);
            assert.deepEqual([shown.code, shown.out], [EXIT.ok, ["s3cret"]]);
            const down = harness({});
            assert.equal(await runLab(["output", "2"], down.deps), EXIT.failed);
            assert.match(down.err[0], /^lab: stage 2 \(Early growth\) is not running, so it has no outputs: npm run lab -- up 2$/);
            assert.ok(!down.calls.some((c) => c.startsWith("outputs")), "no stack created to find out");
        });

        it("pull pulls every image the stage needs, and for a Kubernetes stage loads it into the kind node", async () => {
            const docker = harness();
            assert.equal(await runLab(["pull", "3"], docker.deps), EXIT.ok);
            assert.deepEqual(docker.calls.filter((c) => c.startsWith("exec")), ["exec docker pull postgres:17.6-bookworm", "exec docker pull redis:7.4.6-alpine"]);
            assert.ok(!docker.calls.includes("engine"), "no Pulumi needed");
            const kube = harness();
            assert.equal(await runLab(["pull", "5"], kube.deps), EXIT.ok);
            assert.ok(kube.calls.includes("exec kind load docker-image redis:7.4.6-alpine --name devsecops-journey"));
            const failing = harness({ failPull: "redis:7.4.6-alpine" });
            assert.equal(await runLab(["pull", "3"], failing.deps), EXIT.failed);
            assert.deepEqual(failing.err, ["lab: could not pull redis:7.4.6-alpine (the output above says why); the rest are in place"]);
        });

        it("doctor checks what every stage needs, one line each, and says what to fix", async () => {
            const good = harness({ docker: { cpus: 8, memoryMiB: 16_000 } });
            assert.equal(await runLab(["doctor"], good.deps), EXIT.ok);
            assert.equal(good.out.at(-1), "every stage can come up on this machine");
            assert.ok(good.out.every((l, i, all) => i === all.length - 1 || l.startsWith("  ok ")), good.out.join("\n"));
            assert.ok(!good.calls.includes("engine"), "no Pulumi state touched");
            const bad = harness({ docker: { cpus: 2, memoryMiB: 2048 }, busyPorts: ["127.0.0.1:8443"], missing: { kind: MISSING.kindCluster } });
            assert.equal(await runLab(["doctor"], bad.deps), EXIT.failed);
            assert.ok(bad.out.includes("  FIX  Docker has 2 CPUs and 2 GiB; stage 4 (Shift-left security) asks for 4.75 CPUs and 2304 MiB: give Docker more (Docker Desktop: Settings, Resources)"), bad.out.join("\n"));
            assert.ok(bad.out.some((l) => l.startsWith("  FIX  port 127.0.0.1:8443 (stages 4, 5, 6) is in use")), bad.out.join("\n"));
            assert.ok(bad.out.includes(`  FIX  stages 5-6: ${MISSING.kindCluster}`));
            assert.equal(bad.out.at(-1), "3 things to fix before every stage can come up");
        });

        it("diff needs neither Pulumi nor Docker", async () => {
            const h = harness({ missing: { pulumi: MISSING.pulumi, docker: MISSING.dockerBinary } });
            assert.equal(await runLab(["diff", "1", "2"], h.deps), EXIT.ok);
            assert.deepEqual(h.calls, ["diff 1 2"]);
            assert.equal(h.out[0], "stage 1 → stage 2, computed from the profiles and the program under mocks:");
        });

        it("help prints the usage and exits 0", async () => {
            const h = harness();
            assert.equal(await runLab([], h.deps), EXIT.ok);
            assert.match(h.out[0], /^usage: npm run lab -- <command>/);
        });
    });

    describe("drill", () => {
        it("restore on stage 6: starts the Job from its CronJob, follows its log, then checks it completed", async () => {
            const h = harness({ running: { 6: 40 } });
            assert.equal(await runLab(["drill", "6", "restore"], h.deps), EXIT.ok);
            const execs = h.calls.filter((c) => c.startsWith("exec"));
            const ctx = "kubectl --context kind-devsecops-journey -n devsecops-data";
            assert.deepEqual(execs, [
                `exec ${ctx} create job --from=cronjob/postgres-restore-drill postgres-restore-drill-19700101-000000`,
                `exec ${ctx} logs -f job/postgres-restore-drill-19700101-000000 --pod-running-timeout=10m`,
                `exec ${ctx} wait --for=condition=complete --timeout=60s job/postgres-restore-drill-19700101-000000`,
            ]);
            assert.deepEqual(h.out, [
                "drill restore on stage 6 (Enterprise): job postgres-restore-drill-19700101-000000 in devsecops-data",
                "drill restore done: the report is the log line above (kubectl -n devsecops-data logs job/postgres-restore-drill-19700101-000000)",
            ]);
            assert.ok(h.calls.indexOf("probe kubectl") < h.calls.indexOf(execs[0]) || !h.calls.includes("probe kubectl"), "probed before it ran");
        });

        it("a drill whose Job failed: one line with where to look, a non-zero exit", async () => {
            const h = harness({ running: { 6: 40 }, failPull: "--for=condition=complete" });
            assert.equal(await runLab(["drill", "6", "backup"], h.deps), EXIT.failed);
            assert.equal(h.err.length, 1);
            assert.match(h.err[0], /^lab: the backup drill failed to check it completed \(kubectl .* wait .*exited with 1\); its pod says why: kubectl --context kind-devsecops-journey -n devsecops-data describe job\/postgres-backup-19700101-000000$/);
        });

        it("a stage without backups, or one not running: one line, nothing started", async () => {
            const h = harness({ running: { 4: 30 } });
            assert.equal(await runLab(["drill", "4", "restore"], h.deps), EXIT.failed);
            assert.deepEqual(h.err, ["lab: stage 4 (Shift-left security) has no restore drill: the backups and the restore drill come with stage 6"]);
            const down = harness({ running: { 6: 0 } });
            assert.equal(await runLab(["drill", "6", "restore"], down.deps), EXIT.failed);
            assert.match(down.err[0], /^lab: stage 6 \(Enterprise\) is not running \(it is down\), nothing to drill: npm run lab -- up 6$/);
            for (const x of [h, down]) assert.ok(!x.calls.some((c) => c.startsWith("exec")));
        });
    });

    describe("verify", () => {
        let server: http.Server;
        let port: number;
        before(async () => {
            // An app instance as far as stage 1's check goes: /healthz answers and names itself.
            server = http.createServer((_req, res) => res.writeHead(200, { "X-Instance": "app-1" }).end("ok"));
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            port = (server.address() as { port: number }).port;
        });
        after(() => server.close());

        it("checks the running stage with its outputs and prints pass/fail with what it saw", async () => {
            const h = harness({ running: { 1: 4 }, outputs: { entryPoints: [`http://127.0.0.1:${port}`] } });
            assert.equal(await runLab(["verify"], h.deps), EXIT.ok);
            assert.deepEqual(h.out, [
                "verifying stage 1 (Day-1 sprint):",
                `  PASS  the entry point answers: http://127.0.0.1:${port}/healthz answered 200 from app-1`,
                "all 1 checks passed",
            ]);
        });

        it("exits non-zero when a check fails", async () => {
            server.close();
            const h = harness({ running: { 1: 4 }, outputs: { entryPoints: [`http://127.0.0.1:${port}`] } });
            assert.equal(await runLab(["verify", "1"], h.deps), EXIT.failed);
            assert.match(h.out[1], /^ {2}FAIL {2}the entry point answers: connect ECONNREFUSED/);
            assert.equal(h.out.at(-1), "1 of 1 checks failed");
        });

        it("names a container that exited, with its exit code and the end of its log, as up would fail on it", async () => {
            const h = harness({
                running: { 1: 4 }, outputs: { entryPoints: [`http://127.0.0.1:${port}`] },
                exited: [
                    { name: "devsecops-s1-app-1", exitCode: 1, logTail: ["cannot reach postgres-primary:5432"] },
                    { name: "devsecops-s1-vault-bootstrap", exitCode: 0, logTail: ["vault-bootstrap: done"] },
                ],
            });
            assert.equal(await runLab(["verify", "1"], h.deps), EXIT.failed);
            assert.equal(h.out[1], "  FAIL  devsecops-s1-app-1 exited with 1: cannot reach postgres-primary:5432 (docker logs devsecops-s1-app-1)");
            assert.ok(!h.out.some((l) => l.includes("vault-bootstrap")), "a bootstrap that exited 0 did its job");
            assert.match(h.out.at(-1)!, /^[12] of 2 checks failed$/, "the exited container counts as a failed check");
        });

        it("says in one line that a stage is not running, and creates no stack to find out", async () => {
            for (const [running, why] of [[{}, "it was never brought up"], [{ 3: 0 }, "it is down"]] as const) {
                const h = harness({ running });
                assert.equal(await runLab(["verify", "3"], h.deps), EXIT.failed);
                assert.deepEqual(h.err, [`lab: stage 3 (Scaling and isolation) is not running (${why}), nothing to verify: npm run lab -- up 3`]);
                assert.ok(!h.calls.some((c) => /^(outputs|config|up) /.test(c)), h.calls.join(", "));
            }
        });

        it("reports a stack whose config is wrong in one line", async () => {
            const h = harness({ running: { 2: 4 }, config: { "devsecops:stage": "2", "devsecops:appReplicas": "1" } });
            assert.equal(await runLab(["verify"], h.deps), EXIT.failed);
            assert.match(h.err[0], /^lab: devsecops:appReplicas = "1" is not allowed/);
        });
    });
});
