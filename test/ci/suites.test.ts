/**
 * `npm test` runs every test file; `npm run test:fast` every one that starts no process, with child
 * processes refused. The split comes from the imports (test/support/suites.ts), checked here against
 * the helpers that start servers, and on small files written for the purpose.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, fastFiles, processChain, testFiles } from "../support/suites";
import { refuseProcesses } from "../support/no-processes";

const childProcess: Record<string, (...args: unknown[]) => unknown> = require("node:child_process");

/** The helpers that start real servers or processes, and the packages that do (the brief's list). */
const STARTERS = ["support/servers", "support/servers-postgres", "support/proc", "support/dataplane", "support/app", "support/tls"];
const STARTER_PACKAGES = ["node:child_process", "child_process", "playwright-core"];

describe("test sets: npm test and npm run test:fast", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));

    it("npm test type-checks, then runs every test file; npx mocha <file> runs that file alone", () => {
        assert.equal(pkg.scripts.test, "npm run typecheck && mocha 'test/**/*.test.ts'");
        const rc = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, ".mocharc.json"), "utf8"));
        assert.equal(rc.spec, undefined, ".mocharc.json must not name files: `npx mocha <file>` would run them all");
        assert.ok(testFiles().length > 40 && testFiles().every((f) => /^test\/.+\.test\.ts$/.test(f)));
    });

    it("npm run test:fast runs the fast set, with child processes refused", () => {
        assert.equal(pkg.scripts["test:fast"], "mocha --config test/fast.mocharc.js");
        const config = require(path.join(REPO_ROOT, "test/fast.mocharc.js"));
        assert.deepEqual(config.spec, fastFiles());
        assert.ok(config.require.includes("test/support/no-processes.ts"));
        assert.ok(fastFiles().length > 20, "most tests need no server");
    });

    it("keeps every file that uses a server helper, a child process or the browser out of the fast set, and says why", () => {
        for (const file of testFiles()) {
            const source = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
            const starts = STARTERS.some((s) => new RegExp(`from "\\.\\./${s}"`).test(source)) ||
                STARTER_PACKAGES.some((p) => source.includes(`"${p}"`));
            const chain = processChain(file);
            if (starts) assert.ok(chain, `${file} starts servers or processes, yet test:fast would run it`);
            if (chain) {
                assert.equal(chain[0], file);
                assert.ok(STARTER_PACKAGES.includes(chain[chain.length - 1]), chain.join(" -> "));
            }
        }
    });

    it("finds every helper in test/support that starts a process", () => {
        const dir = path.join(REPO_ROOT, "test/support");
        for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(dir, name), "utf8");
            if (/\b(spawn|spawnSync|execFile|execFileSync|execSync|fork)\(|\.launch\(/.test(source)) {
                assert.ok(processChain(`test/support/${name}`), `test/support/${name} starts processes in a way suites.ts does not see`);
            }
        }
    });

    describe("the rule, on small files", () => {
        let dir: string;
        const write = (file: string, text: string) => {
            fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            fs.writeFileSync(path.join(dir, file), text);
        };
        const chain = (file: string) => processChain(path.join(dir, file), path.join(dir, "test"))?.map((step) => path.basename(step));
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "suites-"));
            write("lib/runner.ts", 'import { execFile } from "node:child_process";\nexport const HINT = "install it";\n' +
                "function run(c: string) { execFile(c, []); }\nexport const probe = (c: string) => run(c);\nexport type Runner = typeof probe;\n");
            write("test/support/helper.ts", 'export * from "../../lib/runner";\n');
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("follows test helpers all the way to the process module", () => {
            write("test/a.test.ts", 'import { HINT } from "./support/helper";\n');
            assert.deepEqual(chain("test/a.test.ts"), ["a.test.ts", "helper.ts", "runner.ts (probe)", "node:child_process"]);
        });
        it("counts a program module only for what the test takes from it", () => {
            write("test/b.test.ts", 'import { HINT } from "../lib/runner";\nimport type { Runner } from "../lib/runner";\n');
            assert.equal(chain("test/b.test.ts"), undefined, "a constant and a type start nothing");
            write("test/c.test.ts", 'import { HINT, probe } from "../lib/runner";\n');
            assert.deepEqual(chain("test/c.test.ts"), ["c.test.ts", "runner.ts (probe)", "node:child_process"]);
        });
        it("sees require() and import() of the browser or a process module", () => {
            write("test/d.test.ts", 'it("x", async () => { await import("playwright-core"); });\n');
            assert.deepEqual(chain("test/d.test.ts"), ["d.test.ts", "playwright-core"]);
            write("test/e.test.ts", 'const cp = require("child_process");\n');
            assert.deepEqual(chain("test/e.test.ts"), ["e.test.ts", "child_process"]);
        });
    });

    it("the fast run's guard makes every way of starting a process throw, naming the test, and can be undone", () => {
        const before = { ...childProcess };
        const restore = refuseProcesses();
        try {
            for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
                assert.throws(() => childProcess[name]("nginx"), /^Error: npm run test:fast starts no process, but ".*" called child_process\.\w+\("nginx"\)/, name);
            }
        } finally {
            restore();
        }
        for (const name of Object.keys(before)) assert.equal(childProcess[name], before[name], name);
    });
});
