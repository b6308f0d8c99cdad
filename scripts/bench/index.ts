/**
 * `npm run bench`: the project's benchmarks, measured side by side in one run on this machine and
 * written to docs/benchmarks.md with the machine's details. Ratios are the result; absolute times
 * only describe this machine (no test asserts them). Budget: well under ten minutes on 2 cores.
 *
 *   program.ts    each stage's program evaluation against the floor; type-checked vs transpile-only
 *   policy.ts     the policy pack per 1,000 recorded resources
 *   dataplane.ts  read throughput and p50/p99 through Nginx, stage 2's data path vs stage 3's;
 *                 time from killing an app instance to its traffic being served elsewhere
 *   install.ts    node_modules size, `npm ci` time (temp copy, warm cache)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { benchReroute, benchThroughput, LOAD } from "./dataplane";
import { benchInstall } from "./install";
import { benchPolicies } from "./policy";
import { ROOT, benchPrograms, pulumiTranspileOnly } from "./program";
import { postgresBinDir } from "../../test/support/servers";
import { STAGES as CATALOG } from "../../profiles/catalog";

/** Every stage, Docker and Kubernetes alike. */
const STAGES: number[] = [...CATALOG.keys()];
const EVAL_REPS = 3;
const CHECKED_REPS = 3;

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);
const x = (n: number) => `${n.toFixed(1)}x`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

function version(cmd: string, args: string[]): string {
    try {
        const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return out.trim().split("\n")[0];
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr ?? "";
        return stderr.trim().split("\n")[0] || "not found";
    }
}

function machine(): string[] {
    const cpus = os.cpus();
    const pgDir = postgresBinDir();
    const pg = pgDir ? version(path.join(pgDir, "postgres"), ["--version"]) : "postgres: not found";
    const nginx = version("sh", ["-c", "nginx -v 2>&1"]);
    return [
        `- CPU: ${cpus.length} x ${cpus[0]?.model.trim() ?? "unknown"}; memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()} (${os.arch()})`,
        `- Node ${process.version}, npm ${version("npm", ["--version"])}, TypeScript ${require("typescript").version}, @pulumi/pulumi ${require("@pulumi/pulumi/package.json").version}`,
        `- ${nginx}; ${pg}; ${version("redis-server", ["--version"]).replace(/ sha=.*/, "")}`,
        `- Every server, app instance, load generator and the bench itself share these ${cpus.length} cores.`,
    ];
}

async function main(): Promise<void> {
    const started = Date.now();
    const step = (what: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`);

    step("program evaluation (fresh process per run)");
    const programs = benchPrograms(STAGES.map(String), EVAL_REPS, CHECKED_REPS);
    const pulumi = pulumiTranspileOnly();
    step("type-check gate (tsc -p tsconfig.check.json)");
    const gateStart = performance.now();
    let gateOk = true;
    try { execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "-p", "tsconfig.check.json"], { cwd: ROOT, stdio: "ignore" }); } catch { gateOk = false; }
    const gateMs = performance.now() - gateStart;

    step("policy pack");
    const policies = await benchPolicies(STAGES);

    step(`data plane read throughput (${LOAD.connections} connections, ${LOAD.seconds} s each)`);
    const throughput = await benchThroughput();
    step("kill an instance: time to reroute");
    const reroute = await benchReroute();
    step("install size and npm ci (temp copy, warm cache)");
    const install = benchInstall();
    const totalS = (Date.now() - started) / 1000;
    step(`done in ${totalS.toFixed(0)} s`);

    const floor = programs[0];
    const [s2, s3] = throughput;
    const md = `# Benchmarks

Written by \`npm run bench\` (scripts/bench/) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; the whole run took ${f0(totalS)} s.
Everything below was measured side by side in that one run: compare the ratios, not the absolute
times, which only describe this machine. No test asserts a time.

## Machine

${machine().join("\n")}

## Program evaluation: each stage against the floor

A fresh \`node -r ts-node/register\` process per run, under the mocks the tests use
(lab/record.ts, the same runner for all). **eval** is from the runner's start to every resource
registered and every output resolved, including loading and compiling the program's modules;
**process** adds Node, ts-node and TypeScript start-up, i.e. what \`pulumi up\` waits for before the
engine gets its first resource. The floor is a one-resource program (scripts/bench/floor.ts).
Transpile-only: median of ${EVAL_REPS} runs; type-checked: median of ${CHECKED_REPS}.

| program | resources | eval, transpile-only | vs floor | process, transpile-only | process, type-checked | type-checked / transpile-only |
|---|---:|---:|---:|---:|---:|---:|
${programs.map((p) => `| ${p.which === "floor" ? "floor (1 resource)" : `stage ${p.which}`} | ${p.resources} | ${f0(p.evalMs)} ms | ${x(p.evalMs / floor.evalMs)} | ${f0(p.wallMs)} ms | ${p.checkedWallMs ? `${f0(p.checkedWallMs)} ms` : "-"} | ${p.checkedWallMs ? x(p.checkedWallMs / p.wallMs) : "-"} |`).join("\n")}

**The fast path is what \`pulumi up\` uses.** Pulumi's nodejs runtime (\`@pulumi/pulumi/cmd/run/run.js\`)
loads a TypeScript program transpile-only when \`PULUMI_NODEJS_TRANSPILE_ONLY=true\`, or else when
tsconfig.json sets \`"noCheck": true\`. tsconfig.json now sets it (Pulumi reads \`noCheck: ${String(pulumi.noCheck)}\` from it here),
so \`pulumi up\` and \`pulumi preview\` no longer type-check the program on every run. Type-checking
stays a separate gate: \`npm run typecheck\` (first step of \`npm test\`, so of CI) runs
\`tsc --noEmit -p tsconfig.check.json\`, which extends tsconfig.json with \`noCheck: false\`; it took
${f0(gateMs)} ms here for the program, tests and tools together${gateOk ? "" : " "}.

## Policy pack per 1,000 recorded resources

Each stage's recorded resources through the whole pack with that stage's config
(policy-pack/config/stageN.json), in-process as test/support/policy-harness.ts runs it (the way
\`pulumi preview --policy-pack\` evaluates them); median of repeated runs, at least 3,000 resources each.

| stage | resources | one pass | per 1,000 resources | violations (advisory + mandatory) |
|---|---:|---:|---:|---:|
${policies.map((p) => `| ${p.stage} | ${p.resources} | ${f1(p.msPerRun)} ms | ${f0(p.msPer1000)} ms | ${p.violations} |`).join("\n")}

## Data plane: reads through Nginx

The assembled data plane (test/support/dataplane.ts: Postgres primary and streaming replica,
${LOAD.apps} app instances as child processes, Nginx rendered as stage 3 renders it, on loopback), ${LOAD.items}
items of ~250 bytes, \`GET /api/items/:id\` over them in turn, autocannon with ${LOAD.connections} connections for
${LOAD.seconds} s after a ${LOAD.warmupSeconds} s warm-up. Stage 2's data path is the same plane without Redis (every read
from the replica); stage 3's adds Redis cache-aside (reads after the warm-up are hits).

| data path | requests/s | p50 | p99 | requests | non-2xx | errors |
|---|---:|---:|---:|---:|---:|---:|
${throughput.map((t) => `| ${t.shape} | ${f0(t.rps)} | ${t.p50} ms | ${t.p99} ms | ${t.total} | ${t.non2xx} | ${t.errors} |`).join("\n")}

Cache-aside over replica reads: **${x(s3.rps / s2.rps)} the throughput**, p50 ${x(s3.p50 / Math.max(s2.p50, 1e-9))}, p99 ${x(s3.p99 / Math.max(s2.p99, 1e-9))} of stage 2's.
On one 2-core machine the servers, the apps and the load generator compete for the same cores; the
ratio describes this machine, where Nginx, Node and autocannon cost as much as the database.

## Killing an app instance

Requests one at a time through Nginx; one instance SIGKILLed; the first request Nginx then sends to
it is refused and retried on the next instance (\`proxy_next_upstream error\`, X-Upstream lists
both). From the kill to that request's answer, once per instance: ${reroute.samplesMs.map((m) => `${f1(m)} ms`).join(", ")}
(median **${f1(reroute.medianMs)} ms**, max ${f1(reroute.maxMs)} ms); requests failed meanwhile: ${reroute.requestsFailed}.
The dead instance then stays out of rotation for \`fail_timeout\` (5 s) and is tried again after it.

## Install

| | |
|---|---:|
| node_modules of this checkout (root and app workspace, plus the policy pack's own) | ${mib(install.nodeModulesBytes)} |
| packages in the lock files (the root's and the pack's shrinkwrap) | ${install.packages} |
| \`npm ci\` in a temp copy of the manifests, npm cache warm (\`--prefer-offline\`) | ${f1(install.npmCiMs / 1000)} s |
| node_modules it installed | ${mib(install.freshBytes)} |

With a cold cache \`npm ci\` also downloads every tarball; this measures the install itself.
`;
    const out = path.join(ROOT, "docs", "benchmarks.md");
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, md);
    step(`wrote ${path.relative(ROOT, out)}`);
}

main().then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
});
