import { StageNumber, StageProfile } from "./profile";
import { stage1 } from "./stage1";
import { stage2 } from "./stage2";
import { stage3 } from "./stage3";
import { stage4 } from "./stage4";
import { stage5 } from "./stage5";
import { stage6 } from "./stage6";

/** Every stage of the journey, by number (test/stages/every-stage.test.ts checks that none is missing). */
export const STAGES: ReadonlyMap<StageNumber, StageProfile> = new Map(
    [stage1, stage2, stage3, stage4, stage5, stage6].map((profile) => [profile.stage, profile]),
);
