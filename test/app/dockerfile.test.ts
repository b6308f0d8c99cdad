/**
 * No image can be pulled here, so the app's Dockerfile is checked by reading it: the facts the lab
 * relies on (multi-stage, pinned base, production dependencies only, non-root, health check) and
 * that everything it copies from the context exists. Its health check command is run for real.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { promisify } from "node:util";
import { CONTAINER_PORTS } from "../../program/names";
import { REPO_ROOT } from "../support/app";

interface Instruction {
    keyword: string;
    args: string;
    line: number;
}
interface Stage {
    from: string;
    name?: string;
    instructions: Instruction[];
}

/** Joins continuation lines, drops comments, splits into instructions grouped by stage. */
function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
    const instructions: Instruction[] = [];
    let current = "";
    let start = 0;
    text.split("\n").forEach((raw, index) => {
        const line = raw.trim();
        if (current === "" && (line === "" || line.startsWith("#"))) return;
        if (current !== "" && line.startsWith("#")) return; // a comment inside a continued instruction
        if (current === "") start = index + 1;
        current += (current ? " " : "") + line.replace(/\\$/, "").trim();
        if (!line.endsWith("\\")) {
            const [keyword, ...rest] = current.split(/\s+/);
            instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(" "), line: start });
            current = "";
        }
    });
    const globalArgs: Instruction[] = [];
    const stages: Stage[] = [];
    for (const instruction of instructions) {
        if (instruction.keyword === "FROM") {
            const [from, as, name] = instruction.args.split(/\s+/);
            stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
        } else if (stages.length === 0) {
            globalArgs.push(instruction);
        } else {
            stages[stages.length - 1].instructions.push(instruction);
        }
    }
    return { globalArgs, stages };
}

const DOCKERFILE = path.join(REPO_ROOT, "app/Dockerfile");
/** What the build reads from the context (the root): the lead's .dockerignore must let these in. */
const CONTEXT_PATHS = ["package.json", "package-lock.json", "app/package.json", "app/tsconfig.json", "app/src/"];

describe("app: Dockerfile (read, not built: no image can be pulled here)", () => {
    const { globalArgs, stages } = parseDockerfile(fs.readFileSync(DOCKERFILE, "utf8"));
    const runtime = stages[stages.length - 1];
    const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
    const baseArg = globalArgs.find((i) => i.keyword === "ARG" && i.args.startsWith("NODE_IMAGE="));

    it("pins one Node 24 base image by its full version, overridable for a mirror", () => {
        assert.ok(baseArg, "ARG NODE_IMAGE=... before the first FROM");
        const image = baseArg.args.slice("NODE_IMAGE=".length);
        assert.match(image, /^node:24\.\d+\.\d+-(alpine3\.\d+|bookworm-slim)(@sha256:[0-9a-f]{64})?$/);
        for (const stage of stages) assert.equal(stage.from, "${NODE_IMAGE}", `every stage starts from the pinned base (${stage.name})`);
    });

    it("is multi-stage: a build stage compiles, the runtime stage only copies results", () => {
        assert.ok(stages.length >= 2);
        assert.deepEqual(stages.map((s) => s.name), ["build", "deps", "runtime"]);
        const build = stages[0];
        assert.ok(all(build, "RUN").some((i) => /npm ci --workspace app --include-workspace-root=false/.test(i.args)));
        assert.ok(all(build, "RUN").some((i) => /npm run build --workspace app/.test(i.args)));
        assert.deepEqual(all(runtime, "RUN"), [], "nothing is installed or compiled in the runtime stage");
        const fromBuild = all(runtime, "COPY").filter((i) => i.args.includes("--from=build"));
        assert.deepEqual(fromBuild.map((i) => i.args), ["--from=build /srv/app/dist ./dist"], "only the compiled output comes from the build stage");
    });

    it("ships production dependencies only", () => {
        const deps = stages.find((s) => s.name === "deps")!;
        const install = all(deps, "RUN").map((i) => i.args).join("\n");
        assert.match(install, /npm ci --workspace app --include-workspace-root=false --omit=dev --omit=optional/);
        assert.ok(all(runtime, "COPY").some((i) => i.args === "--from=deps /srv/node_modules /srv/node_modules"));
        assert.ok(!all(runtime, "COPY").some((i) => i.args.includes("--from=build") && i.args.includes("node_modules")));
        const env = all(runtime, "ENV").map((i) => i.args);
        assert.ok(env.includes("NODE_ENV=production"), env.join(", "));
    });

    it("runs as a non-root user, by number (Kubernetes' runAsNonRoot can verify it)", () => {
        const users = all(runtime, "USER");
        assert.equal(users.length, 1);
        const [uid, gid] = users[0].args.split(":");
        assert.match(uid, /^\d+$/);
        assert.notEqual(Number(uid), 0);
        assert.notEqual(Number(gid ?? uid), 0);
        const cmd = all(runtime, "CMD")[0];
        assert.ok(users[0].line < cmd.line, "USER comes before CMD");
    });

    it("exposes the app's container port and starts node directly (PID 1 gets SIGTERM)", () => {
        assert.deepEqual(all(runtime, "EXPOSE").map((i) => i.args), [String(CONTAINER_PORTS.app)]);
        const cmd = all(runtime, "CMD");
        assert.equal(cmd.length, 1);
        assert.deepEqual(JSON.parse(cmd[0].args), ["node", "dist/main.js"]);
        const appPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "app/package.json"), "utf8"));
        assert.equal(appPackage.main, "dist/main.js");
    });

    it("checks its health with node's fetch against /healthz, bounded by a timeout", () => {
        const checks = all(runtime, "HEALTHCHECK");
        assert.equal(checks.length, 1);
        assert.match(checks[0].args, /--timeout=\d+s/);
        const command = JSON.parse(checks[0].args.replace(/^.*?CMD\s+/, ""));
        assert.equal(command[0], "node");
        assert.match(command[2], /fetch\(.*\/healthz/);
    });

    it("copies from the context only what .dockerignore must let in, and all of it exists", () => {
        const copied = stages.flatMap((s) => all(s, "COPY")).filter((i) => !i.args.includes("--from="));
        const sources = copied.flatMap((i) => i.args.split(/\s+/).slice(0, -1));
        for (const source of sources) {
            assert.ok(CONTEXT_PATHS.includes(source), `${source} is in the documented context list`);
            assert.ok(fs.existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
        }
        assert.deepEqual([...new Set(sources)].sort(), [...CONTEXT_PATHS].sort());
    });

    it("builds with the TypeScript the repository uses (an app devDependency, same range as the root)", () => {
        const root = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
        const app = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "app/package.json"), "utf8"));
        assert.equal(app.devDependencies.typescript, root.devDependencies.typescript);
        assert.equal(app.scripts.build, "tsc -p tsconfig.json");
    });

    it("has a health check command that really exits 0 on 200 and 1 otherwise", async () => {
        const check = all(runtime, "HEALTHCHECK")[0];
        const script: string = JSON.parse(check.args.replace(/^.*?CMD\s+/, ""))[2];
        let status = 200;
        const server = http.createServer((req, res) => {
            res.writeHead(req.url === "/healthz" ? status : 404).end();
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const port = String((server.address() as { port: number }).port);
        const run = () =>
            promisify(execFile)(process.execPath, ["-e", script], { env: { APP_PORT: port }, timeout: 10_000 }).then(
                () => 0,
                (err: { code?: number }) => err.code ?? -1,
            );
        try {
            assert.equal(await run(), 0);
            status = 503;
            assert.equal(await run(), 1);
        } finally {
            server.close();
        }
    });
});
