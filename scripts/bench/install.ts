/** Install size of node_modules, and `npm ci` in a temp copy of the manifests with the npm cache warm. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./program";

const duBytes = (dir: string) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
const countPackages = (dir: string) =>
    Object.keys((JSON.parse(fs.readFileSync(path.join(dir, "package-lock.json"), "utf8")) as { packages: Record<string, unknown> }).packages)
        .filter((p) => p.includes("node_modules/")).length;

export interface InstallResult { nodeModulesBytes: number; packages: number; npmCiMs: number; freshBytes: number }

export function benchInstall(): InstallResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "djlab-bench-npm-ci-"));
    try {
        for (const file of ["package.json", "package-lock.json", ".npmrc", "app/package.json", "policy-pack/package.json"]) {
            if (!fs.existsSync(path.join(ROOT, file))) continue;
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
        }
        const npm = process.platform === "win32" ? "npm.cmd" : "npm";
        // The cache already holds every tarball (this checkout was installed from it): warm.
        const start = performance.now();
        const ci = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], { cwd: dir, encoding: "utf8", timeout: 300_000 });
        const npmCiMs = performance.now() - start;
        if (ci.status !== 0) throw new Error(`npm ci failed:\n${ci.stderr.slice(-2000)}`);
        return { nodeModulesBytes: duBytes(path.join(ROOT, "node_modules")), packages: countPackages(ROOT), npmCiMs, freshBytes: duBytes(path.join(dir, "node_modules")) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
