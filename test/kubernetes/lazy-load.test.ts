import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Builds stages in a fresh Node process (other tests' imports cannot interfere) and counts modules. */
function measure(stages: string[]): { after: Record<string, number>; times: Record<string, number> } {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "measure-loaded.ts"), ...stages], {
        cwd: ROOT, encoding: "utf8", timeout: 120_000,
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

describe("Docker stages never load @pulumi/kubernetes", () => {
    it("builds stages 1-4 with no module of node_modules/@pulumi/kubernetes in require.cache, then stage 5 loads it", function () {
        this.timeout(180_000);
        const { after, times } = measure(["1", "2", "3", "4", "5"]);
        assert.deepEqual([after["1"], after["2"], after["3"], after["4"]], [0, 0, 0, 0]);
        assert.ok(after["5"] > 0, "the measurement sees the package once a Kubernetes stage loads it");
        console.log(`      (modules of @pulumi/kubernetes loaded: stages 1-4: 0, after stage 5: ${after["5"]}; ms per stage: ${JSON.stringify(times)})`);
    });
});
