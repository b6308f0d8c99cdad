import { LabConfig } from "../program/config";
import { buildDockerStage } from "./docker";
import { StageOutputs } from "./outputs";
import { PROFILE_REQUIREMENTS, refuseUnmet } from "./refusal";

/**
 * Builds the chosen stage with its target's builder, after the checks every target shares. Each
 * builder then refuses, in one line naming the field, what it cannot build as the profile says. The
 * Kubernetes builder is required inside its branch, not imported at the top: Docker stages never
 * load @pulumi/kubernetes (a test measures it).
 */
export function deployStage(lab: LabConfig): StageOutputs {
    refuseUnmet(lab.profile, PROFILE_REQUIREMENTS);
    switch (lab.profile.target) {
        case "docker":
            return buildDockerStage(lab);
        case "kubernetes": {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const kubernetes: typeof import("./kubernetes") = require("./kubernetes");
            return kubernetes.buildKubernetesStage(lab);
        }
    }
}
