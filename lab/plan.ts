/**
 * Everything the CLI decides before Pulumi runs, as pure functions: where state lives, which
 * passphrase, which stack, which policy pack and config, the equivalent `pulumi` command lines, and
 * whether `up` must first tear down another stage. Tested without the Pulumi CLI.
 */
import * as path from "node:path";
import { STAGES } from "../profiles/catalog";
import { dockerName } from "../builders/docker/common";
import { KUBE_NAMESPACES, LABELS, PROJECT, SERVICES } from "../program/names";
import type { LabConfig } from "../program/config";
import type { StageNumber, StageProfile } from "../profiles/profile";
import type { DrillName } from "./args";
import type { VerifyTarget } from "./checks";

/** The repository root: Pulumi.yaml, the stack files and the policy pack live there. */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** The lab's passphrase for stack secrets (README: a lab-only value; set your own to override). */
export const LAB_PASSPHRASE = "devsecops-lab";
/** The folder in the user's home holding the lab's Pulumi state (no account, no cloud). */
export const LAB_HOME_DIR = ".devsecops-lab";

export type Env = Readonly<Record<string, string | undefined>>;

export interface WorkspacePlan {
    /** The Pulumi project folder (LocalWorkspace workDir). */
    readonly workDir: string;
    /** Where the state lives: the user's own PULUMI_BACKEND_URL, else a folder in their home. */
    readonly backendUrl: string;
    /** The local folder a file:// backend needs to exist before Pulumi runs. */
    readonly stateDir?: string;
    /** The environment every Pulumi command of the lab runs with. */
    readonly envVars: Record<string, string>;
    /** Whether the passphrase is the lab's default (the summary says so). */
    readonly defaultPassphrase: boolean;
}

export function workspacePlan(env: Env, home: string, root = REPO_ROOT): WorkspacePlan {
    const labHome = env.DEVSECOPS_LAB_HOME || path.join(home, LAB_HOME_DIR);
    const backendUrl = env.PULUMI_BACKEND_URL || `file://${path.join(labHome, "state")}`;
    const stateDir = backendUrl.startsWith("file://") ? backendUrl.slice("file://".length).replace(/^~(?=\/|$)/, home) : undefined;
    // A passphrase file of the user's wins over the lab's default; so does their own passphrase.
    const ownPassphrase = env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE !== undefined;
    return {
        workDir: root,
        backendUrl,
        stateDir,
        envVars: {
            PULUMI_BACKEND_URL: backendUrl,
            ...(ownPassphrase ? {} : { PULUMI_CONFIG_PASSPHRASE: LAB_PASSPHRASE }),
            // Type-checking is `npm run typecheck`'s job; the program starts faster without it.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            PULUMI_SKIP_UPDATE_CHECK: "true",
        },
        defaultPassphrase: !ownPassphrase,
    };
}

/**
 * The plan with Docker's endpoint handed to Pulumi (DOCKER_HOST), unless the user set one: the
 * docker provider does not follow the CLI's current context (probes.ts dockerEndpoint).
 */
export function withDockerEndpoint(plan: WorkspacePlan, endpoint: string | undefined): WorkspacePlan {
    if (!endpoint || plan.envVars.DOCKER_HOST) return plan;
    return { ...plan, envVars: { ...plan.envVars, DOCKER_HOST: endpoint } };
}

export const stackName = (stage: StageNumber) => `stage${stage}`;
export const stackFile = (stage: StageNumber, root = REPO_ROOT) => path.join(root, `Pulumi.${stackName(stage)}.yaml`);

/** A stack name back to its stage, or undefined for a stack that is not one of the lab's. */
export function stageOfStack(name: string): StageNumber | undefined {
    const m = /^(?:.*\/)?stage(\d)$/.exec(name);
    const stage = m ? Number(m[1]) : NaN;
    return STAGES.has(stage as StageNumber) ? (stage as StageNumber) : undefined;
}

export interface PolicyPlan {
    readonly policyPacks: string[];
    readonly policyPackConfigs: string[];
}

export function policyPlan(stage: StageNumber, root = REPO_ROOT): PolicyPlan {
    return {
        policyPacks: [path.join(root, "policy-pack")],
        policyPackConfigs: [path.join(root, "policy-pack", "config", `stage${stage}.json`)],
    };
}

export type PulumiAction = "up" | "preview" | "destroy";

/** The `pulumi` command line the lab runs, to print it: a learner can type it themselves. */
export function commandLine(action: PulumiAction, stage: StageNumber, root = REPO_ROOT): string {
    const stack = `--stack ${stackName(stage)}`;
    const rel = (p: string) => path.relative(root, p);
    switch (action) {
        case "up":
            return `pulumi up ${stack} --refresh --yes`;
        case "preview": {
            const policy = policyPlan(stage, root);
            return `pulumi preview ${stack} --policy-pack ${rel(policy.policyPacks[0])} --policy-pack-config ${rel(policy.policyPackConfigs[0])}`;
        }
        case "destroy":
            return `pulumi destroy ${stack} --yes`;
    }
}

export type UpDecision =
    | { readonly kind: "proceed" }
    | { readonly kind: "tear-down-first"; readonly stages: StageNumber[] }
    | { readonly kind: "ask"; readonly stages: StageNumber[] }
    | { readonly kind: "refuse"; readonly stages: StageNumber[]; readonly message: string };

/**
 * One stage at a time (stages publish the same host ports): bringing up `stage` while others run
 * tears them down first with --yes, asks on a terminal, and refuses (saying how) otherwise.
 */
export function decideUp(stage: StageNumber, running: readonly StageNumber[], opts: { yes: boolean; interactive: boolean }): UpDecision {
    const others = running.filter((s) => s !== stage);
    if (others.length === 0) return { kind: "proceed" };
    if (opts.yes) return { kind: "tear-down-first", stages: others };
    if (opts.interactive) return { kind: "ask", stages: others };
    const list = others.map((s) => `stage ${s}`).join(", ");
    return {
        kind: "refuse",
        stages: others,
        message: `${list} is running and only one stage runs at a time: run npm run lab -- down ${others[0]}, or add --yes to tear it down first`,
    };
}

/** What a stage needs on the machine besides Node: the Pulumi CLI always, then its target's runtime. */
export type Requirement = "pulumi" | "docker" | "kind";

export function requirementsOf(profile: StageProfile): Requirement[] {
    return profile.target === "kubernetes" ? ["pulumi", "docker", "kind"] : ["pulumi", "docker"];
}

/** The app containers of a running Docker stage, by the builder's own naming. */
export function appContainerNames(lab: LabConfig): string[] {
    return Array.from({ length: lab.appInstances }, (_, i) => dockerName(lab.profile.stage, `${SERVICES.app}-${i + 1}`));
}

/** `docker inspect` of a container's environment: one JSON array of "KEY=value". */
export const inspectEnvCommand = (container: string) => ["docker", "inspect", "--format", "{{json .Config.Env}}", container];

/** Where verify reads the running app's environment, and how to read the answer. */
export interface EnvSource {
    /** The container (Docker) or namespace/deployment (Kubernetes) it names in its report. */
    readonly name: string;
    readonly command: string[];
    /** "json": docker inspect's array; "lines": `env`'s KEY=value lines. */
    readonly format: "json" | "lines";
}

export function appEnvSources(lab: LabConfig): EnvSource[] {
    if (lab.profile.target === "docker") {
        return appContainerNames(lab).map((name) => ({ name, command: inspectEnvCommand(name), format: "json" }));
    }
    // One region's namespace, or two in stage 6; `env` in a running pod of the app's Deployment.
    const namespaces = (lab.profile.kubernetes?.regions ?? 1) >= 2 ? [KUBE_NAMESPACES.app, KUBE_NAMESPACES.appRegion2] : [KUBE_NAMESPACES.app];
    return namespaces.map((ns) => ({
        name: `${ns}/${SERVICES.app}`,
        command: ["kubectl", "--context", lab.kubernetes.context, "-n", ns, "exec", `deploy/${SERVICES.app}`, "--", "env"],
        format: "lines",
    }));
}

export function parseEnvOutput(format: EnvSource["format"], stdout: string): string[] {
    return format === "json" ? (JSON.parse(stdout) as string[]) : stdout.split("\n").map((l) => l.trim()).filter((l) => l.includes("="));
}

/** What lists a running stage's containers (Docker) or pods (Kubernetes), one per line. */
/** `docker ps` of a Docker stage's exited containers (the seeds stay "created" and are not listed): name and exit code. */
export function listExitedCommand(lab: LabConfig): string[] {
    return ["docker", "ps", "-a", "--filter", `label=${LABELS.stage}=${lab.profile.stage}`, "--filter", `label=${LABELS.project}=${PROJECT}`,
        "--filter", "status=exited", "--format", "{{.Names}} {{.Status}}"];
}

export function listRunningCommand(lab: LabConfig): string[] {
    return lab.profile.target === "docker"
        ? ["docker", "ps", "--filter", `label=${LABELS.stage}=${lab.profile.stage}`, "--format", "{{.Names}}  {{.Status}}  {{.Ports}}"]
        : ["kubectl", "--context", lab.kubernetes.context, "get", "pods", "-A", "-l", `${LABELS.project}=${PROJECT}`, "--no-headers"];
}

/** The stack's outputs `verify` reads. */
export interface StageOutputValues {
    readonly entryPoints?: string[];
    readonly edgeCertificate?: string;
}

/** The endpoints `verify` checks, from the stage's validated config and its stack outputs. */
export function verifyTarget(
    lab: LabConfig, outputs: StageOutputValues, appEnvironments: VerifyTarget["appEnvironments"],
): VerifyTarget {
    const { profile, ports } = lab;
    const loopback = "127.0.0.1";
    return {
        entryPoints: outputs.entryPoints ?? [],
        // Kubernetes scales the app: at least the autoscaler's minimum answer.
        instances: profile.kubernetes?.autoscale?.min ?? lab.appInstances,
        // On Kubernetes only the HTTPS node port is published.
        httpEntry: profile.tls && profile.target === "docker" ? `http://localhost:${ports.edge}` : undefined,
        ca: outputs.edgeCertificate,
        // The host ports stages 1-2 publish the databases on: closed once the database is. (Not 5432:
        // a learner's own Postgres may listen there, and it is not the lab's.)
        databaseFromHost: [ports.db, ports.dbReplica].map((port) => ({ host: loopback, port })),
        appEnvironments,
    };
}

/** How `drill` runs one drill on a stage: kubectl steps, in order, each a command line. */
export interface DrillPlan {
    /** The Job it starts (from the stage's CronJob), so the learner can look at it afterwards. */
    readonly job: string;
    readonly namespace: string;
    readonly steps: { readonly what: string; readonly command: string[] }[];
}

/** The drills and the CronJob each one starts (builders/kubernetes/backup.ts creates them). */
const DRILL_CRONJOBS: Record<DrillName, string> = { backup: SERVICES.postgresBackup, restore: SERVICES.postgresRestoreDrill };

/**
 * A drill starts a Job from its CronJob, follows its log to the end (the drill's own report), and
 * then asks whether it completed: `kubectl logs -f` ends when the container does, whatever its
 * exit code, so the verdict comes from the Job's condition. Null: the stage has no such drill.
 */
export function drillPlan(lab: LabConfig, drill: DrillName, stamp: string): DrillPlan | undefined {
    if (lab.profile.target !== "kubernetes" || !lab.profile.kubernetes?.backup) return undefined;
    const namespace = KUBE_NAMESPACES.data;
    const job = `${DRILL_CRONJOBS[drill]}-${stamp}`;
    const kubectl = (...args: string[]) => ["kubectl", "--context", lab.kubernetes.context, "-n", namespace, ...args];
    return {
        job,
        namespace,
        steps: [
            { what: "start the drill", command: kubectl("create", "job", `--from=cronjob/${DRILL_CRONJOBS[drill]}`, job) },
            // The first run may pull the Postgres image into the node: allow for it.
            { what: "follow its log", command: kubectl("logs", "-f", `job/${job}`, "--pod-running-timeout=10m") },
            { what: "check it completed", command: kubectl("wait", "--for=condition=complete", "--timeout=60s", `job/${job}`) },
        ],
    };
}
