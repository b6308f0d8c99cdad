/**
 * The per-stage `--policy-pack-config` files, generated from the policies' metadata: a policy is
 * advisory before its `from` stage and mandatory from it (stage 6: everything), with its config
 * values (the schema defaults; the CLI would fill them too, the SDK and our tests do not).
 * `npm run policy-config` writes config/stageN.json; a test fails when they are stale.
 */
import { EnforcementLevel, PolicyPackConfig } from "@pulumi/policy";
import * as path from "path";
import { STAGE_NUMBERS, StageNumber } from "./contract";
import { LAB_POLICIES, LabPolicy } from "./policies";

export const CONFIG_DIR = path.join(__dirname, "config");
export const configPath = (stage: StageNumber) => path.join(CONFIG_DIR, `stage${stage}.json`);

/** The last stage enforces the whole pack. */
const LAST_STAGE = STAGE_NUMBERS[STAGE_NUMBERS.length - 1];

export function enforcementAt(stage: StageNumber, policy: LabPolicy): EnforcementLevel {
    return stage === LAST_STAGE || stage >= policy.meta.from ? "mandatory" : "advisory";
}

/** The schema defaults of a policy's config, e.g. { allowedCapabilities: ["NET_BIND_SERVICE"] }. */
export function configDefaults(policy: LabPolicy): Record<string, unknown> {
    const properties = policy.policy.configSchema?.properties ?? {};
    return Object.fromEntries(Object.entries(properties)
        .filter(([, schema]) => typeof schema === "object" && schema.default !== undefined)
        .map(([key, schema]) => [key, (schema as { default: unknown }).default]));
}

/** CrossGuard's format: `"name": "advisory"`, or `"name": { "enforcementLevel": ..., ...config }`. */
export function stageConfig(stage: StageNumber, policies: readonly LabPolicy[] = LAB_POLICIES): PolicyPackConfig {
    return Object.fromEntries(policies.map((p) => {
        const level = enforcementAt(stage, p);
        const config = configDefaults(p);
        return [p.meta.name, Object.keys(config).length ? { enforcementLevel: level, ...config } : level];
    }));
}

export const renderStageConfig = (stage: StageNumber) => `${JSON.stringify(stageConfig(stage), null, 2)}\n`;
