/**
 * `npm run lab -- diff A B` and the pages' "what changed" sections: computed from the profiles, the
 * program under mocks and the pack's metadata; checked here for every consecutive pair of stages.
 */
import * as assert from "node:assert/strict";
import { LAB_POLICIES } from "../../policy-pack/policies";
import { STAGES } from "../../profiles/catalog";
import { STAGE_NUMBERS, StageNumber } from "../../profiles/profile";
import { StageDiff, profileChanges, renderDiff, stageDiff } from "../../lab/diff";
import { RecordedStage, recordStage } from "../../lab/stages";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const names = (refs: readonly { type: string; name: string }[], type: string) => refs.filter((r) => r.type === type).map((r) => r.name).sort();

describe("docs: diff between stages, computed", () => {
    const recorded = new Map<StageNumber, RecordedStage>();
    const diff = (a: StageNumber, b: StageNumber): StageDiff => stageDiff(recorded.get(a)!, recorded.get(b)!);
    before(async () => {
        for (const stage of STAGES.keys()) recorded.set(stage, await recordStage(stage));
    });

    it("finds nothing between a stage and itself", () => {
        for (const stage of STAGES.keys()) {
            const d = diff(stage, stage);
            assert.deepEqual([d.profile, d.added, d.removed, d.changed, d.policies], [[], [], [], [], []], `stage ${stage}`);
        }
    });

    it("for every consecutive pair: added and removed are exactly the resources one has and the other lacks", () => {
        const stages = [...STAGES.keys()];
        for (let i = 1; i < stages.length; i++) {
            const [a, b] = [stages[i - 1], stages[i]];
            const d = diff(a, b);
            const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
            const inA = new Set(recorded.get(a)!.resources.map(key));
            const inB = new Set(recorded.get(b)!.resources.map(key));
            assert.deepEqual(d.added.map(key).sort(), [...inB].filter((k) => !inA.has(k)).sort(), `${a}->${b} added`);
            assert.deepEqual(d.removed.map(key).sort(), [...inA].filter((k) => !inB.has(k)).sort(), `${a}->${b} removed`);
            // Every policy whose stage is b turns mandatory there, and only those (plus the whole pack at the last stage).
            const last = b === STAGE_NUMBERS[STAGE_NUMBERS.length - 1];
            const expected = LAB_POLICIES.filter((p) => (last ? p.meta.from > a : p.meta.from > a && p.meta.from <= b)).map((p) => p.meta.name).sort();
            assert.deepEqual(d.policies.map((p) => p.name).sort(), expected, `${a}->${b} policies`);
            assert.ok(d.policies.every((p) => p.from === "advisory" && p.to === "mandatory"));
            assert.deepEqual(d.profile, profileChanges(STAGES.get(a)!, STAGES.get(b)!));
        }
    });

    it("1 → 2: a replica and more app instances, nothing removed", () => {
        const d = diff(1, 2);
        assert.deepEqual(d.profile.map((c) => c.field), ["app.replicated", "database.replica", "loadBalancer"]);
        assert.deepEqual(names(d.added, CONTAINER), ["app-2", "app-3", "database-replica"]);
        assert.deepEqual(d.removed, []);
        assert.deepEqual(d.changed.find((c) => c.name === "app-1")?.inputs, ["envs", "networksAdvanced"], "app-1 learns the replica's address and joins the round robin");
        assert.ok(d.policies.some((p) => p.name === "no-single-point-of-failure"));
    });

    it("2 → 3: Nginx and Redis come, the app instances stop publishing their ports", () => {
        const d = diff(2, 3);
        assert.deepEqual(names(d.added, CONTAINER), ["cache-server", "edge-nginx"]);
        for (const app of ["app-1", "app-2", "app-3"]) assert.ok(d.changed.find((c) => c.name === app)!.inputs.includes("ports"), app);
        assert.ok(d.changed.find((c) => c.name === "database-primary")!.inputs.includes("ports"));
        assert.deepEqual(d.profile.find((c) => c.field === "loadBalancer"), { field: "loadBalancer", from: "dns-round-robin", to: "nginx" });
    });

    it("3 → 4: the flat network goes, three tier networks and Vault come, TLS and hardening turn mandatory", () => {
        const d = diff(3, 4);
        assert.deepEqual(names(d.removed, NETWORK), ["tiers-flat"]);
        assert.deepEqual(names(d.added, NETWORK), ["tiers-app", "tiers-data", "tiers-edge"]);
        assert.ok(names(d.added, CONTAINER).includes("secrets-server") && names(d.added, CONTAINER).includes("secrets-bootstrap"));
        assert.ok(d.changed.find((c) => c.name === "app-1")!.inputs.includes("readOnly"));
        for (const p of ["tls-at-edge", "docker-non-root", "data-network-internal"]) assert.ok(d.policies.some((x) => x.name === p), p);
        assert.ok(d.profile.some((c) => c.field === "secretsFrom" && c.from === "env" && c.to === "vault"));
    });

    it("a stage-specific name alone is not a change", () => {
        const d = diff(2, 3);
        assert.ok(!d.changed.some((c) => c.name === "database-primary-data" || (c.inputs.length === 1 && c.inputs[0] === "name")));
    });

    it("4 → 5 (when stage 5 exists): every Docker resource goes, the Kubernetes ones come", function () {
        if (!STAGES.has(5)) this.skip();
        const d = diff(4, 5);
        assert.equal(names(d.removed, CONTAINER).length, recorded.get(4)!.resources.filter((r) => r.type === CONTAINER).length);
        assert.ok(d.added.some((r) => r.type.startsWith("kubernetes:")));
        assert.deepEqual(d.profile.find((c) => c.field === "target"), { field: "target", from: "docker", to: "kubernetes" });
    });

    it("renders as lines a learner reads", () => {
        const text = renderDiff(diff(1, 2));
        assert.match(text, /^Profile \(3\):\n- `app\.replicated`: false → true/);
        assert.match(text, /^Resources added \(5\):$/m);
        assert.match(text, /^- Container `database-replica`$/m);
        assert.match(text, /^Resources removed \(0\):\n- none\n\nResources changed/m);
        assert.match(text, /^- Container `app-1`: envs, networksAdvanced$/m);
        assert.match(text, /^- `no-single-point-of-failure` \(high\): advisory → mandatory$/m);
    });
});
