/**
 * What the machine has: the Pulumi CLI, a running Docker, a kind cluster. Each probe runs one
 * command; a missing piece comes back as one line saying what is missing and how to get it.
 */
import { execFile } from "node:child_process";
import { KUBERNETES } from "../program/names";
import type { Requirement } from "./plan";

export type ProbeResult = { readonly ok: true; readonly detail: string } | { readonly ok: false; readonly message: string };
export type Probe = (what: Requirement) => Promise<ProbeResult>;

/** How to get each piece; the messages name the fix, not the symptom only. */
export const MISSING = {
    pulumi: "the Pulumi CLI is not installed (no `pulumi` on PATH): install it from https://www.pulumi.com/docs/install/ " +
        "(curl -fsSL https://get.pulumi.com | sh), open a new shell, and run this again",
    dockerBinary: "Docker is not installed (no `docker` on PATH): install Docker Desktop or Docker Engine " +
        "(https://docs.docker.com/get-docker/) and run this again",
    dockerDaemon: "Docker is installed but not running: start Docker Desktop (or `sudo systemctl start docker`) and run this again",
    kindBinary: "kind is not installed (no `kind` on PATH): install it (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), " +
        "then create the lab's cluster with scripts/kind-up.sh and run this again",
    // Not a plain `kind create cluster`: that one has no registry for the app image, no port mapping to
    // the edge and no metrics-server for the autoscaler, and `up 5` fails when it pushes the image.
    kindCluster: `the lab's kind cluster "${KUBERNETES.clusterName}" does not exist: create it with scripts/kind-up.sh ` +
        "(it adds the registry, the port mappings and metrics-server the stages need) and run this again",
    kubectlBinary: "kubectl is not installed (no `kubectl` on PATH): install it (https://kubernetes.io/docs/tasks/tools/) and run this again",
    kindStopped: `the lab's kind cluster "${KUBERNETES.clusterName}" exists but its API server does not answer (its node is stopped?): ` +
        `docker start ${KUBERNETES.clusterName}-control-plane, or recreate it with scripts/kind-up.sh, and run this again`,
} as const;

export interface CommandResult {
    readonly code: number | "ENOENT";
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command to completion; a missing binary is a result ("ENOENT"), not an exception. */
export type Runner = (command: string, args: readonly string[]) => Promise<CommandResult>;

export const runCommand: Runner = (command, args) => new Promise((resolve) => {
    execFile(command, [...args], { timeout: 20_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === "ENOENT") return resolve({ code: "ENOENT", stdout: "", stderr: "" });
        const exit = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as unknown as { code: number }).code : 1) : 0;
        resolve({ code: exit, stdout: String(stdout), stderr: String(stderr) });
    });
});

/**
 * Where Docker is, the way the `docker` CLI finds it: DOCKER_HOST, else the current context's
 * endpoint (Docker Desktop for Linux and macOS, Colima, Rancher Desktop and rootless Docker all use
 * a context). Pulumi's docker provider reads DOCKER_HOST and otherwise dials /var/run/docker.sock,
 * never a context: the lab hands it this endpoint, and probes this one, not whatever `docker info`
 * happens to reach.
 */
export async function dockerEndpoint(run: Runner, env: Record<string, string | undefined>): Promise<string | undefined> {
    if (env.DOCKER_HOST) return env.DOCKER_HOST;
    const r = await run("docker", ["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"]);
    const host = r.code === 0 ? r.stdout.trim() : "";
    return host || undefined;
}

/** The probes over a command runner (tests pass a fake runner) and the environment the lab runs in. */
export function probesWith(run: Runner, env: Record<string, string | undefined> = process.env): Probe {
    return async (what) => {
        switch (what) {
            case "pulumi": {
                const r = await run("pulumi", ["version"]);
                return r.code === 0 ? { ok: true, detail: `pulumi ${r.stdout.trim()}` } : { ok: false, message: MISSING.pulumi };
            }
            case "docker": {
                const endpoint = await dockerEndpoint(run, env);
                const r = await run("docker", [...(endpoint ? ["--host", endpoint] : []), "info", "--format", "{{.ServerVersion}}"]);
                if (r.code === "ENOENT") return { ok: false, message: MISSING.dockerBinary };
                return r.code === 0 && r.stdout.trim()
                    ? { ok: true, detail: `docker ${r.stdout.trim()}${endpoint ? ` at ${endpoint}` : ""}` }
                    : { ok: false, message: `${MISSING.dockerDaemon}${endpoint ? ` (the lab asked ${endpoint})` : ""}` };
            }
            case "kind": {
                const r = await run("kind", ["get", "clusters"]);
                if (r.code === "ENOENT") return { ok: false, message: MISSING.kindBinary };
                const clusters = r.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
                if (r.code !== 0 || !clusters.includes(KUBERNETES.clusterName)) return { ok: false, message: MISSING.kindCluster };
                // kind lists a cluster whose node container is stopped too: ask its API server.
                const ready = await run("kubectl", ["--context", `kind-${KUBERNETES.clusterName}`, "--request-timeout=5s", "get", "--raw", "/readyz"]);
                if (ready.code === "ENOENT") return { ok: false, message: MISSING.kubectlBinary };
                return ready.code === 0 && ready.stdout.trim() === "ok"
                    ? { ok: true, detail: `kind cluster ${KUBERNETES.clusterName}, API server ready` }
                    : { ok: false, message: MISSING.kindStopped };
            }
        }
    };
}
