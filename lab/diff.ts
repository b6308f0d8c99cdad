/**
 * What changes from one stage to another, computed, never written by hand: the profile fields that
 * differ, the resources the program registers (under mocks) that appear, disappear or change, and
 * the policies whose enforcement level changes (policy-pack/config/stageN.json's source).
 */
import { LAB_POLICIES } from "../policy-pack/policies";
import { enforcementAt } from "../policy-pack/stage-config";
import type { StageNumber, StageProfile } from "../profiles/profile";
import type { RecordedResource } from "./record";

export interface FieldChange {
    readonly field: string;
    readonly from: unknown;
    readonly to: unknown;
}

export interface ResourceRef {
    readonly type: string;
    readonly name: string;
}

export interface ChangedResource extends ResourceRef {
    /** The top-level inputs whose value differs ("envs", "ports", "healthcheck"). */
    readonly inputs: string[];
}

export interface PolicyChange {
    readonly name: string;
    readonly from: string;
    readonly to: string;
    readonly severity: string;
    readonly why: string;
}

export interface StageDiff {
    readonly from: StageNumber;
    readonly to: StageNumber;
    readonly profile: FieldChange[];
    readonly added: ResourceRef[];
    readonly removed: ResourceRef[];
    readonly changed: ChangedResource[];
    readonly policies: PolicyChange[];
}

/** Profile fields that differ (story aside: every stage tells its own). */
export function profileChanges(a: StageProfile, b: StageProfile): FieldChange[] {
    const flat = (value: unknown, at: string, out: Map<string, unknown>) => {
        if (value && typeof value === "object" && !Array.isArray(value)) {
            for (const [k, v] of Object.entries(value)) flat(v, at ? `${at}.${k}` : k, out);
        } else out.set(at, value);
        return out;
    };
    const skip = new Set(["stage", "title"]);
    const { story: _a, ...restA } = a;
    const { story: _b, ...restB } = b;
    const fa = flat(restA, "", new Map());
    const fb = flat(restB, "", new Map());
    const fields = [...new Set([...fa.keys(), ...fb.keys()])].filter((f) => !skip.has(f));
    return fields
        .filter((f) => JSON.stringify(fa.get(f)) !== JSON.stringify(fb.get(f)))
        .map((field) => ({ field, from: fa.get(field), to: fb.get(field) }));
}

const key = (r: ResourceRef) => `${r.type}::${r.name}`;

/** Stage-specific spellings made equal, so a container is "changed" only if more than its stage differs. */
function normalize(value: unknown, stage: number): string {
    return (JSON.stringify(value) ?? "undefined")
        .replaceAll(`devsecops-s${stage}-`, "devsecops-s#-")
        .replaceAll(`"devsecops-journey/stage","value":"${stage}"`, `"devsecops-journey/stage","value":"#"`)
        .replaceAll(`"value":"${stage}","label":"devsecops-journey/stage"`, `"value":"#","label":"devsecops-journey/stage"`);
}

/** Short type names: "docker:index/container:Container" -> "Container". */
export const shortType = (type: string) => type.split(":").pop() ?? type;

export function resourceChanges(
    a: { stage: number; resources: readonly RecordedResource[] },
    b: { stage: number; resources: readonly RecordedResource[] },
): Pick<StageDiff, "added" | "removed" | "changed"> {
    const inA = new Map(a.resources.map((r) => [key(r), r]));
    const inB = new Map(b.resources.map((r) => [key(r), r]));
    const ref = (r: RecordedResource): ResourceRef => ({ type: r.type, name: r.name });
    const added = b.resources.filter((r) => !inA.has(key(r))).map(ref);
    const removed = a.resources.filter((r) => !inB.has(key(r))).map(ref);
    const changed: ChangedResource[] = [];
    for (const rb of b.resources) {
        const ra = inA.get(key(rb));
        if (!ra) continue;
        const names = [...new Set([...Object.keys(ra.inputs), ...Object.keys(rb.inputs)])].sort();
        const differing = names.filter((n) => normalize(ra.inputs[n], a.stage) !== normalize(rb.inputs[n], b.stage));
        if (differing.length) changed.push({ ...ref(rb), inputs: differing });
    }
    return { added, removed, changed };
}

export function policyChanges(a: StageNumber, b: StageNumber): PolicyChange[] {
    return LAB_POLICIES
        .map((p) => ({ p, from: enforcementAt(a, p), to: enforcementAt(b, p) }))
        .filter(({ from, to }) => from !== to)
        .map(({ p, from, to }) => ({ name: p.meta.name, from, to, severity: p.meta.severity, why: p.meta.why }));
}

export function stageDiff(
    a: { profile: StageProfile; resources: readonly RecordedResource[] },
    b: { profile: StageProfile; resources: readonly RecordedResource[] },
): StageDiff {
    return {
        from: a.profile.stage,
        to: b.profile.stage,
        profile: profileChanges(a.profile, b.profile),
        ...resourceChanges({ stage: a.profile.stage, resources: a.resources }, { stage: b.profile.stage, resources: b.resources }),
        policies: policyChanges(a.profile.stage, b.profile.stage),
    };
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The diff as Markdown (docs) or plain text (CLI): the same lines. */
export function renderDiff(diff: StageDiff): string {
    const lines: string[] = [];
    const list = (title: string, items: string[]) => {
        if (lines.length) lines.push("");
        lines.push(`${title} (${items.length}):`);
        lines.push(...(items.length ? items.map((i) => `- ${i}`) : ["- none"]));
    };
    list("Profile", diff.profile.map((c) => `\`${c.field}\`: ${show(c.from)} → ${show(c.to)}`));
    list("Resources added", diff.added.map((r) => `${shortType(r.type)} \`${r.name}\``));
    list("Resources removed", diff.removed.map((r) => `${shortType(r.type)} \`${r.name}\``));
    list("Resources changed", diff.changed.map((r) => `${shortType(r.type)} \`${r.name}\`: ${r.inputs.join(", ")}`));
    list("Policies", diff.policies.map((p) => `\`${p.name}\` (${p.severity}): ${p.from} → ${p.to}`));
    return lines.join("\n");
}
