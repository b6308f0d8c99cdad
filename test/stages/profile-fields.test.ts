import { ProgramRun, recordRunExpectingError } from "../support/mocks";
import { buildProfile, labFor } from "../support/profiles";
import * as assert from "node:assert/strict";
import { deployStage } from "../../builders";
import { ProfileRefusal } from "../../builders/refusal";
import { STAGES } from "../../profiles/catalog";
import { POD_SECURITY_LEVELS, PROFILE_CHOICES, StageProfile } from "../../profiles/profile";
import { stage5 } from "../../profiles/stage5";
import { stage6 } from "../../profiles/stage6";
import { LabConfigError } from "../../program/config";

/**
 * One description of a stage, really: every field of every profile means something to the builder
 * of its target. Each field is flipped alone (a boolean negated, a choice set to each other value,
 * a number moved by one each way, an optional block dropped or added); the builder must then either
 * build a different program (resources or outputs) or refuse the profile, before any resource, with
 * one line naming a field. A field that changes nothing is a field the builder ignores, which is
 * what this test exists to catch.
 *
 * `story` is words (the pages and outputs read it), not a setting, and is not flipped.
 */

/** Every choice field's values, by its last path segment. */
const CHOICES: Record<string, readonly string[]> = { ...PROFILE_CHOICES, podSecurity: POD_SECURITY_LEVELS };

/** What an absent optional block becomes when flipped on: the one the lab itself uses. */
const SAMPLES: Record<string, unknown> = {
    kubernetes: stage5.kubernetes,
    chaos: stage6.kubernetes!.chaos,
    slo: stage6.kubernetes!.slo,
    backup: stage6.kubernetes!.backup,
};

const OPTIONAL = new Set(["kubernetes", "chaos", "slo", "backup"]);

interface Flip { readonly field: string; readonly to: unknown; readonly profile: StageProfile }

function setAt(profile: StageProfile, path: string[], value: unknown): StageProfile {
    const [head, ...rest] = path;
    const copy: any = { ...(profile as any) };
    if (rest.length === 0) {
        if (value === undefined) delete copy[head];
        else copy[head] = value;
    } else {
        copy[head] = setAt(copy[head], rest, value);
    }
    return copy;
}

function variants(key: string, value: unknown): unknown[] {
    if (typeof value === "boolean") return [!value];
    if (typeof value === "number") return [value + 1, value - 1];
    if (typeof value === "string" && CHOICES[key]) return CHOICES[key].filter((v) => v !== value);
    if (typeof value === "string") return [`${value} (flipped)`];
    return [];
}

/** Every single-field change of a profile. */
export function flips(profile: StageProfile): Flip[] {
    const out: Flip[] = [];
    const walk = (value: any, path: string[]) => {
        for (const key of Object.keys(value)) {
            const at = [...path, key];
            if (at.join(".") === "story") continue;
            const v = value[key];
            if (OPTIONAL.has(key)) out.push({ field: at.join("."), to: undefined, profile: setAt(profile, at, undefined) });
            if (v !== null && typeof v === "object") walk(v, at);
            else for (const to of variants(key, v)) out.push({ field: at.join("."), to, profile: setAt(profile, at, to) });
        }
        // Optional blocks this profile lacks, where their parent exists.
        const absent = path.length === 0 ? ["kubernetes"] : path.join(".") === "kubernetes" ? ["chaos", "slo", "backup"] : [];
        for (const key of absent) {
            if (value[key] === undefined) out.push({ field: [...path, key].join("."), to: SAMPLES[key], profile: setAt(profile, [...path, key], SAMPLES[key]) });
        }
    };
    walk(profile, []);
    return out;
}

/** The program as the engine would get it: each resource's type, name, parent, inputs and dependencies, and the outputs. */
function fingerprint(run: ProgramRun): string {
    const sorted = (v: any): any => Array.isArray(v) ? v.map(sorted)
        : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v;
    return JSON.stringify(sorted({
        resources: run.resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent, inputs: r.inputs, dependsOn: [...r.dependsOn].sort() })),
        outputs: run.outputs,
    }));
}

async function build(profile: StageProfile): Promise<{ run?: ProgramRun; refusal?: Error }> {
    try {
        return { run: await buildProfile(profile) };
    } catch (error) {
        if (process.env.LAB_FLIPS_VERBOSE) console.log(`      refused: ${(error as Error).message}`);
        return { refusal: error as Error };
    }
}

describe("every profile field means something to its builder (flipped one at a time, on both targets)", function () {
    this.timeout(120_000);
    const tally = { built: 0, refused: 0 };
    after(() => console.log(`      [figures] profile flips: ${tally.built} built a different program, ${tally.refused} refused in one line`));

    for (const profile of STAGES.values()) {
        it(`stage ${profile.stage} (${profile.target}): each flip builds something else or is refused in one line`, async () => {
            const base = await build(profile);
            assert.ok(base.run, `stage ${profile.stage} itself is refused: ${base.refusal?.message}`);
            const baseline = fingerprint(base.run);
            const all = flips(profile);
            assert.ok(all.length >= 15, `only ${all.length} flips: the walk missed fields`);
            for (const flip of all) {
                const what = `stage ${profile.stage}: ${flip.field} -> ${JSON.stringify(flip.to)}`;
                const result = await build(flip.profile);
                if (result.refusal) {
                    const message = result.refusal.message;
                    // A profile refusal, or a setting the flipped profile makes wrong (a port it now publishes twice).
                    assert.ok(result.refusal instanceof ProfileRefusal || result.refusal instanceof LabConfigError,
                        `${what}: refused with a bug, not a refusal: ${result.refusal.stack}`);
                    assert.ok(!message.includes("\n"), `${what}: a refusal is one line: ${message}`);
                    tally.refused++;
                } else {
                    assert.notEqual(fingerprint(result.run!), baseline, `${what}: the builder built the same program, so it ignores the field`);
                    tally.built++;
                }
            }
        });
    }

    it("refuses before any resource exists, naming the field, its value and the reason", async () => {
        const env = { ...stage5, secretsFrom: "env" as const };
        const { refusal } = await build(env);
        assert.ok(refusal instanceof ProfileRefusal);
        assert.equal(refusal.message, 'stage 5\'s profile: secretsFrom = "env": the Kubernetes builder always runs Vault: secretsFrom must be "vault"');
        const { resources } = await recordRunExpectingError(() => deployStage(labFor(env)) as any);
        assert.deepEqual(resources, [], "nothing registered");
    });

    it("walks every kind of field: booleans, choices, numbers, strings and optional blocks", () => {
        const fields = new Set(flips(stage6).map((f) => f.field));
        for (const f of ["cache", "tls", "database.replica", "loadBalancer", "kubernetes.podSecurity", "kubernetes.networkPolicy",
            "kubernetes.autoscale.min", "kubernetes.chaos", "kubernetes.chaos.schedule", "kubernetes.slo", "kubernetes.backup", "kubernetes.backup.keep", "kubernetes", "title", "stage", "target"]) {
            assert.ok(fields.has(f), f);
        }
        assert.deepEqual(flips(stage5).filter((f) => f.field === "kubernetes.podSecurity").map((f) => f.to), ["privileged", "baseline"]);
    });
});
