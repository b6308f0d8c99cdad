/** Install size of node_modules, and `npm ci` in a temp copy of the manifests with the npm cache warm. */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./program";

const duBytes = (dir: string) => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
const countPackages = (lock: string) =>
    Object.keys((JSON.parse(fs.readFileSync(lock, "utf8")) as { packages: Record<string, unknown> }).packages)
        .filter((p) => p.includes("node_modules/")).length;
// The policy pack installs apart, from its own shrinkwrap (the root's postinstall): both count.
const LOCKS = ["package-lock.json", "policy-pack/npm-shrinkwrap.json"];
const installedBytes = (dir: string) => duBytes(path.join(dir, "node_modules")) + duBytes(path.join(dir, "policy-pack/node_modules"));

export interface InstallResult { nodeModulesBytes: number; packages: number; npmCiMs: number; freshBytes: number }

export function benchInstall(): InstallResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "djlab-bench-npm-ci-"));
    try {
        for (const file of ["package.json", "package-lock.json", ".npmrc", "app/package.json", "policy-pack/package.json", "policy-pack/npm-shrinkwrap.json"]) {
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
        const packages = LOCKS.reduce((n, lock) => n + countPackages(path.join(ROOT, lock)), 0);
        return { nodeModulesBytes: installedBytes(ROOT), packages, npmCiMs, freshBytes: installedBytes(dir) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
