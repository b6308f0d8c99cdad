/**
 * A stage is data: what it turns on, and the story it tells. Builders read a profile and create
 * resources; nothing in a profile creates anything. Comparing two profiles shows what a stage adds.
 */

export const STAGE_NUMBERS = [1, 2, 3, 4, 5, 6] as const;
export type StageNumber = (typeof STAGE_NUMBERS)[number];

export type Target = "docker" | "kubernetes";

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
    readonly loadBalancer: "none" | "dns-round-robin" | "nginx";
    /** Redis as a cache-aside layer in the app. */
    readonly cache: boolean;
    /** Health checks and a restart policy on every container. */
    readonly selfHealing: boolean;
    /** The host address published ports bind to: every interface, or loopback only. */
    readonly publishAddress: "0.0.0.0" | "127.0.0.1";
    /** HTTPS at the edge (self-signed), plain HTTP only redirects; security headers. */
    readonly tls: boolean;
    /** A per-client request rate limit at the edge (429 past it). */
    readonly rateLimit: boolean;
    /** Separate edge, app and data networks; app and data are internal (no way out, no way in). */
    readonly segmentation: boolean;
    /** Where the app's credentials come from: its environment, or Vault with a least-privilege token. */
    readonly secretsFrom: "env" | "vault";
    /** Postgres roles split (owner, app DML only, replicator) with pg_hba per network; Redis ACL users. */
    readonly leastPrivilege: boolean;
    /** Non-root, read-only root filesystem, no capabilities, no new privileges, memory and CPU limits. */
    readonly hardening: boolean;
    readonly story: StageStory;
}

/** The stage's story, in the roadmap's terms. `{name}` placeholders are filled by the builder. */
export interface StageStory {
    /** The roadmap section this stage follows (seeds/000_7d3cf57b52c48c49.txt). */
    readonly roadmap: string;
    readonly scenario: string;
    /** Things to try once the stage is up; placeholders: {entry}, {db}, {dbReplica}, {instances}. */
    readonly tryThis: readonly string[];
    /** What is still wrong on purpose: the pack's advisories at this stage, in plain words. */
    readonly lessons: readonly string[];
}

/** Stages the program can build today; later ones are planned and say so through config validation. */
export interface PlannedStage {
    readonly stage: StageNumber;
    readonly title: string;
}
