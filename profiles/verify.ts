/**
 * What `npm run lab -- verify <stage>` checks, per stage, next to the profiles: data, cumulative like
 * the profiles (a stage keeps the previous stage's checks and adds what it introduces; a later
 * stage without a list of its own keeps the last one). The checks
 * themselves live in lab/checks.ts and take the running stage's endpoints as input.
 */
import { STAGE_NUMBERS, StageNumber } from "./profile";

export const CHECKS = {
    "entry-answers": "the entry point answers",
    "spread": "requests spread over all app instances",
    "replica-read": "a write is readable from the replica",
    "cache-hit": "the cache hits on a second read",
    "db-not-from-host": "the database is not reachable from the host",
    "tls": "the edge serves TLS with the lab's certificate",
    "http-redirects": "plain HTTP redirects to HTTPS",
    "no-password-env": "the app's environment holds no password",
} as const;

export type CheckId = keyof typeof CHECKS;

const stage1: readonly CheckId[] = ["entry-answers"];
const stage2: readonly CheckId[] = [...stage1, "spread", "replica-read"];
// Stage 3 closes the database ports (only Nginx publishes one).
const stage3: readonly CheckId[] = [...stage2, "cache-hit", "db-not-from-host"];
const stage4: readonly CheckId[] = [...stage3, "tls", "http-redirects", "no-password-env"];

// Kubernetes (kind) publishes only the HTTPS node port: there is no plain-HTTP edge to redirect.
const stage5: readonly CheckId[] = stage4.filter((id) => id !== "http-redirects");

/** The checks each stage defines; a later stage without its own list keeps the last one defined. */
export const STAGE_CHECKS: Partial<Record<StageNumber, readonly CheckId[]>> = { 1: stage1, 2: stage2, 3: stage3, 4: stage4, 5: stage5 };

export function checksFor(stage: StageNumber): readonly CheckId[] {
    for (const s of [...STAGE_NUMBERS].reverse()) {
        if (s <= stage && STAGE_CHECKS[s]) return STAGE_CHECKS[s]!;
    }
    return [];
}
