/**
 * What a stage needs of the learner's machine, read from the resources the program registers for
 * it (under mocks, lab/record.ts): the images it pulls, the host ports it holds, the CPU and memory
 * it asks for. The stage pages print it, and `npm run lab -- pull N` pulls those images ahead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Target } from "../profiles/profile";
import { SETTINGS } from "../program/config";
import type { RecordedResource } from "./record";

export interface StageNeeds {
    /** Images pulled from a registry (the app's is built from app/: its base image is pulled then). */
    readonly images: string[];
    /** Host ports the stage holds, as address:port. */
    readonly ports: string[];
    /** CPUs and MiB the stage's containers or pods are limited to (Docker) or request (Kubernetes); undefined: no limits set. */
    readonly cpus?: number;
    readonly memoryMiB?: number;
}

const ROOT = path.resolve(__dirname, "..");

/** The app image's base, from app/Dockerfile's `ARG NODE_IMAGE=...`: pulled when the app is built. */
export function appBaseImage(root = ROOT): string | undefined {
    const m = /^ARG NODE_IMAGE=(\S+)/m.exec(fs.readFileSync(path.join(root, "app", "Dockerfile"), "utf8"));
    return m?.[1];
}

/**
 * Host ports kind-config.yaml maps to the node, held as long as the cluster exists (after `down 5`
 * too: stage 4 cannot start until the cluster is gone). test/kubernetes/kind.test.ts keeps the file
 * and these settings equal.
 */
export function kindHostPorts(): string[] {
    return [`127.0.0.1:${SETTINGS.edgeTlsHostPort.default}`, `127.0.0.1:${SETTINGS.edgeHostPort.default}`];
}

const cpuOf = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));
const mibOf = (q: string) => (q.endsWith("Gi") ? Number(q.slice(0, -2)) * 1024 : q.endsWith("Mi") ? Number(q.slice(0, -2)) : Number(q) / 1024 / 1024);

export function stageNeeds(target: Target, resources: readonly RecordedResource[], root = ROOT): StageNeeds {
    const base = appBaseImage(root);
    const built = resources.some((r) => r.type === "docker:index/image:Image");
    if (target === "docker") {
        const containers = resources.filter((r) => r.type === "docker:index/container:Container" && r.inputs.start !== false);
        const images = resources.filter((r) => r.type === "docker:index/remoteImage:RemoteImage").map((r) => String(r.inputs.name));
        const ports = containers.flatMap((c) => ((c.inputs.ports ?? []) as { ip?: string; external?: number }[])
            .filter((p) => p.external !== undefined).map((p) => `${p.ip ?? "0.0.0.0"}:${p.external}`));
        const limited = containers.filter((c) => c.inputs.memory !== undefined);
        return {
            images: [...new Set([...images, ...(built && base ? [base] : [])])].sort(),
            ports: [...new Set(ports)].sort(),
            ...(limited.length ? {
                cpus: limited.reduce((n, c) => n + Number(c.inputs.cpus ?? 0), 0),
                memoryMiB: limited.reduce((n, c) => n + Number(c.inputs.memory ?? 0), 0),
            } : {}),
        };
    }
    // Kubernetes: every pod's containers, times the pods it starts with (an HPA's minimum for the app).
    const hpaMin = new Map(resources.filter((r) => r.type.endsWith(":HorizontalPodAutoscaler"))
        .map((h) => [`${h.inputs.metadata?.namespace}/${h.inputs.spec?.scaleTargetRef?.name}`, Number(h.inputs.spec?.minReplicas ?? 1)]));
    let cpus = 0;
    let memoryMiB = 0;
    const images = new Set<string>();
    for (const w of resources.filter((r) => /:(Deployment|StatefulSet|Job|CronJob)$/.test(r.type))) {
        const spec = w.type.endsWith(":CronJob") ? w.inputs.spec?.jobTemplate?.spec?.template?.spec : w.inputs.spec?.template?.spec;
        const key = `${w.inputs.metadata?.namespace}/${w.inputs.metadata?.name}`;
        // A Job or CronJob runs now and then: its image is pulled, its requests are not held.
        const pods = /:(Job|CronJob)$/.test(w.type) ? 0 : hpaMin.get(key) ?? Number(w.inputs.spec?.replicas ?? 1);
        for (const c of (spec?.containers ?? []) as { image?: string; resources?: { requests?: { cpu?: string; memory?: string } } }[]) {
            if (typeof c.image === "string" && !(built && c.image.includes("/devsecops-journey/app:"))) images.add(c.image);
            cpus += pods * cpuOf(c.resources?.requests?.cpu ?? "0");
            memoryMiB += pods * mibOf(c.resources?.requests?.memory ?? "0");
        }
    }
    return {
        images: [...images, ...(built && base ? [base] : [])].sort(),
        ports: kindHostPorts(),
        cpus: Math.round(cpus * 100) / 100,
        memoryMiB: Math.round(memoryMiB),
    };
}
