import { ProgramRun, runProgram } from "../support/mocks";
import { buildProfile } from "../support/profiles";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { PolicyPackConfig } from "@pulumi/policy";
import { configPath } from "../../policy-pack/stage-config";
import { STAGES } from "../../profiles/catalog";
import { StageNumber } from "../../profiles/profile";
import { PackResult, StageResult, evaluatePack, evaluateStage } from "../support/policy-harness";
import { SERVICES } from "../../program/names";
import { appInstances, container } from "../support/topology";

/** The checked-in file the CLI reads (`--policy-pack-config`); pack.test.ts keeps it current. */
const configOf = (stage: StageNumber): PolicyPackConfig => JSON.parse(fs.readFileSync(configPath(stage), "utf8"));
const names = (r: PackResult, level: "advisory" | "mandatory") => [...new Set(r[level].map((v) => v.policy))].sort();

/**
 * Each stage's advisories, by the lesson (story.lessons) that describes them. `lesson: undefined`
 * marks advisories no lesson of that stage states yet; `policies: []` a lesson no policy checks.
 */
const HARDENING = { lesson: /Postgres starts as root .* writable root filesystem, the default capabilities, privilege escalation allowed and no memory or CPU limits/,
    policies: ["docker-non-root", "docker-readonly-rootfs", "docker-caps-drop-all", "docker-no-new-privileges", "docker-limits"] };
const LESSONS: Record<1 | 2 | 3, { lesson: RegExp; policies: string[] }[]> = {
    1: [
        { lesson: /single point of failure\), and no replica/, policies: ["no-single-point-of-failure", "database-replicated"] },
        { lesson: /app and the database publish their ports on every interface/, policies: ["data-ports-not-published", "docker-ports-localhost"] },
        { lesson: /password reaches the app as a plain environment variable/, policies: ["docker-no-plaintext-secret-env"] },
        { lesson: /No restart policy \(only the app.s image brings a health check of its own\)/, policies: ["docker-healthcheck", "docker-restart-policy"] },
        HARDENING,
        { lesson: /One flat network/, policies: ["data-network-internal"] },
    ],
    2: [
        // A lesson of behaviour, shown by stopping an instance, not a setting a policy can read.
        { lesson: /DNS round robin is not load balancing/, policies: [] },
        { lesson: /both databases publish their ports on every interface/, policies: ["data-ports-not-published", "docker-ports-localhost"] },
        { lesson: /Passwords reach the containers as plain environment variables/, policies: ["docker-no-plaintext-secret-env"] },
        { lesson: /No restart policy \(only the app.s image brings a health check of its own\)/, policies: ["docker-healthcheck", "docker-restart-policy"] },
        HARDENING,
        { lesson: /One flat network/, policies: ["data-network-internal"] },
    ],
    3: [
        { lesson: /plain HTTP, even at the edge/, policies: ["tls-at-edge"] },
        { lesson: /One flat network/, policies: ["data-network-internal"] },
        // "Redis has no password" is part of this lesson; no policy reads cache auth (stage 4 tests it for real).
        { lesson: /Passwords reach the containers as plain environment variables; Redis has no password/, policies: ["docker-no-plaintext-secret-env"] },
        HARDENING,
    ],
};

for (const stage of [1, 2, 3] as const) {
    describe(`stage ${stage} through the policy pack`, () => {
        let run: ProgramRun;
        let both: StageResult;
        let result: PackResult;
        before(async () => {
            run = await runProgram({ stage: String(stage) });
            both = await evaluateStage(run, configOf(stage));
            result = both.up;
        });

        it("passes every mandatory policy with its config file, at preview and at up", () => {
            assert.deepEqual(both.failures, []);
        });
        it("shows as advisories exactly what its lessons describe", () => {
            assert.deepEqual(names(result, "advisory"), LESSONS[stage].flatMap((l) => l.policies).sort());
        });
        it("tells every lesson of its story, one lesson per entry", () => {
            const lessons = STAGES.get(stage)!.story.lessons;
            assert.equal(lessons.length, LESSONS[stage].length);
            for (const { lesson } of LESSONS[stage]) assert.equal(lessons.filter((l) => lesson.test(l)).length, 1, `${lesson} in stage ${stage}`);
        });
        it("shows its lessons at preview too, inventing none and leaving nothing to up", async () => {
            const { preview } = both;
            // The program says `internal` on every network, so nothing waits for up.
            assert.deepEqual(preview.previewSkips.map((v) => v.policy), []);
            const seen = new Set(result.advisory.map((v) => `${v.policy} ${v.message}`));
            assert.deepEqual(preview.advisory.filter((v) => !seen.has(`${v.policy} ${v.message}`)), []);
            const shown = new Set([...preview.advisory, ...preview.previewSkips].map((v) => v.policy));
            assert.deepEqual(names(result, "advisory").filter((p) => !shown.has(p)), [], "an advisory of up that preview hides");
        });
    });
}

describe("stage 2 under a stage-3 rule made mandatory", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "2" });
    });

    it("fails docker-ports-localhost on every instance and both databases", async () => {
        const result = await evaluatePack(run, { ...configOf(2), "docker-ports-localhost": "mandatory" });
        assert.deepEqual(names(result, "mandatory"), ["docker-ports-localhost"]);
        assert.deepEqual(result.mandatory.map((v) => v.resource).sort(), ["app-1", "app-2", "app-3", "database-primary", "database-replica"]);
        assert.match(result.mandatory[0].message, /is published on 0\.0\.0\.0, so any machine that reaches the host reaches it; set ip: "127\.0\.0\.1"$/);
    });
    it("fails stage 3's whole config: health checks, restarts, published ports", async () => {
        const result = await evaluatePack(run, configOf(3));
        assert.deepEqual(names(result, "mandatory"),
            ["data-ports-not-published", "docker-healthcheck", "docker-ports-localhost", "docker-restart-policy"]);
    });
});

describe("stage 4 through the policy pack", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "4" });
    });

    it("passes every mandatory policy with its config file at preview and at up, and shows no advisory (its lessons are learnt)", async () => {
        const { preview, up, failures } = await evaluateStage(run, configOf(4));
        assert.deepEqual(failures, []);
        assert.deepEqual([...preview.advisory, ...preview.previewSkips, ...up.advisory].map((v) => `${v.policy}: ${v.message}`), []);
        assert.deepEqual(STAGES.get(4)!.story.lessons, []);
    });
    // The stage page's "Break the rules in code": a learner edits profiles/stage4.ts and runs a
    // preview of a fresh stack, where every generated password and image id is still unknown.
    for (const [edit, expected] of [
        [{ secretsFrom: "env" }, ["docker-no-plaintext-secret-env"]],
        [{ hardening: false }, ["docker-caps-drop-all", "docker-limits", "docker-no-new-privileges", "docker-non-root", "docker-readonly-rootfs"]],
    ] as const) {
        it(`fails the preview of a fresh stack when the profile sets ${JSON.stringify(edit)} (the page's break-it exercise)`, async () => {
            const edited = await buildProfile({ ...STAGES.get(4)!, ...edit });
            const { preview } = await evaluateStage(edited, configOf(4));
            assert.deepEqual(names(preview, "mandatory").filter((p) => (expected as readonly string[]).includes(p)), [...expected].sort());
        });
    }
    it("fails a deliberately broken variant with the expected messages", async () => {
        const app = appInstances(run)[0];
        const database = container(run, SERVICES.postgresPrimary);
        const broken = run.resources.map((r) => {
            if (r.name === app && r.type === "docker:index/container:Container") return { ...r, inputs: { ...r.inputs, user: "root" } };
            if (r === database) {
                const ports = [{ internal: 5432, external: 15432, ip: "0.0.0.0", protocol: "tcp" }];
                return { ...r, inputs: { ...r.inputs, ports }, state: { ...r.state, ports } };
            }
            return r;
        });
        const result = await evaluatePack({ resources: broken }, configOf(4));
        const messages = result.mandatory.map((v) => `${v.policy} ${v.detail}`);
        assert.ok(messages.includes(`docker-non-root container "${app}": user "root" is root; set user to an unprivileged uid:gid (e.g. "10001:10001")`), messages.join("\n"));
        assert.ok(messages.some((m) => m.startsWith(`data-ports-not-published container "${database.name}" (postgres, a data service) publishes ports[0] 0.0.0.0:15432->5432`)));
        assert.ok(messages.some((m) => m.startsWith(`docker-ports-localhost container "${database.name}": ports[0] (0.0.0.0:15432->5432) is published on 0.0.0.0`)));
    });
});
