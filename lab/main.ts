/**
 * `npm run lab -- <command> [stage]`: wires the real pieces (the Automation API, the machine's
 * probes, docker inspect, the terminal) into the commands and exits with their code.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as readline from "node:readline/promises";
import { runLab } from "./commands";
import { automationEngine } from "./engine";
import { listExitedCommand, listRunningCommand, parseEnvOutput, withDockerEndpoint, workspacePlan } from "./plan";
import { dockerEndpoint, probesWith, runCommand } from "./probes";

async function main(): Promise<number> {
    const plan = workspacePlan(process.env, os.homedir());
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    return runLab(process.argv.slice(2), {
        plan,
        probe: probesWith(runCommand),
        io: {
            out: (line) => process.stdout.write(`${line}\n`),
            err: (line) => process.stderr.write(`${line}\n`),
            progress: (text) => process.stdout.write(text),
            interactive,
            async confirm(question) {
                const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
                try {
                    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
                } finally {
                    rl.close();
                }
            },
        },
        async engine() {
            if (plan.stateDir) fs.mkdirSync(plan.stateDir, { recursive: true });
            // On stderr: stdout may be a value piped into a file (npm run -s lab -- output 4 edgeCertificate > lab.crt).
            const endpoint = await dockerEndpoint(runCommand, process.env);
            if (endpoint) process.stderr.write(`lab: Docker at ${endpoint}${process.env.DOCKER_HOST ? " (DOCKER_HOST)" : " (the docker CLI's current context), handed to Pulumi as DOCKER_HOST"}\n`);
            return automationEngine(withDockerEndpoint(plan, endpoint));
        },
        async readEnv(source) {
            const [command, ...args] = source.command;
            const r = await runCommand(command, args);
            if (r.code !== 0) throw new Error(`${source.command.join(" ")}: ${r.code === "ENOENT" ? `no ${command} on PATH` : r.stderr.trim() || "failed"}`);
            return parseEnvOutput(source.format, r.stdout);
        },
        async containers(lab) {
            const [command, ...args] = listRunningCommand(lab);
            const r = await runCommand(command, args);
            return r.code === 0 ? r.stdout.split("\n").filter(Boolean).sort() : [];
        },
        // Runs the program under mocks in this process: loaded only for `diff` and `pull`, never for `up`.
        async diff(from, to) {
            const { diffText } = await import("./stages");
            return diffText(from, to);
        },
        async needs(stage) {
            const { recordStage } = await import("./stages");
            const { stageNeeds } = await import("./needs");
            const recorded = await recordStage(stage);
            return stageNeeds(recorded.profile.target, recorded.resources);
        },
        async exited(lab) {
            const [command, ...args] = listExitedCommand(lab);
            const r = await runCommand(command, args);
            if (r.code !== 0) return [];
            const rows = r.stdout.split("\n").map((l) => /^(\S+) Exited \((\d+)\)/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null);
            return Promise.all(rows.map(async ([, name, code]) => {
                const logs = await runCommand("docker", ["logs", "--tail", "3", name]);
                const tail = `${logs.stdout}${logs.stderr}`.trim().split("\n").filter(Boolean).slice(-3);
                return { name, exitCode: Number(code), logTail: tail };
            }));
        },
        async dockerResources() {
            const endpoint = await dockerEndpoint(runCommand, process.env);
            const r = await runCommand("docker", [...(endpoint ? ["--host", endpoint] : []), "info", "--format", "{{.NCPU}} {{.MemTotal}}"]);
            const [cpus, bytes] = r.code === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [];
            return cpus > 0 && bytes > 0 ? { cpus, memoryMiB: Math.round(bytes / 1024 / 1024) } : undefined;
        },
        portFree: (address, port) => new Promise((resolve) => {
            const server = net.createServer();
            server.once("error", () => resolve(false));
            server.listen(port, address === "0.0.0.0" ? undefined : address, () => server.close(() => resolve(true)));
        }),
        exec: (command, args) => new Promise((resolve) => {
            const child = spawn(command, [...args], { stdio: ["ignore", "inherit", "inherit"] });
            child.on("error", () => resolve(127));
            child.on("close", (code) => resolve(code ?? 1));
        }),
        now: () => Date.now(),
    });
}

// `npm run lab -- help | head -1`: the reader went away; that is not an error of the lab's.
for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
        throw err;
    });
}

main().then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`lab: unexpected error (a bug, please report it):\n${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
});
