/**
 * The lab's commands over injected pieces (the Pulumi engine, the machine probes, the terminal), so
 * every path, the failing ones first, runs in tests without Pulumi or Docker. main.ts wires the
 * real pieces.
 */
import { STAGES } from "../profiles/catalog";
import { CONFIG_NAMESPACE, LabConfig, LabConfigError, parseLabConfig } from "../program/config";
import type { StageNumber, StageProfile } from "../profiles/profile";
import { LabCommand, USAGE, UsageError, parseArgs } from "./args";
import { formatResult, runChecks } from "./checks";
import { LabError } from "./errors";
import type { LabEngine, Outputs, StackState } from "./engine";
import type { StageNeeds } from "./needs";
import { KUBERNETES, SERVICES } from "../program/names";
import {
    EnvSource, PolicyPlan, Requirement, WorkspacePlan, appEnvSources, commandLine, decideUp, drillPlan, policyPlan, requirementsOf, verifyTarget,
} from "./plan";
import type { DrillName } from "./args";
import type { Probe } from "./probes";
import { formatDuration, upSummary } from "./summary";

export interface LabIO {
    /** One line to stdout. */
    out(line: string): void;
    /** One line to stderr. */
    err(line: string): void;
    /** Pulumi's own progress text, as it streams. */
    progress(text: string): void;
    /** Asks a yes/no question on the terminal. */
    confirm(question: string): Promise<boolean>;
    readonly interactive: boolean;
}

export interface LabDeps {
    readonly io: LabIO;
    readonly plan: WorkspacePlan;
    readonly probe: Probe;
    /** The Pulumi engine, created only when a command needs it (after the probes passed). */
    engine(): Promise<LabEngine>;
    /** Runs a command that prints a running app's environment (docker inspect, kubectl exec env). */
    readEnv(source: EnvSource): Promise<string[]>;
    /** What runs for a stage right now, one line per container or pod (listRunningCommand). */
    containers(lab: LabConfig): Promise<string[]>;
    /** The stage-to-stage diff, as text (runs the program under mocks; loaded lazily). */
    diff(from: StageNumber, to: StageNumber): Promise<string>;
    /** What a stage needs of the machine (lab/needs.ts, from the program under mocks; loaded lazily). */
    needs(stage: StageNumber): Promise<StageNeeds>;
    /** Runs a command with its output streamed to the learner; resolves to its exit code. */
    exec(command: string, args: readonly string[]): Promise<number>;
    /** The CPUs and memory Docker's engine has (docker info), or undefined without a running Docker. */
    dockerResources(): Promise<{ cpus: number; memoryMiB: number } | undefined>;
    /** Whether a host address:port is free to publish on. */
    portFree(address: string, port: number): Promise<boolean>;
    /**
     * A Docker stage's containers that exited (never the seeds, which are created and never
     * started): name, exit code, the last lines of its log.
     */
    exited(lab: LabConfig): Promise<{ name: string; exitCode: number; logTail: string[] }[]>;
    now(): number;
}

export { LabError };

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const profileOf = (stage: StageNumber): StageProfile => STAGES.get(stage)!;
const name = (stage: StageNumber) => `stage ${stage} (${profileOf(stage).title})`;

/** Parses, runs, and turns every user-facing failure into one line and an exit code. */
export async function runLab(argv: readonly string[], deps: LabDeps): Promise<number> {
    const { io } = deps;
    let command: LabCommand;
    try {
        command = parseArgs(argv);
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        io.err(`lab: ${err.message}`);
        io.err(`run \`npm run lab -- help\` for the commands`);
        return EXIT.usage;
    }
    try {
        return await run(command, deps);
    } catch (err) {
        if (err instanceof LabError || err instanceof LabConfigError) {
            io.err(`lab: ${err.message}`);
            return EXIT.failed;
        }
        throw err;
    }
}

async function requireAll(deps: LabDeps, needs: Requirement[]): Promise<void> {
    for (const need of needs) {
        const result = await deps.probe(need);
        if (!result.ok) throw new LabError(result.message);
    }
}

async function running(engine: LabEngine): Promise<StackState[]> {
    return (await engine.stacks()).filter((s) => s.resources > 0);
}

/** The stage a command means: the one given, else the single running one. */
async function targetStage(engine: LabEngine, given: StageNumber | undefined, verb: string): Promise<StageNumber> {
    if (given !== undefined) return given;
    const live = await running(engine);
    if (live.length === 0) throw new LabError(`no stage is running, nothing to ${verb}: start one with npm run lab -- up 1`);
    if (live.length > 1) throw new LabError(`stages ${live.map((s) => s.stage).join(" and ")} are running: say which, e.g. npm run lab -- ${verb} ${live[0].stage}`);
    return live[0].stage;
}

async function run(command: LabCommand, deps: LabDeps): Promise<number> {
    const { io } = deps;
    switch (command.name) {
        case "help":
            USAGE.split("\n").forEach((l) => io.out(l));
            return EXIT.ok;
        case "diff":
            io.out(`stage ${command.from} → stage ${command.to}, computed from the profiles and the program under mocks:`);
            (await deps.diff(command.from, command.to)).split("\n").forEach((l) => io.out(l));
            return EXIT.ok;
        case "up":
            await requireAll(deps, requirementsOf(profileOf(command.stage)));
            return up(command.stage, command.yes, await deps.engine(), deps);
        case "reset": {
            await requireAll(deps, requirementsOf(profileOf(command.stage)));
            const engine = await deps.engine();
            await down(command.stage, engine, deps);
            return up(command.stage, command.yes, engine, deps);
        }
        case "preview": {
            await requireAll(deps, requirementsOf(profileOf(command.stage)));
            const policy: PolicyPlan = policyPlan(command.stage, deps.plan.workDir);
            io.out(`previewing ${name(command.stage)} with the policy pack: ${commandLine("preview", command.stage, deps.plan.workDir)}`);
            const started = deps.now();
            const { changes } = await (await deps.engine()).preview(command.stage, policy, io.progress);
            io.out(`preview of ${name(command.stage)} done in ${formatDuration(deps.now() - started)}: ${formatChanges(changes)}`);
            return EXIT.ok;
        }
        case "down": {
            await requireAll(deps, ["pulumi"]);
            const engine = await deps.engine();
            await down(await targetStage(engine, command.stage, "down"), engine, deps);
            return EXIT.ok;
        }
        case "status":
            await requireAll(deps, ["pulumi"]);
            return status(await deps.engine(), deps);
        case "pull":
            return pull(command.stage, deps);
        case "doctor":
            return doctor(deps);
        case "output": {
            await requireAll(deps, ["pulumi"]);
            return output(command.stage, command.key, command.showSecrets, await deps.engine(), deps);
        }
        case "drill": {
            await requireAll(deps, ["pulumi"]);
            const engine = await deps.engine();
            await requireRunning(engine, command.stage, "drill");
            await requireAll(deps, requirementsOf(profileOf(command.stage)).filter((r) => r !== "pulumi"));
            return drill(command.stage, command.drill, engine, deps);
        }
        case "verify": {
            await requireAll(deps, ["pulumi"]);
            const engine = await deps.engine();
            const stage = await targetStage(engine, command.stage, "verify");
            await requireRunning(engine, stage, "verify");
            await requireAll(deps, requirementsOf(profileOf(stage)).filter((r) => r !== "pulumi"));
            return verify(stage, engine, deps);
        }
    }
}

const formatChanges = (changes: Record<string, number>) =>
    Object.entries(changes).filter(([, n]) => n > 0).map(([op, n]) => `${n} ${op}`).join(", ") || "no changes";

async function up(stage: StageNumber, yes: boolean, engine: LabEngine, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const live = (await running(engine)).map((s) => s.stage);
    const decision = decideUp(stage, live, { yes, interactive: io.interactive });
    if (decision.kind === "refuse") throw new LabError(decision.message);
    if (decision.kind === "ask") {
        const list = decision.stages.map((s) => name(s)).join(", ");
        if (!(await io.confirm(`${list} is running; only one stage runs at a time. Tear it down first?`))) {
            io.err(`lab: ${list} keeps running; ${name(stage)} was not started`);
            return EXIT.failed;
        }
    }
    if (decision.kind !== "proceed") for (const other of decision.stages) await down(other, engine, deps);
    io.out(`bringing up ${name(stage)}: ${commandLine("up", stage, deps.plan.workDir)}`);
    const started = deps.now();
    const { outputs, changes } = await engine.up(stage, io.progress);
    upSummary({
        stage, title: profileOf(stage).title, outputs, changes, elapsedMs: deps.now() - started,
        containers: await deps.containers(await labConfig(engine, stage)).catch(() => []),
        defaultPassphrase: deps.plan.defaultPassphrase, backendUrl: deps.plan.backendUrl,
    }).forEach((l) => io.out(l));
    return EXIT.ok;
}

async function down(stage: StageNumber, engine: LabEngine, deps: LabDeps): Promise<void> {
    deps.io.out(`tearing down ${name(stage)}: ${commandLine("destroy", stage, deps.plan.workDir)}`);
    const started = deps.now();
    await engine.destroy(stage, deps.io.progress);
    deps.io.out(`${name(stage)} is down (${formatDuration(deps.now() - started)})`);
}

async function status(engine: LabEngine, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const stacks = await engine.stacks();
    io.out(`state: ${deps.plan.backendUrl}`);
    const live = stacks.filter((s) => s.resources > 0);
    for (const s of [...STAGES.keys()]) {
        const state = stacks.find((x) => x.stage === s);
        const what = !state ? "never brought up" : state.resources > 0 ? `RUNNING, ${state.resources} resources` : "down";
        io.out(`  ${name(s)}: ${what}${state?.lastUpdate ? ` (last update ${state.lastUpdate})` : ""}`);
    }
    for (const s of live) {
        const outputs: Outputs = await engine.outputs(s.stage);
        for (const url of (outputs.entryPoints as string[] | undefined) ?? []) io.out(`  open: ${url}`);
        // The state says it runs; Docker may not (a daemon restart or a reboot stops what stages 1-2
        // do not restart, and an emptied dev-mode Vault): say so, with the one command that fixes it.
        if (profileOf(s.stage).target === "docker") {
            const running = await deps.containers(await labConfig(engine, s.stage)).catch(() => undefined);
            if (running !== undefined && running.length === 0) {
                io.out(`  but none of its containers runs (Docker restarted, or the laptop rebooted?): npm run lab -- up ${s.stage} starts them again` +
                    `${profileOf(s.stage).secretsFrom === "vault" ? `, and npm run lab -- reset ${s.stage} refills Vault` : ""}`);
            }
        }
    }
    if (live.length === 0) io.out("no stage is running: npm run lab -- up 1");
    return EXIT.ok;
}

/**
 * Before a workshop: one screen of what every stage needs, each line ok or what to fix. Needs no
 * Pulumi state and creates nothing.
 */
async function doctor(deps: LabDeps): Promise<number> {
    const { io } = deps;
    const lines: { ok: boolean; text: string }[] = [];
    const check = (ok: boolean, text: string) => lines.push({ ok, text });
    for (const [need, what] of [["pulumi", "Pulumi CLI"], ["docker", "Docker"]] as const) {
        const r = await deps.probe(need);
        check(r.ok, r.ok ? `${what}: ${r.detail}` : r.message);
    }
    // One after the other: each runs the program under the recorder, which records one run at a time.
    const all: { stage: StageNumber; needs: StageNeeds }[] = [];
    for (const stage of STAGES.keys()) all.push({ stage, needs: await deps.needs(stage) });
    const docker = await deps.dockerResources();
    if (docker) {
        const biggest = all.filter((a) => a.needs.cpus !== undefined).sort((a, b) => b.needs.cpus! - a.needs.cpus!)[0];
        const enough = !biggest || (docker.cpus >= Math.ceil(biggest.needs.cpus!) && docker.memoryMiB >= biggest.needs.memoryMiB! + 1024);
        check(enough, `Docker has ${docker.cpus} CPUs and ${Math.round(docker.memoryMiB / 1024 * 10) / 10} GiB` +
            (biggest ? `; ${name(biggest.stage)} asks for ${biggest.needs.cpus} CPUs and ${biggest.needs.memoryMiB} MiB` +
                (enough ? "" : ": give Docker more (Docker Desktop: Settings, Resources)") : ""));
    }
    const ports = new Map<string, StageNumber[]>();
    for (const { stage, needs } of all) for (const p of needs.ports) ports.set(p, [...(ports.get(p) ?? []), stage]);
    for (const [address, stages] of [...ports].sort()) {
        const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
        const free = await deps.portFree(host, port);
        check(free, `port ${address} (stage${stages.length > 1 ? "s" : ""} ${stages.join(", ")}) ${free ? "is free" :
            "is in use: stop what holds it (a running stage of the lab? npm run lab -- status; kind keeps 8443 and 8080 while its cluster exists), or choose another port in the stack's config"}`);
    }
    for (const [need, what] of [["kind", "kind cluster (stages 5-6)"]] as const) {
        const r = await deps.probe(need);
        check(r.ok, r.ok ? `${what}: ${r.detail}` : `stages 5-6: ${r.message}`);
    }
    for (const l of lines) io.out(`  ${l.ok ? "ok " : "FIX"}  ${l.text}`);
    const fix = lines.filter((l) => !l.ok).length;
    io.out(fix ? `${fix} thing${fix > 1 ? "s" : ""} to fix before every stage can come up` : "every stage can come up on this machine");
    return fix ? EXIT.failed : EXIT.ok;
}

/**
 * Pulls every image a stage needs ahead of a workshop (a room behind one address meets Docker Hub's
 * anonymous pull limit), and for a Kubernetes stage loads them into the kind node too: its
 * containerd pulls on its own otherwise, a second time.
 */
async function pull(stage: StageNumber, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const kubernetes = profileOf(stage).target === "kubernetes";
    await requireAll(deps, kubernetes ? ["docker", "kind"] : ["docker"]);
    const { images } = await deps.needs(stage);
    io.out(`pulling the ${images.length} images ${name(stage)} needs${kubernetes ? `, and loading them into the kind node` : ""}:`);
    const failed: string[] = [];
    for (const image of images) {
        io.out(`  ${image}`);
        if ((await deps.exec("docker", ["pull", image])) !== 0) { failed.push(image); continue; }
        if (kubernetes && (await deps.exec("kind", ["load", "docker-image", image, "--name", KUBERNETES.clusterName])) !== 0) failed.push(image);
    }
    if (failed.length) throw new LabError(`could not pull ${failed.join(", ")} (the output above says why); the rest are in place`);
    io.out(`all ${images.length} images of ${name(stage)} are in place`);
    return EXIT.ok;
}

/**
 * A running stage's outputs through the lab's own backend and passphrase (a bare `pulumi stack
 * output` needs both set by hand). One named output alone prints just its value, for a pipe.
 */
async function output(stage: StageNumber, key: string | undefined, showSecrets: boolean, engine: LabEngine, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const state = (await engine.stacks()).find((s) => s.stage === stage);
    if (!state || state.resources === 0) throw new LabError(`${name(stage)} is not running, so it has no outputs: npm run lab -- up ${stage}`);
    const outputs = await engine.outputs(stage);
    const secrets = new Set(await engine.secretOutputs(stage));
    const text = (value: unknown) => Array.isArray(value) ? value.map(String) : [typeof value === "string" ? value : JSON.stringify(value)];
    if (key !== undefined) {
        if (!(key in outputs)) throw new LabError(`${name(stage)} has no output "${key}": use one of ${Object.keys(outputs).sort().join(", ")}`);
        if (secrets.has(key) && !showSecrets) throw new LabError(`${key} is a secret: npm run lab -- output ${stage} ${key} --show-secrets`);
        text(outputs[key]).forEach((l) => io.out(l));
        return EXIT.ok;
    }
    for (const k of Object.keys(outputs).sort()) {
        const value = outputs[k];
        if (secrets.has(k)) io.out(`${k}: [secret] (npm run lab -- output ${stage} ${k} --show-secrets)`);
        else if (Array.isArray(value)) [`${k}:`, ...value.map((v) => `  - ${String(v)}`)].forEach((l) => io.out(l));
        else if (typeof value === "string" && value.includes("\n")) io.out(`${k}: (${value.trim().split("\n").length} lines: npm run lab -- output ${stage} ${k})`);
        else io.out(`${k}: ${text(value)[0]}`);
    }
    return EXIT.ok;
}

/** Before any call that would create the stack (reading outputs or config selects it): is it up? */
async function requireRunning(engine: LabEngine, stage: StageNumber, verb: string): Promise<void> {
    const state = (await engine.stacks()).find((s) => s.stage === stage);
    if (!state || state.resources === 0) {
        throw new LabError(`${name(stage)} is not running (${state ? "it is down" : "it was never brought up"}), nothing to ${verb}: npm run lab -- up ${stage}`);
    }
}

/** The drill's steps one after the other, streamed; the first that fails ends it with what to look at. */
async function drill(stage: StageNumber, which: DrillName, engine: LabEngine, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const lab = await labConfig(engine, stage);
    const stamp = new Date(deps.now()).toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-").toLowerCase();
    const plan = drillPlan(lab, which, stamp);
    if (!plan) {
        const has = [...STAGES.values()].filter((p) => p.kubernetes?.backup).map((p) => p.stage);
        throw new LabError(`${name(stage)} has no ${which} drill: the backups and the restore drill come with stage ${has.join(", ")}`);
    }
    io.out(`drill ${which} on ${name(stage)}: job ${plan.job} in ${plan.namespace}`);
    for (const step of plan.steps) {
        const code = await deps.exec(step.command[0], step.command.slice(1));
        if (code !== 0) {
            io.err(`lab: the ${which} drill failed to ${step.what} (${step.command.join(" ")} exited with ${code}); ` +
                `its pod says why: kubectl --context ${lab.kubernetes.context} -n ${plan.namespace} describe job/${plan.job}`);
            return EXIT.failed;
        }
    }
    io.out(`drill ${which} done: the report is the log line above (kubectl -n ${plan.namespace} logs job/${plan.job})`);
    return EXIT.ok;
}

/** The stack's configuration, validated as the program validates it. */
async function labConfig(engine: LabEngine, stage: StageNumber): Promise<LabConfig> {
    const config = await engine.config(stage);
    return parseLabConfig((key) => config[`${CONFIG_NAMESPACE}:${key}`]);
}

async function verify(stage: StageNumber, engine: LabEngine, deps: LabDeps): Promise<number> {
    const { io } = deps;
    const lab = await labConfig(engine, stage);
    const outputs = await engine.outputs(stage);
    const target = verifyTarget(lab, outputs as { entryPoints?: string[]; edgeCertificate?: string }, async () =>
        Promise.all(appEnvSources(lab).map(async (source) => ({ container: source.name, env: await deps.readEnv(source) }))));
    io.out(`verifying ${name(stage)}:`);
    // What `up` fails on, verify says too: a server that exited, a job that failed, with its log's end.
    const dead = profileOf(stage).target === "docker"
        ? (await deps.exited(lab)).filter((c) => c.exitCode !== 0 || !c.name.endsWith(`-${SERVICES.vaultBootstrap}`))
        : [];
    for (const c of dead) io.out(`  FAIL  ${c.name} exited with ${c.exitCode}: ${c.logTail.join(" | ") || "(no log)"} (docker logs ${c.name})`);
    const results = await runChecks(stage, target, (r) => io.out(`  ${formatResult(r)}`));
    const failed = results.filter((r) => !r.ok).length + dead.length;
    const total = results.length + dead.length;
    io.out(failed ? `${failed} of ${total} checks failed` : `all ${total} checks passed`);
    return failed ? EXIT.failed : EXIT.ok;
}
