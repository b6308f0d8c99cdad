// Run in a child process from a copy of policy-pack/ (test/policies/pack-standalone.test.ts): loads
// the pack the way the engine does, with the runner the pack installed itself. The language host
// resolves "@pulumi/pulumi/cmd/run-policy-pack" from the pack's folder and runs it with that folder
// as cwd (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin and locateModule);
// its run.js registers ts-node (typeCheck: true, the pack's tsconfig.json) with the typescript and
// ts-node that tsutils.js finds from @pulumi/pulumi's own folder, else its vendored TypeScript 3.8.3.
// We call that run.js on policies/index.ts, not index.ts: constructing the PolicyPack starts a gRPC server.
// Plain JavaScript, given to `node -e` as the language host does its own: nothing of the repository loads.
"use strict";
const path = require("path");

const entry = require.resolve("@pulumi/pulumi/cmd/run-policy-pack"); // locateModule, cwd = the pack
const { run } = require(path.join(path.dirname(entry), "run"));
const program = "policies/index.ts";

const report = (mod) => {
    // ts-node type-checks only what is required: the pack's entry point too, without running it.
    const service = process[Symbol.for("ts-node.register.instance")];
    const index = path.resolve("index.ts");
    service.compile(require("fs").readFileSync(index, "utf8"), index);
    const loaded = Object.keys(require.cache);
    process.stdout.write(JSON.stringify({
        runner: entry,
        typescript: { version: service.ts.version, files: loaded.filter((f) => /[\\/]typescript(@[^\\/]*)?[\\/]/.test(f) && /typescript\.js$/.test(f)) },
        tsNode: loaded.filter((f) => /[\\/]ts-node(@[^\\/]*)?[\\/]dist[\\/]index\.js$/.test(f)),
        typeCheck: !service.options.transpileOnly,
        loaded,
        policies: mod.policies.map((p) => ({ name: p.name, description: p.description, enforcementLevel: p.enforcementLevel, severity: p.severity })),
        meta: mod.LAB_POLICIES.map((p) => p.meta),
    }));
};

Promise.resolve(run({ argv: { _: [program] }, programStarted() {}, reportLoggedError() {}, typeScript: true }))
    .then(report)
    .catch((e) => { process.stderr.write(`${e && e.stack || e}\n`); process.exit(1); });
