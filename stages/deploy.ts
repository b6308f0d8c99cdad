import { LabConfig } from "./config";
import { buildDockerStage } from "./docker";
import { StageOutputs } from "./outputs";

/** Builds the chosen stage with its target's builder. */
export function deployStage(lab: LabConfig): StageOutputs {
    switch (lab.profile.target) {
        case "docker":
            return buildDockerStage(lab);
        case "kubernetes":
            // Config validation only lets buildable stages through; reaching this is a bug.
            throw new Error(`stage ${lab.profile.stage}: the Kubernetes builder does not exist yet`);
    }
}
