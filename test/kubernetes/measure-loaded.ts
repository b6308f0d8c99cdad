/**
 * Run in a child process by lazy-load.test.ts: builds the given stages under mocks, in order, and
 * prints (one JSON line) how many modules under node_modules/@pulumi/kubernetes are loaded after each.
 */
import { runProgram } from "../support/mocks";
import * as path from "node:path";

const K8S = `${path.sep}node_modules${path.sep}@pulumi${path.sep}kubernetes${path.sep}`;

(async () => {
    const after: Record<string, number> = {};
    const started = Date.now();
    const times: Record<string, number> = {};
    for (const stage of process.argv.slice(2)) {
        const t = Date.now();
        await runProgram({ stage });
        times[stage] = Date.now() - t;
        after[stage] = Object.keys(require.cache).filter((m) => m.includes(K8S)).length;
    }
    process.stdout.write(JSON.stringify({ after, times, total: Date.now() - started }) + "\n");
})().catch((error) => {
    process.stderr.write(String(error?.stack ?? error));
    process.exit(1);
});
