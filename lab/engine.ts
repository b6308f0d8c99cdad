/**
 * The lab's Pulumi operations over the Automation API (LocalWorkspace: the Pulumi CLI runs the
 * program in Pulumi.yaml's folder, with the stack file Pulumi.stageN.yaml). Everything this needs is
 * decided in plan.ts; this file only calls Pulumi, so it is the one part tested only where the
 * Pulumi CLI is installed.
 */
import type { StageNumber } from "../profiles/profile";
import { LabError } from "./errors";
import { PolicyPlan, WorkspacePlan, stackName, stageOfStack } from "./plan";

export interface StackState {
    readonly stage: StageNumber;
    /** Resources in the stack's state: more than zero means the stage runs. */
    readonly resources: number;
    readonly lastUpdate?: string;
}

export type Outputs = Record<string, unknown>;

/** What the commands need from Pulumi; tests pass a fake, the CLI the Automation API. */
export interface LabEngine {
    /** The lab's stacks in the backend, with their resource counts. */
    stacks(): Promise<StackState[]>;
    up(stage: StageNumber, onOutput: (text: string) => void): Promise<{ outputs: Outputs; changes: Record<string, number> }>;
    preview(stage: StageNumber, policy: PolicyPlan, onOutput: (text: string) => void): Promise<{ changes: Record<string, number> }>;
    destroy(stage: StageNumber, onOutput: (text: string) => void): Promise<void>;
    outputs(stage: StageNumber): Promise<Outputs>;
    /** The names of the outputs the program made Pulumi secrets. */
    secretOutputs(stage: StageNumber): Promise<string[]>;
    /** The stack's configuration, "devsecops:key" -> value (Pulumi.stageN.yaml plus what the user set). */
    config(stage: StageNumber): Promise<Record<string, string>>;
}

/** The Automation API engine. Loaded lazily: nothing of it runs for `diff`, `help` or a usage error. */
export async function automationEngine(plan: WorkspacePlan): Promise<LabEngine> {
    const auto = await import("@pulumi/pulumi/automation");
    const { LocalWorkspace } = auto;
    const opts = { workDir: plan.workDir, envVars: plan.envVars };
    const workspace = await LocalWorkspace.create(opts);
    // Created on first use: LocalWorkspace finds Pulumi.stageN.yaml in workDir and uses its config.
    const stack = (stage: StageNumber) => LocalWorkspace.createOrSelectStack({ stackName: stackName(stage), workDir: plan.workDir }, opts);
    // Pulumi's own output (streamed above) says why; the learner gets one line more, not a stack trace.
    const failed = (what: string, stage: StageNumber) => (err: unknown): never => {
        // CommandError and its kinds (ConcurrentUpdateError, StackNotFoundError, ...): the CLI said no.
        if (err instanceof auto.CommandError) {
            const last = String((err as Error).message).trim().split("\n").filter((l) => /error/i.test(l)).pop();
            throw new LabError(`pulumi ${what} of ${stackName(stage)} failed${last ? `: ${last.trim()}` : ""} (Pulumi's output above says why)`);
        }
        throw err;
    };
    const color = process.stdout.isTTY ? "always" : "never";
    const plain = (outputs: Record<string, { value: unknown }>): Outputs =>
        Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
    return {
        async stacks() {
            const summaries = await workspace.listStacks();
            return summaries.flatMap((s) => {
                const stage = stageOfStack(s.name);
                return stage === undefined ? [] : [{ stage, resources: s.resourceCount ?? 0, lastUpdate: s.lastUpdate }];
            });
        },
        async up(stage, onOutput) {
            // refresh: read what really runs first. Without it a container Docker stopped (a daemon
            // restart, a reboot) still counts as running in the state, and up says "no changes".
            const result = await (await stack(stage)).up({ onOutput, color, refresh: true }).catch(failed("up", stage));
            return { outputs: plain(result.outputs), changes: (result.summary.resourceChanges ?? {}) as Record<string, number> };
        },
        async preview(stage, policy, onOutput) {
            const result = await (await stack(stage)).preview({ ...policy, onOutput, color }).catch(failed("preview", stage));
            return { changes: result.changeSummary as Record<string, number> };
        },
        async destroy(stage, onOutput) {
            await (await stack(stage)).destroy({ onOutput, color }).catch(failed("destroy", stage));
        },
        async outputs(stage) {
            return plain(await (await stack(stage)).outputs());
        },
        async secretOutputs(stage) {
            const all = await (await stack(stage)).outputs();
            return Object.entries(all).filter(([, v]) => (v as { secret?: boolean }).secret).map(([k]) => k);
        },
        async config(stage) {
            const all = await (await stack(stage)).getAllConfig();
            return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
        },
    };
}
