/**
 * The threat model (lab/threats.ts) is generated from each stage's topology. What it calls covered
 * or open must be what the pack itself says of the same resources, run in-process at stage-6
 * strictness (every policy mandatory), and the journey must only ever close threats.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { stageConfig } from "../../policy-pack/stage-config";
import { STAGES } from "../../profiles/catalog";
import { STAGE_NUMBERS, StageNumber, StageProfile } from "../../profiles/profile";
import { RecordedStage, recordStage } from "../../lab/stages";
import { topologyOf } from "../../lab/topology";
import { RULE_IDS, Threat, ThreatContext, threatModel } from "../../lab/threats";
import { evaluatePack, Violation } from "../support/policy-harness";
import { buildProfile } from "../support/profiles";

const ROOT = path.resolve(__dirname, "../..");
const LAST = STAGE_NUMBERS[STAGE_NUMBERS.length - 1];

async function modelOf(profile: StageProfile): Promise<{ ctx: ThreatContext; threats: Threat[] }> {
    const run = await buildProfile(profile);
    const ctx = { profile, resources: run.resources, topology: topologyOf(profile.target, run.resources) };
    return { ctx, threats: threatModel(ctx) };
}

/**
 * Where the model and the pack disagree on purpose, each with why: a gap of the pack the model shows.
 * The test fails when one closes, so the list stays true.
 */
const PACK_GAPS: Record<string, string> = {
    // tls-at-edge reads an edge's nginx.conf; an app published directly (stages 1-2) has none, so the
    // pack passes plaintext HTTP to the host that the model rightly calls open.
    "entry-plaintext host → app": "tls-at-edge judges only an nginx edge, not an app published without one",
};
const gapKey = (t: Threat) => `${t.rule} ${t.subject.split(" (")[0]}`;

const find = (threats: readonly Threat[], rule: string, subject?: RegExp) =>
    threats.filter((t) => t.rule === rule && (!subject || subject.test(t.subject)));

describe("docs: the threat model, generated from each stage's topology", () => {
    const recorded = new Map<StageNumber, RecordedStage>();
    const models = new Map<StageNumber, Threat[]>();
    before(async () => {
        for (const stage of STAGE_NUMBERS) {
            const r = await recordStage(stage);
            recorded.set(stage, r);
            models.set(stage, threatModel(r));
        }
    });

    it("names only policies the pack has and tests that exist, and uses every rule somewhere", () => {
        const names = new Set(LAB_POLICIES.map((p) => p.meta.name));
        const used = new Set<string>();
        for (const threats of models.values()) {
            for (const t of threats) {
                used.add(t.rule);
                for (const policy of Object.values(t.control.policies ?? {}).flat()) assert.ok(names.has(policy), `${t.rule}: ${policy}`);
                if (t.control.evidence) assert.ok(fs.existsSync(path.join(ROOT, t.control.evidence)), `${t.rule}: ${t.control.evidence}`);
                assert.ok(t.resources.length > 0, `${t.rule} on ${t.subject} points at no resource`);
            }
        }
        assert.deepEqual(RULE_IDS.filter((id) => !used.has(id)), [], "rules no stage's topology gives a subject to");
    });

    it("calls covered exactly what the pack at stage-6 strictness passes, and open what it flags, on the same resources", async () => {
        const disagreements: string[] = [];
        const gaps = new Set<string>();
        let compared = 0;
        for (const [stage, threats] of models) {
            const r = recorded.get(stage)!;
            const verdict = await evaluatePack(r, stageConfig(LAST));
            const flagged = (policy: string, resources: readonly string[]) =>
                verdict.mandatory.some((v: Violation) => v.policy === policy && v.resource !== undefined && resources.includes(v.resource));
            for (const t of threats) {
                const policies = t.control.policies?.[r.topology.target] ?? [];
                if (policies.length === 0) continue;
                compared++;
                const flags = policies.filter((p) => flagged(p, t.resources));
                if (t.covered && flags.length) disagreements.push(`stage ${stage}: ${t.rule} on ${t.subject} is covered, but the pack flags ${flags.join(", ")}`);
                if (!t.covered && !flags.length && gapKey(t) in PACK_GAPS) { gaps.add(gapKey(t)); continue; }
                if (!t.covered && !flags.length) disagreements.push(`stage ${stage}: ${t.rule} on ${t.subject} is open, but the pack flags none of ${policies.join(", ")}`);
            }
        }
        assert.deepEqual(disagreements, []);
        assert.deepEqual([...gaps].sort(), Object.keys(PACK_GAPS).sort(), "a listed gap of the pack no longer shows: take it off the list");
        assert.ok(compared >= 50, `compared ${compared} threats with the pack`);
    });

    it("grows with the topology and only ever closes: nothing covered at a stage is open at the next on the same target", () => {
        const regressions: string[] = [];
        for (const stage of STAGE_NUMBERS.slice(1)) {
            const before = models.get((stage - 1) as StageNumber)!;
            if (recorded.get((stage - 1) as StageNumber)!.topology.target !== recorded.get(stage)!.topology.target) continue;
            for (const t of models.get(stage)!) {
                const was = before.find((b) => b.rule === t.rule && b.subject.split(" (")[0] === t.subject.split(" (")[0]);
                if (was?.covered && !t.covered) regressions.push(`stage ${stage}: ${t.rule} on ${t.subject}`);
            }
        }
        assert.deepEqual(regressions, []);
        const figures = STAGE_NUMBERS.map((s) => {
            const threats = models.get(s)!;
            return `stage ${s} ${threats.filter((t) => t.covered).length}/${threats.length} covered`;
        });
        // The journey in one line: more to defend as the stages grow, less of it open.
        console.log(`      [figures] threat model: ${figures.join(", ")}`);
        const openShare = (s: StageNumber) => models.get(s)!.filter((t) => !t.covered).length / models.get(s)!.length;
        assert.ok(openShare(4) < openShare(3) && openShare(3) < openShare(1), `open share: ${STAGE_NUMBERS.map((s) => openShare(s).toFixed(2)).join(" ")}`);
        assert.ok(models.get(4)!.length > models.get(1)!.length, "stage 4 has more to defend than stage 1");
    });

    it("opens the threats a realistic mutation of stage 4 brings back: no TLS, no rate limit, the database published", async () => {
        const stage4 = STAGES.get(4)!;
        const { threats } = await modelOf({ ...stage4, tls: false, rateLimit: false });
        assert.equal(find(threats, "entry-plaintext", /^host → nginx/)[0]?.covered, false, "plaintext at the edge");
        assert.equal(find(threats, "entry-flood", /^host → nginx/)[0]?.covered, false, "no rate limit");
        assert.equal(find(models.get(4)!, "entry-plaintext", /^host → nginx/)[0]?.covered, true, "stage 4 itself has TLS");

        const stage3 = STAGES.get(3)!;
        const published = await modelOf({ ...stage3, database: { ...stage3.database, publish: true } });
        const exposed = find(published.threats, "entry-data-exposed", /postgres-primary/);
        assert.equal(exposed.length, 1, "a published database is an entry point of the data tier");
        assert.equal(exposed[0].covered, false);
        assert.deepEqual(find(models.get(3)!, "entry-data-exposed"), [], "stage 3 itself publishes no database");
    });

    it("reads a hop's TLS from the client's own settings: the app's CA file, the replica's sslmode, Vault's https address", async () => {
        const stage4 = STAGES.get(4)!;
        const plain = await modelOf(stage4);
        const run = await buildProfile(stage4);
        // The same resources, with the app given a CA file (what the app reads to speak TLS: app/src/config.ts).
        const withCa = run.resources.map((r) => r.type === "docker:index/container:Container" && Array.isArray(r.inputs.envs) && r.inputs.envs.some((e: string) => e.startsWith("APP_INSTANCE="))
            ? { ...r, inputs: { ...r.inputs, envs: [...r.inputs.envs, "TLS_CA_FILE=/run/secrets/ca.crt"] } }
            : r);
        const ctx = { profile: stage4, resources: withCa, topology: topologyOf("docker", withCa) };
        const tls = threatModel(ctx);
        for (const to of ["postgres-primary: writes", "postgres-replica: reads", "redis"]) {
            const re = new RegExp(`^app → ${to}`);
            assert.equal(find(plain.threats, /redis/.test(to) ? "flow-plaintext" : "flow-plaintext-sql", re)[0]?.covered, false, `${to} in plaintext at stage 4 today`);
            assert.equal(find(tls, /redis/.test(to) ? "flow-plaintext" : "flow-plaintext-sql", re)[0]?.covered, true, `${to} with the CA file`);
        }
        assert.equal(find(tls, "flow-plaintext-sql", /^postgres-replica/)[0]?.covered, false, "the replica's hop is its own setting");
    });

    it("reads the database's audit trail off its settings: connections and DDL logged", async () => {
        const stage4 = STAGES.get(4)!;
        const run = await buildProfile(stage4);
        const audited = run.resources.map((r) => r.type === "docker:index/container:Container" && Array.isArray(r.inputs.command) && r.inputs.command.includes("log_connections=on")
            ? { ...r, inputs: { ...r.inputs, command: [...r.inputs.command, "-c", "log_statement=ddl"] } }
            : r);
        const before = threatModel({ profile: stage4, resources: run.resources, topology: topologyOf("docker", run.resources) });
        const after = threatModel({ profile: stage4, resources: audited, topology: topologyOf("docker", audited) });
        assert.equal(find(before, "flow-no-audit")[0]?.covered, false, "connections are logged, DDL is not");
        assert.equal(find(after, "flow-no-audit")[0]?.covered, true);
    });
});
