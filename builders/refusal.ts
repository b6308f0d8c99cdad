import * as pulumi from "@pulumi/pulumi";
import { StageProfile } from "../profiles/profile";

/**
 * A profile a builder cannot build as written: one line naming the field, its value and why, and
 * no stack trace (Pulumi prints a RunError's message only). Raised before any resource exists.
 */
export class ProfileRefusal extends pulumi.RunError {
    constructor(readonly stage: number, readonly field: string, value: unknown, why: string) {
        const shown = JSON.stringify(value);
        const is = value === undefined ? "is not set" : typeof value === "object" ? "is set" : `= ${shown}`;
        super(`stage ${stage}'s profile: ${field} ${is}: ${why}`);
    }
}

/** What a builder needs of a profile: the field it reads, whether the profile meets it, and why not. */
export interface Requirement {
    readonly field: string;
    readonly holds: (profile: StageProfile) => boolean;
    readonly why: string;
}

/** The value at a dotted path of a profile ("database.replica", "kubernetes.regions"). */
export function fieldValue(profile: StageProfile, field: string): unknown {
    return field.split(".").reduce<any>((value, key) => (value == null ? undefined : value[key]), profile);
}

/** Throws the first requirement the profile does not meet. */
export function refuseUnmet(profile: StageProfile, requirements: readonly Requirement[]): void {
    for (const r of requirements) {
        if (!r.holds(profile)) throw new ProfileRefusal(profile.stage, r.field, fieldValue(profile, r.field), r.why);
    }
}

/**
 * What every builder needs, whatever the target: fields that only make sense together. A profile
 * that breaks one would build something other than what it says.
 */
export const PROFILE_REQUIREMENTS: readonly Requirement[] = [
    {
        field: "tls",
        holds: (p) => !p.tls || p.loadBalancer === "nginx",
        why: "TLS is terminated at the edge: it needs loadBalancer \"nginx\"",
    },
    {
        field: "rateLimit",
        holds: (p) => !p.rateLimit || p.loadBalancer === "nginx",
        why: "the rate limit is the edge's: it needs loadBalancer \"nginx\"",
    },
    {
        field: "app.publishEachInstance",
        holds: (p) => p.app.publishEachInstance || p.loadBalancer === "nginx",
        why: "without Nginx the instances themselves are the entry points: publish them, or set loadBalancer \"nginx\"",
    },
    {
        field: "loadBalancer",
        holds: (p) => p.loadBalancer !== "dns-round-robin" || p.app.replicated,
        why: "a DNS round robin over one instance balances nothing: set app.replicated, or loadBalancer \"none\"",
    },
];
