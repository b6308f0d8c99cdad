import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { PACK_DIR } from "../support/pack";

/**
 * The pack stands on its own: `pulumi policy publish` uploads what `npm pack` makes of its folder,
 * and the engine runs it from its folder with the runner, TypeScript and ts-node it finds there. So
 * a copy of exactly those files plus the node_modules its own lock installed, somewhere the
 * repository's node_modules cannot be reached, is loaded by the runner's own code (test/support/pack-runner-load.js
 * says how) and must type-check with the pack's TypeScript (>= 5, not the runner's vendored 3.8.3)
 * and serve every policy with its metadata.
 */
const LOADER = fs.readFileSync(path.join(__dirname, "../support/pack-runner-load.js"), "utf8");

interface Loaded {
    runner: string;
    typescript: { version: string; files: string[] };
    tsNode: string[];
    typeCheck: boolean;
    loaded: string[];
    policies: { name: string; description: string; severity?: string }[];
    meta: unknown[];
}

/** Runs the loader in `dir` as the language host would: `node -e`, cwd = the pack, no inherited module paths. */
function load(dir: string): Promise<Loaded> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_PATH|NODE_OPTIONS|TS_NODE_.*)$/.test(k)));
    return new Promise((resolve, reject) => {
        execFile(process.execPath, ["-e", LOADER], { cwd: dir, env, encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`the pack did not load from ${dir}:\n${stderr}`));
            else resolve(JSON.parse(stdout) as Loaded);
        });
    });
}

const inside = (dir: string, file: string) => !path.relative(dir, file).startsWith("..");

describe("the policy pack, loaded from a copy of its folder alone", function () {
    this.timeout(120_000);
    let root: string;
    let copy: string;
    let packed: string[];

    before(function () {
        if (!fs.existsSync(path.join(PACK_DIR, "node_modules", "@pulumi", "policy"))) {
            throw new Error("policy-pack/node_modules is missing: `npm ci` installs it (the root's postinstall runs npm ci in policy-pack)");
        }
        root = fs.mkdtempSync(path.join(os.tmpdir(), "djlab-pack-alone-"));
        // Nothing above the copy may hold a node_modules that Node's resolution would walk up into.
        for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
            assert.ok(!fs.existsSync(path.join(dir, "node_modules")), `${dir}/node_modules would be reachable from the copy`);
            if (path.dirname(dir) === dir) break;
        }
        copy = path.join(root, "policy-pack");
        const npm = process.platform === "win32" ? "npm.cmd" : "npm";
        const pack = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACK_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
        packed = (JSON.parse(pack) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
        for (const file of [...packed, "node_modules"]) {
            fs.cpSync(path.join(PACK_DIR, file), path.join(copy, file), { recursive: true, verbatimSymlinks: true });
        }
    });
    after(() => { if (root) fs.rmSync(root, { recursive: true, force: true }); });

    it("type-checks with its own TypeScript and ts-node, through the runner it installed, and serves every policy", async () => {
        const result = await load(copy);
        assert.ok(inside(copy, result.runner), `runner: ${result.runner}`);
        assert.deepEqual(result.typescript.files, [path.join(copy, "node_modules/typescript/lib/typescript.js")]);
        assert.ok(Number(result.typescript.version.split(".")[0]) >= 5, `TypeScript ${result.typescript.version}`);
        const lock = JSON.parse(fs.readFileSync(path.join(copy, "npm-shrinkwrap.json"), "utf8"));
        assert.equal(result.typescript.version, lock.packages["node_modules/typescript"].version, "the version its lock pins");
        assert.deepEqual(result.tsNode, [path.join(copy, "node_modules/ts-node/dist/index.js")]);
        assert.equal(result.typeCheck, true, "the runner type-checks (typeCheck: true)");
        assert.deepEqual(result.loaded.filter((f) => !inside(copy, f)), [], "everything it loaded is inside its folder");

        assert.deepEqual(result.meta, JSON.parse(JSON.stringify(LAB_POLICIES.map((p) => p.meta))));
        assert.deepEqual(result.policies.map((p) => p.name), LAB_POLICIES.map((p) => p.meta.name));
        for (const p of result.policies) assert.ok(p.description && p.severity, `${p.name}: description and severity`);
    });

    it("publishes its lock: npm pack keeps npm-shrinkwrap.json (it would drop a package-lock.json)", () => {
        assert.ok(packed.includes("npm-shrinkwrap.json"), packed.join(" "));
        assert.ok(!fs.existsSync(path.join(PACK_DIR, "package-lock.json")), "one lock: the shrinkwrap");
    });

    it("has the version the SDK reads from its package.json (PulumiPolicy.yaml would override it: it does not)", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8"));
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.doesNotMatch(fs.readFileSync(path.join(copy, "PulumiPolicy.yaml"), "utf8"), /^version:/m);
        assert.deepEqual(Object.keys(pkg.dependencies).filter((d) => ["typescript", "ts-node", "@types/node"].includes(d)).sort(),
            ["@types/node", "ts-node", "typescript"], "what the runner needs is the pack's own dependency");
    });

    it("fails to load when a policy imports from outside its folder", async () => {
        const file = path.join(copy, "policies/ownership-labels.ts");
        fs.writeFileSync(file, `import { LABELS as PROGRAM_LABELS } from "../../program/names";\nvoid PROGRAM_LABELS;\n${fs.readFileSync(file, "utf8")}`);
        await assert.rejects(load(copy), /Cannot find module '\.\.\/\.\.\/program\/names'/);
    });
});
