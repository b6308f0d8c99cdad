import { readLabConfig } from "./program/config";
import { deployStage } from "./builders";

/**
 * devsecops-journey: the stack's `devsecops:stage` picks a stage of the DevSecOps journey and this
 * program builds it. Config is read and validated before any resource exists; a mistake stops here
 * with one line naming the key, the value and what is allowed.
 */
export = () => deployStage(readLabConfig());
