import { PlannedStage, StageNumber, StageProfile } from "./profile";
import { stage1 } from "./stage1";
import { stage2 } from "./stage2";
import { stage3 } from "./stage3";
import { stage4 } from "./stage4";
import { stage5 } from "./stage5";
import { stage6 } from "./stage6";

/** The stages the program can build, by number. */
export const STAGES: ReadonlyMap<StageNumber, StageProfile> = new Map(
    [stage1, stage2, stage3, stage4, stage5, stage6].map((profile) => [profile.stage, profile]),
);

/** The roadmap's later stages, planned but not yet buildable (config validation says so). */
export const PLANNED: readonly PlannedStage[] = [];
