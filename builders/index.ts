import { LabConfig } from "../program/config";
import { buildDockerStage } from "./docker";
import { StageOutputs } from "./outputs";

/**
 * Builds the chosen stage with its target's builder. The Kubernetes builder is required inside its
 * branch, not imported at the top: Docker stages never load @pulumi/kubernetes (a test measures it).
 */
export function deployStage(lab: LabConfig): StageOutputs {
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
