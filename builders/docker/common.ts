import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { LABELS, PROJECT, Tier, TierLabel } from "../../program/names";
import { StageNumber, StageProfile } from "../../profiles/profile";

/**
 * What every container of a stage shares, whichever component creates it: its stage (names and
 * labels), whether it heals itself, whether it is hardened, and the host address it publishes on.
 */
export interface ContainerStyle {
    readonly stage: StageNumber;
    readonly selfHealing: boolean;
    readonly hardening: boolean;
    readonly publishAddress: StageProfile["publishAddress"];
}

export function containerStyle(profile: StageProfile): ContainerStyle {
    return { stage: profile.stage, selfHealing: profile.selfHealing, hardening: profile.hardening, publishAddress: profile.publishAddress };
}

/** The lab's ownership labels in the docker provider's shape. */
export function labLabels(stage: StageNumber, tier: TierLabel): docker.types.input.ContainerLabel[] {
    return [
        { label: LABELS.project, value: PROJECT },
        { label: LABELS.stage, value: String(stage) },
        { label: LABELS.tier, value: tier },
    ];
}

/** Docker object names: short enough to type in `docker stop`, unique per stage. */
export function dockerName(stage: StageNumber, service: string): string {
    return `devsecops-s${stage}-${service}`;
}

/**
 * Options shared by every container: a container has a fixed name and often a fixed host port, so
 * its replacement must be deleted first or it collides with its predecessor ("port is already
 * allocated", "name already in use").
 */
export function containerOptions(parent: pulumi.Resource, dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent, dependsOn, deleteBeforeReplace: true };
}

/**
 * Health check and restart policy for stages that heal themselves; nothing before that.
 * "unless-stopped", not "on-failure": every server exits 0 when the daemon stops it (a Docker
 * restart, a reboot), and Docker restarts at daemon start only containers whose policy is always or
 * unless-stopped (moby daemon/daemon.go restore: RestartPolicy.IsAlways() || IsUnlessStopped()), so
 * with on-failure nothing came back and `pulumi up` saw no change. A container stopped by hand
 * (`docker stop`, `docker kill`) stays stopped, as it should.
 */
export function selfHealing(
    style: ContainerStyle,
    tests: string[],
): Pick<docker.ContainerArgs, "healthcheck" | "restart" | "wait" | "waitTimeout"> {
    if (!style.selfHealing) return { restart: "no" };
    return {
        healthcheck: { tests, interval: "5s", timeout: "3s", retries: 5, startPeriod: "30s" },
        restart: "unless-stopped",
        // `pulumi up` waits until the container is healthy and fails, naming it, when it does not get
        // there: without wait a container that dies at start counts as created (the provider's
        // create returns once the container has started; resource_docker_container_funcs.go).
        wait: true,
        waitTimeout: 120,
    };
}

/**
 * A one-shot job's outcome, read off the exit code and log the provider records after it waited
 * for the job (attach). The provider never checks the code itself, so a failed job would pass as
 * created: this fails `pulumi up` with the container's name and the last lines of its log.
 */
export function jobOutcome(container: string, exitCode: number | undefined, logs: string | undefined): string {
    if (exitCode === undefined) return "no exit code reported";
    if (exitCode === 0) return "exited 0";
    const tail = (logs ?? "").trim().split("\n").slice(-5).join(" | ");
    throw new pulumi.RunError(`${container} exited with ${exitCode}: ${tail || "(no log)"}; see docker logs ${container}`);
}

/**
 * Seconds a server gets to stop cleanly, both when Docker stops it (`docker stop`, daemon shutdown:
 * stopTimeout) and when the provider replaces or deletes it (destroyGraceSeconds: unset, the
 * provider stops with a timeout of 0, a SIGKILL). Postgres needs a checkpoint, the app drains its
 * in-flight requests (8 s, app/src/config.ts shutdownMs).
 */
export function gracePeriod(seconds: number): Pick<docker.ContainerArgs, "stopTimeout" | "destroyGraceSeconds"> {
    return { stopTimeout: seconds, destroyGraceSeconds: seconds };
}

/** How long each server needs to stop cleanly (gracePeriod). */
export const GRACE_SECONDS = { postgres: 30, app: 15, nginx: 10, redis: 10, vault: 10 } as const;

/** Host port publishing, on the profile's bind address. */
export function publish(style: ContainerStyle, internal: number, external: number): docker.types.input.ContainerPort[] {
    return [{ internal, external, ip: style.publishAddress, protocol: "tcp" }];
}

/** `KEY=value` for the docker provider's envs; a secret value keeps the whole entry secret. */
export function env(key: string, value: pulumi.Input<string | number>): pulumi.Output<string> {
    return pulumi.interpolate`${key}=${value}`;
}

/** A pinned image pulled once per stage and kept locally (a workshop rebuilds stages often). */
export function pullImage(name: string, ref: string, parent: pulumi.Resource): docker.RemoteImage {
    return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}

/** What a hardened container needs besides the defaults: who it runs as, where it may write, how much. */
export interface HardeningSpec {
    /** uid:gid of a non-root user the image defines (IMAGE_USERS). */
    readonly user: string;
    /** Paths the server writes at run time; they become tmpfs on the read-only root filesystem. */
    readonly writable: string[];
    readonly memoryMb: number;
    readonly cpus: string;
}

/**
 * Stage 4's container hardening (CIS Docker 4.1, 5.4, 5.11-5.13, 5.26): non-root, read-only root
 * filesystem with tmpfs where the server writes, every capability dropped (no server here needs
 * one: all listen above 1024 and none changes user), no privilege escalation, memory and CPU caps.
 * Before stage 4 nothing: the pack's advisories show what is missing.
 */
export function hardening(style: ContainerStyle, spec: HardeningSpec): Partial<docker.ContainerArgs> {
    if (!style.hardening) return {};
    return {
        user: spec.user,
        readOnly: true,
        // mode=1777: whichever uid the server runs as can write, and nothing there can be executed.
        tmpfs: Object.fromEntries(spec.writable.map((p) => [p, "rw,noexec,nosuid,nodev,size=64m,mode=1777"])),
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        memory: spec.memoryMb,
        memorySwap: spec.memoryMb,
        cpus: spec.cpus,
        cpuShares: 512,
    };
}

/** A file the builder hands to a container (config, script, or a secret kept as a Pulumi secret). */
export interface LabFile {
    readonly name: string;
    readonly content: pulumi.Input<string>;
    /** 0440 for secrets (root:the server's group), 0444 for config, 0555 for scripts. */
    readonly mode: "0440" | "0444" | "0555";
}

/** The folders of files one container receives. */
export interface FileSet {
    /** The consumer's Pulumi name: the seed container and its volumes are named after it. */
    readonly consumer: string;
    /** The consumer's service name: the Docker names of the seed and its volumes start with it. */
    readonly service: string;
    readonly image: pulumi.Input<string>;
    readonly tier: Tier;
    /** uid:gid the server runs as; files are root-owned and readable by its group. */
    readonly runAs: string;
    readonly dirs: { readonly dir: string; readonly files: LabFile[] }[];
}

/** What a container needs to see its files: uploads (stages 1-3) or read-only volumes (stage 4). */
export interface ContainerFiles {
    readonly uploads: docker.types.input.ContainerUpload[];
    readonly volumes: docker.types.input.ContainerVolume[];
    /** Changes when any file does, so the container is replaced and reads the new files. */
    readonly labels: docker.types.input.ContainerLabel[];
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Hands files to a container. Before stage 4 they are uploaded into the container itself. A
 * read-only root filesystem refuses uploads (the provider copies to "/", and Docker accepts that
 * only on a writable rootfs), so stage 4 uploads them into volumes through a "seed" container
 * that is created and never started (Docker's data-container pattern), and the server mounts the
 * volumes read-only.
 */
export function containerFiles(parent: pulumi.Resource, style: ContainerStyle, set: FileSet): ContainerFiles {
    const gid = set.runAs.split(":")[1];
    const uploadsFor = (dir: string, files: LabFile[]) =>
        files.map((f) => ({ file: `${dir}/${f.name}`, content: f.content, permissions: f.mode, owner: "0", group: gid }));
    const all = set.dirs.flatMap((d) => d.files);
    const hash = pulumi.unsecret(pulumi.all(all.map((f) => f.content)).apply((contents) =>
        createHash("sha256").update(all.map((f, i) => `${f.name}\0${f.mode}\0${contents[i]}`).join("\0")).digest("hex").slice(0, 16)));
    const labels = [{ label: LABELS.files, value: hash }];
    if (!style.hardening) {
        return { uploads: set.dirs.flatMap((d) => uploadsFor(d.dir, d.files)), volumes: [], labels, dependsOn: [] };
    }
    const mounts = set.dirs.map((d, i) => {
        const volume = new docker.Volume(`${set.consumer}-files-${i + 1}`, {
            name: dockerName(style.stage, `${set.service}-files-${i + 1}`),
            labels: labLabels(style.stage, set.tier),
        }, { parent });
        return { dir: d.dir, files: d.files, volume };
    });
    const seed = new docker.Container(`${set.consumer}-files`, {
        name: dockerName(style.stage, `${set.service}-files`),
        image: set.image,
        // Created, never started: it exists only so Docker accepts the uploads into the volumes.
        start: false,
        mustRun: false,
        volumes: mounts.map((m) => ({ volumeName: m.volume.name, containerPath: m.dir })),
        uploads: mounts.flatMap((m) => uploadsFor(m.dir, m.files)),
        labels: [...labLabels(style.stage, set.tier), { label: LABELS.role, value: "files" }],
    }, { parent, deleteBeforeReplace: true });
    return {
        uploads: [],
        volumes: mounts.map((m) => ({ volumeName: m.volume.name, containerPath: m.dir, readOnly: true })),
        labels,
        dependsOn: [seed],
    };
}
