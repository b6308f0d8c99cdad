/** Policy pack evaluation per 1,000 recorded resources, each stage's resources with that stage's config. */
import * as fs from "node:fs";
import type { PolicyPackConfig } from "@pulumi/policy";
import { configPath } from "../../policy-pack/stage-config";
import { runProgram } from "../../lab/record";
import { evaluatePack } from "../../test/support/policy-harness";
import { median } from "./program";

export interface PolicyRow { stage: number; resources: number; msPerRun: number; msPer1000: number; violations: number }

export async function benchPolicies(stages: number[], minResources = 3000): Promise<PolicyRow[]> {
    const rows: PolicyRow[] = [];
    for (const stage of stages) {
        const run = await runProgram({ stage: String(stage) });
        const config = JSON.parse(fs.readFileSync(configPath(stage as 1 | 2 | 3 | 4), "utf8")) as PolicyPackConfig;
        const first = await evaluatePack(run, config); // warm-up
        const times: number[] = [];
        let evaluated = 0;
        while (evaluated < minResources || times.length < 5) {
            const start = performance.now();
            await evaluatePack(run, config);
            times.push(performance.now() - start);
            evaluated += run.resources.length;
        }
        const msPerRun = median(times);
        rows.push({
            stage, resources: run.resources.length, msPerRun, msPer1000: (msPerRun * 1000) / run.resources.length,
            violations: first.mandatory.length + first.advisory.length,
        });
    }
    return rows;
}
