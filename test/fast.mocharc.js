// `npm run test:fast`: mocha's settings from .mocharc.json, over every test file that starts no
// process (test/support/suites.ts decides, from the imports), with child processes refused.
// (Registered once: the full run's test of this file loads it in a process that already has ts-node.)
if (!process[Symbol.for("ts-node.register.instance")]) require("ts-node/register/transpile-only");
const base = require("../.mocharc.json");
const { fastFiles } = require("./support/suites");

module.exports = {
    ...base,
    require: [...base.require.filter((r) => r !== "ts-node/register/transpile-only"), "test/support/no-processes.ts"],
    spec: fastFiles(),
};
