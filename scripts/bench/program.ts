/**
 * Program evaluation: each stage against the floor (floor.ts), each in a fresh process, with
 * type-checked and with transpile-only loading, as Pulumi's nodejs runtime would load them.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

export type Loading = "transpile-only" | "type-checked";

export interface EvalSample { evalMs: number; wallMs: number; resources: number }

/** One fresh `node -r ts-node/register evaluate.ts <which>`; wall time includes Node, ts-node and TypeScript start-up. */
export function evaluateOnce(which: string, loading: Loading): EvalSample {
    const env = {
        ...process.env,
        // What cmd/run/run.js hands ts-node: transpileOnly and the tsconfig path.
        TS_NODE_TRANSPILE_ONLY: loading === "transpile-only" ? "true" : "false",
        TS_NODE_PROJECT: path.join(ROOT, loading === "transpile-only" ? "tsconfig.json" : "tsconfig.check.json"),
        // Report type errors without stopping: work in progress elsewhere in the tree must not hide the cost.
        TS_NODE_LOG_ERROR: "true",
    };
    const start = performance.now();
    const child = spawnSync(process.execPath, ["-r", "ts-node/register", path.join(__dirname, "evaluate.ts"), which], {
        cwd: ROOT, env, encoding: "utf8", timeout: 120_000,
    });
    const wallMs = performance.now() - start;
    const line = child.stdout.split("\n").find((l) => l.startsWith("{"));
    if (child.status !== 0 || !line) throw new Error(`evaluating ${which} (${loading}) failed:\n${child.stderr.slice(-2000)}`);
    const { ms, resources } = JSON.parse(line) as { ms: number; resources: number };
    return { evalMs: ms, wallMs, resources };
}

export const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface EvalRow { which: string; resources: number; evalMs: number; wallMs: number; checkedWallMs?: number }

/** Transpile-only `reps` times (interleaved, so drift hits all alike); type-checked `checkedReps` times. */
export function benchPrograms(stages: string[], reps: number, checkedReps: number): EvalRow[] {
    const whichs = ["floor", ...stages];
    const samples = new Map<string, EvalSample[]>(whichs.map((w) => [w, []]));
    const checked = new Map<string, number[]>(whichs.map((w) => [w, []]));
    evaluateOnce("floor", "transpile-only"); // warm the file cache
    for (let r = 0; r < reps; r++) for (const w of whichs) samples.get(w)!.push(evaluateOnce(w, "transpile-only"));
    for (let r = 0; r < checkedReps; r++) for (const w of whichs) checked.get(w)!.push(evaluateOnce(w, "type-checked").wallMs);
    return whichs.map((which) => {
        const s = samples.get(which)!;
        return {
            which, resources: s[0].resources, evalMs: median(s.map((x) => x.evalMs)), wallMs: median(s.map((x) => x.wallMs)),
            checkedWallMs: checked.get(which)!.length ? median(checked.get(which)!) : undefined,
        };
    });
}

/** What Pulumi's runtime decides for this project: it reads tsconfig.json's noCheck (cmd/run/run.js). */
export function pulumiTranspileOnly(): { noCheck: unknown; env: string | undefined } {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tsutils = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions(p: string): Record<string, unknown> };
    return { noCheck: tsutils.loadTypeScriptCompilerOptions(path.join(ROOT, "tsconfig.json")).noCheck, env: process.env.PULUMI_NODEJS_TRANSPILE_ONLY };
}
