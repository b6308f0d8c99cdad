/**
 * Child process of the bench: evaluates one program under lab/record's mocks and prints one JSON
 * line { ms, resources }. argv[2]: a stage number, or "floor" (floor.ts in place of index.ts, same
 * runner). Run with `node -r ts-node/register`; TS_NODE_TRANSPILE_ONLY and TS_NODE_PROJECT pick
 * transpile-only or type-checked loading, as Pulumi's nodejs runtime does (cmd/run/run.js).
 * `ms` covers loading and compiling the program's modules, registering every resource and
 * resolving the outputs: what `pulumi up` pays before the engine has anything to do.
 */
import * as path from "node:path";

async function main(): Promise<void> {
    const which = process.argv[2];
    // Mocks first (the module installs them); @pulumi/pulumi is loaded here for both, untimed.
    const record = require("../../lab/record") as typeof import("../../lab/record");
    if (which === "floor") {
        // Put floor.ts where the runner requires index.ts, loaded lazily so its load is timed too.
        const Module = require("node:module") as { new (id: string): NodeJS.Module };
        const indexPath = require.resolve(path.resolve(__dirname, "../../index"));
        const stub = new Module(indexPath);
        stub.filename = indexPath;
        stub.loaded = true;
        stub.exports = () => (require("./floor") as () => unknown)();
        require.cache[indexPath] = stub;
    }
    const start = performance.now();
    const run = await record.runProgram({ stage: which === "floor" ? "1" : which });
    const ms = performance.now() - start;
    process.stdout.write(`${JSON.stringify({ ms, resources: run.resources.length })}\n`);
}

main().then(() => process.exit(0), (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
