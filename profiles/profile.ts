/**
 * A stage is data: what it turns on, and the story it tells. Builders read a profile and create
 * resources; nothing in a profile creates anything. Comparing two profiles shows what a stage adds.
 */

// Defined with the policy pack, which judges each stage by its number and loads from its folder alone.
export { STAGE_NUMBERS, type StageNumber } from "../policy-pack/contract";
import type { StageNumber } from "../policy-pack/contract";

/**
 * The values each choice of a profile can take, as data: the types below are derived from them,
 * and a test builds every one of them on every stage (test/stages/profile-fields.test.ts).
 */
export const PROFILE_CHOICES = {
    target: ["docker", "kubernetes"],
    loadBalancer: ["none", "dns-round-robin", "nginx"],
    publishAddress: ["0.0.0.0", "127.0.0.1"],
    secretsFrom: ["env", "vault"],
    networkPolicy: ["default-deny", "none"],
} as const;

export type Target = (typeof PROFILE_CHOICES.target)[number];

export interface StageProfile {
    readonly stage: StageNumber;
    readonly title: string;
    readonly target: Target;
    readonly app: {
        /** false: exactly one instance, the single point of failure stage 1 is about. */
        readonly replicated: boolean;
        /** Each instance published on its own host port (stage 2's "point clients at different IPs"). */
        readonly publishEachInstance: boolean;
    };
    readonly database: {
        /** A streaming replica that bootstraps itself from the primary; the app reads from it. */
        readonly replica: boolean;
        /** The database ports are published on the host (a lesson until stage 3 closes them). */
        readonly publish: boolean;
    };
    /** "dns-round-robin": clients share a network alias; "nginx": an L7 load balancer in front. */
    readonly loadBalancer: (typeof PROFILE_CHOICES.loadBalancer)[number];
    /** Redis as a cache-aside layer in the app. */
    readonly cache: boolean;
    /** Health checks and a restart policy on every container (on Kubernetes: probes; the cluster restarts). */
    readonly selfHealing: boolean;
    /** The host address published ports bind to: every interface, or loopback only. */
    readonly publishAddress: (typeof PROFILE_CHOICES.publishAddress)[number];
    /** HTTPS at the edge (self-signed), plain HTTP only redirects; security headers. */
    readonly tls: boolean;
    /** A per-client request rate limit at the edge (429 past it). */
    readonly rateLimit: boolean;
    /** Separate edge, app and data networks; app and data are internal (no way out, no way in). */
    readonly segmentation: boolean;
    /**
     * Where credentials come from: "env", in the containers' environment (the lesson of stages 1-3);
     * "vault", the app reads its own from Vault with a least-privilege token, and the servers
     * (Postgres, the replica) read theirs from files: no secret in any environment.
     */
    readonly secretsFrom: (typeof PROFILE_CHOICES.secretsFrom)[number];
    /** Postgres roles split (owner, app DML only, replicator) with pg_hba per network; Redis ACL users. */
    readonly leastPrivilege: boolean;
    /** Non-root, read-only root filesystem, no capabilities, no new privileges, memory and CPU limits. */
    readonly hardening: boolean;
    /** What the Kubernetes builder needs besides the fields above; absent on Docker stages. */
    readonly kubernetes?: KubernetesProfile;
    readonly story: StageStory;
}

/** The levels of the Pod Security Standards, loosest first (kubernetes.io/docs/concepts/security/pod-security-standards). */
export const POD_SECURITY_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/**
 * Kubernetes as data (stages 5-6). The fields above keep their meaning on a cluster: `hardening`
 * becomes the restricted securityContext and limits, `segmentation` namespaces per tier, `cache`,
 * `tls`, `rateLimit`, `database.replica`, `leastPrivilege` the same servers and renderers. What a
 * cluster cannot mean (publishing each instance, a database port on the host, DNS round robin) the
 * Kubernetes builder refuses with one line naming the field (builders/kubernetes/index.ts). These
 * add what only a cluster has.
 */
export interface KubernetesProfile {
    /** The Pod Security level every namespace enforces (admission refuses pods that break it). */
    readonly podSecurity: PodSecurityLevel;
    /** The app's HorizontalPodAutoscaler: from `min` pods (>= 2) to `max` at this average CPU. */
    readonly autoscale: { readonly min: number; readonly max: number; readonly cpuPercent: number };
    /** The app's PodDisruptionBudget: pods that must stay up through a drain. */
    readonly disruptionBudget: { readonly minAvailable: number };
    /**
     * "default-deny": deny ingress and egress in every namespace, then allow exactly the flows the
     * app needs; "none": no NetworkPolicy at all, every pod reaches every other (the pack stops it).
     */
    readonly networkPolicy: (typeof PROFILE_CHOICES.networkPolicy)[number];
    /** App "regions" (namespaces); from the second on, Nginx's backup upstreams (failover). */
    readonly regions: number;
    /** Prometheus scraping the app and Nginx (through an exporter sidecar): the golden signals. */
    readonly observability: boolean;
    /**
     * The pack's core pod rules enforced by the cluster itself at admission (a ValidatingAdmissionPolicy
     * bound to the lab's namespaces), so a pod that breaks them is refused whoever applies it.
     */
    readonly admissionPolicy: boolean;
    /** A CronJob deleting one random app pod on this schedule (cron syntax), with an RBAC role for that only. */
    readonly chaos?: { readonly schedule: string };
    /**
     * Disaster recovery for the primary: WAL archived to a volume of its own (a segment at most
     * `archiveTimeoutSeconds` old: the recovery point), base backups on `schedule` (cron syntax)
     * keeping the newest `keep`, and a restore drill the learner runs (renderers/postgres-backup.ts).
     */
    readonly backup?: { readonly schedule: string; readonly keep: number; readonly archiveTimeoutSeconds: number };
    /** The service level objective the stage states, read off the metrics Prometheus scrapes. */
    readonly slo?: { readonly availabilityPercent: number; readonly latencyMs: number; readonly latencyPercent: number };
}

/** The stage's story, in the roadmap's terms. `{name}` placeholders are filled by the builder. */
export interface StageStory {
    /** The section of the roadmap this stage follows, by its title there. */
    readonly roadmap: string;
    readonly scenario: string;
    /**
     * Things to try once the stage is up. Placeholders, filled by the builder of the stage's target:
     * - docker: {entry}, {httpEntry}, {db}, {dbReplica}, {instances}, {firstInstance}, {bootstrap}, {vault}
     * - kubernetes: {entry}, {appNamespace}, {appRegion2Namespace}, {edgeNamespace}, {dataNamespace}, {opsNamespace}
     */
    readonly tryThis: readonly string[];
    /** What is still wrong on purpose: the pack's advisories at this stage, in plain words. */
    readonly lessons: readonly string[];
}
