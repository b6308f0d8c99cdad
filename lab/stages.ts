/**
 * A stage's program under mocks, by number: what the docs generator and the CLI's `diff` read.
 * Importing this installs the mocks (lab/record.ts) in the current process; a real `pulumi up`
 * never imports it.
 */
import { STAGES } from "../profiles/catalog";
import type { StageNumber, StageProfile } from "../profiles/profile";
import { RecordedResource, runProgram } from "./record";
import { StageDiff, renderDiff, stageDiff } from "./diff";
import { Topology, topologyOf } from "./topology";

export interface RecordedStage {
    readonly profile: StageProfile;
    readonly resources: RecordedResource[];
    readonly outputs: Record<string, any>;
    readonly topology: Topology;
}

/** Runs the program for a stage with its defaults (a stack file sets only devsecops:stage). */
export async function recordStage(stage: StageNumber): Promise<RecordedStage> {
    const profile = STAGES.get(stage);
    if (!profile) throw new Error(`profiles/catalog.ts has no profile for stage ${stage}`);
    const run = await runProgram({ stage: String(stage) });
    return { profile, resources: run.resources, outputs: run.outputs, topology: topologyOf(profile.target, run.resources) };
}

export async function diffStages(from: StageNumber, to: StageNumber): Promise<StageDiff> {
    const a = await recordStage(from);
    const b = await recordStage(to);
    return stageDiff(a, b);
}

export async function diffText(from: StageNumber, to: StageNumber): Promise<string> {
    return renderDiff(await diffStages(from, to));
}
