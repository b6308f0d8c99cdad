/**
 * Policy pack evaluation per 1,000 recorded resources, each stage's resources with that stage's
 * config, in both of the harness's modes (`up`: every value known; `preview`: the engine's unknowns).
 * The harness does what @pulumi/policy's analyzer server does for every policy: deserialize the
 * resource (server.js analyze/analyzeStack call deserializeProperties once per policy and resource,
 * skipping only a resource policy whose validateResource names one other type), so part of each
 * pass is the server's and would be the same for a pack that checked nothing. That part is measured
 * on its own with the same policies turned into no-ops of the same shape (resource or stack, same
 * `__pulumiType`): "the pack's own" time is the difference.
 */
import * as fs from "node:fs";
import type { PolicyPackConfig, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { configPath } from "../../policy-pack/stage-config";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { runProgram } from "../../lab/record";
import { evaluatePack, Recorded } from "../../test/support/policy-harness";
import { median } from "./program";

export interface PolicyRow {
    stage: number; resources: number; msPerRun: number; msPer1000: number; violations: number;
    /** `pulumi preview`'s pass (unknowns), per 1,000 resources. */
    previewPer1000: number;
    /** The analyzer server's share alone (no-op policies of the same shape), up mode, per 1,000. */
    serverPer1000: number;
}

/** The pack's policies as no-ops the server still deserializes for (same kind, same fast path). */
const NO_OPS = LAB_POLICIES.map(({ policy }) => {
    const base = { name: policy.name, description: policy.description, configSchema: policy.configSchema };
    if ("validateStack" in policy) return { ...base, validateStack: Object.assign(() => undefined, { __pulumiType: (policy.validateStack as any).__pulumiType }) } as StackValidationPolicy;
    const validate = (policy as ResourceValidationPolicy).validateResource;
    const only = Array.isArray(validate) ? undefined : (validate as any).__pulumiType;
    return { ...base, validateResource: Object.assign(() => undefined, { __pulumiType: only }) } as ResourceValidationPolicy;
});

/** CPU time of this process (user + system), ms: steadier than wall time on cores other work shares. */
const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };

/** Median CPU ms of one pass for each variant, the variants interleaved so that load on the machine hits them alike. */
async function timed(run: Recorded, config: PolicyPackConfig, minResources: number, variants: Parameters<typeof evaluatePack>[2][]): Promise<number[]> {
    for (const options of variants) await evaluatePack(run, config, options); // warm-up
    const times: number[][] = variants.map(() => []);
    let evaluated = 0;
    while (evaluated < minResources || times[0].length < 7) {
        for (const [i, options] of variants.entries()) {
            const start = cpuMs();
            await evaluatePack(run, config, options);
            times[i].push(cpuMs() - start);
        }
        evaluated += run.resources.length;
    }
    return times.map(median);
}

export async function benchPolicies(stages: number[], minResources = 3000): Promise<PolicyRow[]> {
    const rows: PolicyRow[] = [];
    for (const stage of stages) {
        const run = await runProgram({ stage: String(stage) });
        const config = JSON.parse(fs.readFileSync(configPath(stage as 1 | 2 | 3 | 4), "utf8")) as PolicyPackConfig;
        const first = await evaluatePack(run, config);
        const per1000 = (ms: number) => (ms * 1000) / run.resources.length;
        const [up, preview, server] = await timed(run, config, minResources, [{}, { preview: true }, { policies: NO_OPS }]);
        rows.push({
            stage, resources: run.resources.length, msPerRun: up, msPer1000: per1000(up),
            violations: first.mandatory.length + first.advisory.length,
            previewPer1000: per1000(preview), serverPer1000: per1000(server),
        });
    }
    return rows;
}

/** `npx ts-node --transpile-only scripts/bench/policy.ts`: this part of the bench alone, printed. */
if (require.main === module) {
    void benchPolicies([1, 2, 3, 4, 5, 6]).then((rows) => {
        console.log("stage resources up/1000 preview/1000 server/1000 pack-own/1000");
        for (const r of rows) {
            console.log(r.stage, r.resources, r.msPer1000.toFixed(0), r.previewPer1000.toFixed(0), r.serverPer1000.toFixed(0), (r.msPer1000 - r.serverPer1000).toFixed(0));
        }
    });
}
