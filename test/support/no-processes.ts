/**
 * Loaded by `npm run test:fast` only (test/fast.mocharc.js): every way of starting a child process
 * throws, naming the test that tried. test/support/suites.ts keeps such files out of the fast run
 * by their imports; this catches one that starts a process some other way, loudly.
 */
// The module object itself (an `import * as` is a frozen copy of its bindings): modules that
// call childProcess.spawn(...) read the property at call time, so replacing it reaches them.
const childProcess: Record<string, unknown> = require("node:child_process");

const STARTERS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const;
type Starter = (typeof STARTERS)[number];

let currentTest = "a before-all hook";
const originals = new Map<Starter, unknown>();

/** Makes every starter throw; returns the function that puts them back (the suite's own test uses it). */
export function refuseProcesses(): () => void {
    for (const name of STARTERS) {
        originals.set(name, childProcess[name]);
        childProcess[name] = (command: unknown) => {
            throw new Error(
                `npm run test:fast starts no process, but "${currentTest}" called child_process.${name}(${JSON.stringify(command)}): ` +
                    "import what starts it from test/support (servers.ts, proc.ts) so test/support/suites.ts moves the file to npm test only",
            );
        };
    }
    return () => {
        for (const [name, value] of originals) childProcess[name] = value;
    };
}

/** Mocha root hooks (the fast run --requires this file): refuse from the start, name the running test. */
export const mochaHooks = {
    beforeAll() {
        refuseProcesses();
    },
    beforeEach(this: Mocha.Context) {
        currentTest = this.currentTest ? `${this.currentTest.file ? `${this.currentTest.file}: ` : ""}${this.currentTest.fullTitle()}` : currentTest;
    },
};
