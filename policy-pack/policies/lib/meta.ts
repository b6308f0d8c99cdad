import {
    PolicyConfigSchema,
    ResourceValidation,
    ResourceValidationPolicy,
    Severity,
    StackValidation,
    StackValidationPolicy,
} from "@pulumi/policy";
import { StageNumber } from "../../contract";

/** What a reader (and the per-stage config generator) needs to know about a rule besides its check. */
export interface PolicyMeta {
    readonly name: string;
    /** What the rule checks, one line. */
    readonly description: string;
    /** The stage from which the rule is mandatory; before it, it is advisory (config/stageN.json). */
    readonly from: StageNumber;
    readonly severity: Severity;
    /** Why the roadmap and the DevSecOps notes want it, in their words. */
    readonly why: string;
    readonly remediation: string;
    /** Public rule ids the check follows: CIS, KICS, hadolint, Checkov, Trivy, ... */
    readonly anchors: readonly string[];
}

export type PackPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** A policy of the lab's pack: the CrossGuard object the engine runs, and the metadata beside it. */
export interface LabPolicy<P extends PackPolicy = PackPolicy> {
    readonly meta: PolicyMeta;
    readonly policy: P;
}

/** The CrossGuard fields derived from the metadata, so the CLI shows severity, anchors and the fix. */
function base(meta: PolicyMeta) {
    return {
        name: meta.name,
        description: meta.description,
        severity: meta.severity,
        remediationSteps: meta.remediation,
        tags: [`from-stage-${meta.from}`, ...meta.anchors],
    };
}

export function resourcePolicy(
    meta: PolicyMeta,
    check: { validateResource: ResourceValidation; configSchema?: PolicyConfigSchema },
): LabPolicy<ResourceValidationPolicy> {
    return { meta, policy: { ...base(meta), ...check } };
}

export function stackPolicy(
    meta: PolicyMeta,
    check: { validateStack: StackValidation; configSchema?: PolicyConfigSchema },
): LabPolicy<StackValidationPolicy> {
    return { meta, policy: { ...base(meta), ...check } };
}

/** `network "lab-network"`, `deployment "app"`: how messages name a resource, by kind and Pulumi name. */
export function resourceRef(type: string, name: string): string {
    const kind = (type.split(":").pop() ?? type).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
    return `${kind} "${name}"`;
}
