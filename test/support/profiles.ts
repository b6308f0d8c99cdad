/**
 * A stage built from a profile of a test's making (a field flipped, an exercise's edit), with the
 * settings' defaults, as the builder would get it from a stack that sets only the stage. Not
 * through the catalog: runProgram caches each config's run, so an edited catalog would not be seen.
 */
import { ProgramRun, recordRun } from "./mocks";
import { deployStage } from "../../builders";
import { StageProfile } from "../../profiles/profile";
import { LabConfig, SETTINGS, parseLabConfig } from "../../program/config";

export function labFor(profile: StageProfile): LabConfig {
    return parseLabConfig((key) => key === "stage" ? String(profile.stage) : (SETTINGS as Record<string, { default?: unknown }>)[key]?.default?.toString(), profile);
}

export function buildProfile(profile: StageProfile): Promise<ProgramRun> {
    return recordRun(() => deployStage(labFor(profile)) as unknown as Record<string, any>);
}
