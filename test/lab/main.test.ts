/**
 * `npm run lab` as a learner runs it: the real entry point in a child process, on a PATH without
 * Pulumi, Docker or kind, so the wiring of main.ts (probes, exit codes, the lazy diff) is exercised.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "../../lab/plan";
import { MISSING } from "../../lab/probes";
import { makeTempDir } from "../support/servers";

function lab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    // Only node's own folder on PATH: no pulumi, docker or kind, whatever this machine has.
    const env = { PATH: path.dirname(process.execPath), HOME: makeTempDir("lab-main-home-"), TS_NODE_TRANSPILE_ONLY: "true" };
    return new Promise((resolve) => {
        execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "lab/main.ts"), ...args],
            { cwd: REPO_ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
                resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
            });
    });
}

describe("lab CLI: the entry point (npm run lab)", function () {
    this.timeout(60_000);

    it("prints no stack trace when its reader goes away (npm run lab -- help | head -1)", async () => {
        // The reading end closes before the CLI writes: every write then fails with EPIPE.
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "lab/main.ts"), "help"], {
            cwd: REPO_ROOT, env: { PATH: path.dirname(process.execPath), HOME: makeTempDir("lab-main-home-"), TS_NODE_TRANSPILE_ONLY: "true" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.destroy();
        let stderr = "";
        child.stderr.on("data", (d) => { stderr += d; });
        const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
        assert.equal(stderr, "", "nothing on stderr");
        assert.equal(code, 0);
    });

    it("exits 2 with one line on an unknown command", async () => {
        const r = await lab(["deploy"]);
        assert.equal(r.code, 2);
        assert.equal(r.stderr.split("\n")[0], 'lab: unknown command "deploy": use one of up, preview, verify, down, reset, status, output, pull, doctor, diff, drill');
        assert.equal(r.stdout, "");
    });

    it("exits 1 with one line naming the missing Pulumi CLI and how to install it", async () => {
        const r = await lab(["up", "1"]);
        assert.equal(r.code, 1);
        assert.equal(r.stderr, `lab: ${MISSING.pulumi}\n`);
    });

    it("computes a diff with neither Pulumi nor Docker", async () => {
        const r = await lab(["diff", "2", "3"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^stage 2 → stage 3, computed from the profiles and the program under mocks:\nProfile/);
        assert.match(r.stdout, /^- Container `edge-nginx`$/m);
    });
});
