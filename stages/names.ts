/**
 * One name per thing, everywhere: tiers, services, labels and the app's environment contract.
 * Builders, renderers, policies, tests and docs import these instead of retyping them.
 */

export const PROJECT = "devsecops-journey";

/** The tiers a topology is split into (stage 4 turns them into separate networks). */
export const TIERS = ["edge", "app", "data"] as const;
export type Tier = (typeof TIERS)[number];

/** Service names: container names, DNS names on the lab's networks, and Kubernetes object names. */
export const SERVICES = {
    app: "app",
    postgresPrimary: "postgres-primary",
    postgresReplica: "postgres-replica",
    redis: "redis",
    nginx: "nginx",
    vault: "vault",
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** The lab's ownership labels; every resource carries all three. */
export const LABELS = {
    project: "devsecops-journey/project",
    stage: "devsecops-journey/stage",
    tier: "devsecops-journey/tier",
} as const;

/** Ports the servers listen on inside their containers. */
export const CONTAINER_PORTS = {
    app: 8080,
    postgres: 5432,
    redis: 6379,
    nginx: 8080,
} as const;

/**
 * What the program and the demo app must agree on (env keys, headers, database objects) lives in
 * the app's own contract module, so the app's image builds from app/ alone; it is re-exported here.
 */
export { APP_ENV, DATABASE, HEADERS } from "../app/src/contract";
