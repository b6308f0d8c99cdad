import { runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { STAGE_NUMBERS } from "../../profiles/profile";
import { SETTINGS, parseImageRef } from "../../program/config";
import { appBaseImage } from "../../lab/needs";
import { TYPES } from "../support/topology";
import { PINNED_USES, loadWorkflow, usesLines, workflowFiles } from "../support/workflows";
import {
    ROOT, RenovateConfig, extract, extractAll, ignored, imageOfDep, loadRenovate, managerReads, re2Compatible, repositoryFiles,
} from "../support/renovate";

/**
 * Every pin the lab has, found from where it is used (the program's resources under mocks, the
 * settings, the Dockerfile, the workflows, the kind files and scripts), not from renovate.json; then
 * renovate.json's own custom managers run over the repository as Renovate runs them
 * (test/support/renovate.ts) must extract each one, from every file that carries a copy of it, so a
 * Renovate pull request moves the pin and its generated copies together.
 */
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

interface Pin { readonly ref: string; readonly from: string }

/** Images a stage's program pulls: RemoteImage names (Docker), every container image (Kubernetes), minus what it builds itself. */
async function programImages(): Promise<Pin[]> {
    const pins: Pin[] = [];
    for (const stage of STAGE_NUMBERS) {
        const run = await runProgram({ stage: String(stage) });
        const built = new Set(run.resources.filter((r) => r.type === TYPES.image).map((r) => String(r.inputs.imageName)));
        const images: string[] = [];
        const walk = (value: unknown): void => {
            if (Array.isArray(value)) value.forEach(walk);
            else if (value && typeof value === "object") {
                for (const [k, v] of Object.entries(value)) k === "image" && typeof v === "string" ? images.push(v) : walk(v);
            }
        };
        for (const r of run.resources) {
            if (r.type === TYPES.remoteImage) images.push(String(r.inputs.name));
            if (r.type.startsWith("kubernetes:")) walk(r.inputs);
        }
        const own = images.filter((i) => !built.has(i));
        assert.ok(own.length > 0, `stage ${stage} pulls no image?`);
        pins.push(...own.map((ref) => ({ ref, from: `stage ${stage}'s resources` })));
    }
    return pins;
}

function workflowImages(): Pin[] {
    const pins: Pin[] = [];
    for (const file of workflowFiles()) {
        const wf = loadWorkflow(file);
        for (const [name, job] of Object.entries(wf.jobs)) {
            // The Trivy job's matrix of pinned images (an entry with build: true is the app, built from app/).
            for (const entry of (job.strategy?.matrix?.include ?? []) as { image?: string; build?: boolean }[]) {
                if (entry.image && !entry.build) pins.push({ ref: entry.image, from: `${file} ${name} matrix` });
            }
            // `docker run [options] <image> ...`: the one word of the command shaped like a reference with a tag.
            for (const step of (job.steps ?? []) as { run?: string }[]) {
                for (const line of (step.run ?? "").split("\n").filter((l) => /\bdocker run\b/.test(l))) {
                    const words = line.split(/\s+/).filter((w) => /^[a-z0-9][\w./-]*:[\w.-]+(@sha256:[0-9a-f]{64})?$/.test(w));
                    assert.equal(words.length, 1, `${file}: which word is the image in: ${line.trim()}`);
                    pins.push({ ref: words[0], from: `${file} ${name}: docker run` });
                }
            }
        }
    }
    return pins;
}

const imagePins = async (): Promise<Pin[]> => [
    ...await programImages(),
    ...Object.entries(SETTINGS as Record<string, { default?: unknown }>).filter(([key, s]) => key.endsWith("Image") && s.default).map(([key, s]) => ({ ref: String(s.default), from: `SETTINGS.${key}` })),
    { ref: appBaseImage()!, from: "app/Dockerfile" },
    ...workflowImages(),
    ...((yaml.load(read("kind-config.yaml")) as any).nodes as { image?: string }[]).filter((n) => n.image).map((n) => ({ ref: n.image!, from: "kind-config.yaml" })),
    ...[...read("scripts/kind-up.sh").matchAll(/\$\{[A-Z_]+_IMAGE:-([^}]+)\}/g)].map((m) => ({ ref: m[1], from: "scripts/kind-up.sh" })),
];

/** Copies of a reference in a text, not counting a longer reference it is part of. */
const copiesOf = (text: string, ref: string) =>
    [...text.matchAll(new RegExp(`(?<![\\w./]|\\w-)${ref.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![\\w.@-])`, "g"))].length;

/** Files that mention a pin as an example, not as what the lab runs: nothing moves with them. */
const EXAMPLES = new Set(["policy-pack/policies/image-pinned.ts", "policy-pack/policies/k8s-image-tag.ts"]);

describe("renovate.json: every pin is one the configuration can see", function () {
    this.timeout(60_000);
    let config: RenovateConfig;
    let pins: Pin[];
    before(async () => {
        config = loadRenovate();
        pins = await imagePins();
    });

    it("has custom managers whose patterns RE2 compiles, each with a datasource and a versioning", () => {
        for (const m of config.customManagers) {
            for (const s of m.matchStrings) assert.ok(re2Compatible(s), `RE2 refuses lookaround and backreferences: ${s}`);
            assert.ok(m.datasourceTemplate && m.versioningTemplate, m.description);
            assert.ok(m.managerFilePatterns.length > 0 && m.description, JSON.stringify(m));
        }
    });

    it("finds the pins of every stage, both targets, the settings, the Dockerfile, the workflows and the kind files", () => {
        const refs = new Set(pins.map((p) => p.ref));
        for (const expected of [SETTINGS.postgresImage.default, SETTINGS.kubectlImage.default, appBaseImage()]) assert.ok(refs.has(String(expected)), String(expected));
        assert.ok(pins.some((p) => p.from.startsWith("stage 6") && p.ref === SETTINGS.prometheusImage.default));
        assert.ok(pins.some((p) => p.from.includes("docker run")), "no docker run image found in the workflows");
        assert.ok([...refs].some((r) => r.startsWith("kindest/node:")));
    });

    it("extracts every pinned image, with its tag and digest, from every file that holds a copy of it", () => {
        const files = repositoryFiles(config).filter((f) => !EXAMPLES.has(f));
        const deps = extractAll(config);
        const problems: string[] = [];
        for (const ref of [...new Set(pins.map((p) => p.ref))].sort()) {
            const parsed = parseImageRef(ref);
            if (!parsed.tag) problems.push(`${ref}: no tag for Renovate to compare`);
            const holders = files.map((f) => ({ f, n: copiesOf(read(f), ref) })).filter((h) => h.n > 0);
            if (!holders.length) problems.push(`${ref} (${pins.filter((p) => p.ref === ref).map((p) => p.from).join(", ")}): in no file Renovate reads`);
            for (const { f, n } of holders) {
                const seen = deps.filter((d) => d.file === f && imageOfDep(d) === ref).length;
                if (seen < n) problems.push(`${f}: ${n} cop${n === 1 ? "y" : "ies"} of ${ref}, ${seen} extracted`);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("extracts the kind, kubectl and metrics-server releases the e2e workflow and scripts/kind-up.sh install", () => {
        const deps = extractAll(config);
        const kindAction = loadWorkflow("e2e.yml").steps("stage").find((s) => s.uses?.startsWith("helm/kind-action@"));
        assert.ok(kindAction?.with, "e2e.yml installs kind with helm/kind-action");
        // helm/kind-action's inputs (its action definition): `version` is the kind release, `kubectl_version` kubectl's.
        for (const [input, depName] of [["version", "kubernetes-sigs/kind"], ["kubectl_version", "kubernetes/kubernetes"]]) {
            const value = String(kindAction.with[input]);
            assert.ok(deps.some((d) => d.file === ".github/workflows/e2e.yml" && d.depName === depName && d.currentValue === value && d.datasource === "github-releases"),
                `${input}: ${value} is not extracted as ${depName}`);
        }
        const script = read("scripts/kind-up.sh");
        const versions = [...script.matchAll(/^(\w+)="\$\{[A-Z_]+_VERSION:-([^}]+)\}"/gm)];
        assert.ok(versions.length > 0);
        for (const [, variable, value] of versions) {
            // The release the variable names is the repository of the download URL it goes into.
            const repo = new RegExp(`github\\.com/([\\w.-]+/[\\w.-]+)/releases/download/\\$\\{${variable}\\}`).exec(script)?.[1];
            assert.ok(repo, `scripts/kind-up.sh: where does ${variable} go?`);
            assert.ok(deps.some((d) => d.file === "scripts/kind-up.sh" && d.depName === repo && d.currentValue === value), `${variable}=${value} is not extracted as ${repo}`);
        }
    });

    it("refuses a pin in a form its matchers do not read (a short digest), so a pin cannot drift out of sight", () => {
        const source = read("program/config.ts");
        const manager = config.customManagers.find((m) => managerReads(m, "program/config.ts"))!;
        const ref = String(SETTINGS.postgresImage.default);
        assert.ok(extract(manager, "program/config.ts", source).some((d) => imageOfDep(d) === ref));
        const broken = source.replace(`"${ref}"`, `"${ref}@sha256:abc"`);
        assert.ok(!extract(manager, "program/config.ts", broken).some((d) => d.depName === parseImageRef(ref).repository));
    });

    it("leaves the GitHub Actions to the github-actions manager, which reads <owner>/<repo>@<SHA> # vX.Y.Z", () => {
        // Renovate's github-actions manager (docs.renovatebot.com/modules/manager/github-actions):
        // default files `/(^|/)(workflow-templates|\.(?:github|gitea|forgejo)/(?:workflows|actions))/.+\.ya?ml$/`;
        // a SHA with a `# vX.Y.Z` comment is updated to the SHA of the new tag, comment included.
        const defaults = /(^|\/)(workflow-templates|\.(?:github|gitea|forgejo)\/(?:workflows|actions))\/.+\.ya?ml$/;
        assert.notEqual((config["github-actions"] as { enabled?: boolean } | undefined)?.enabled, false);
        assert.ok(config.extends?.includes("helpers:pinGitHubActionDigests"), "new actions are pinned by digest too");
        for (const file of workflowFiles()) {
            const rel = `.github/workflows/${file}`;
            assert.match(rel, defaults);
            assert.ok(!ignored(config, rel), rel);
            const lines = usesLines(loadWorkflow(file).raw);
            assert.ok(lines.length > 0);
            for (const l of lines) assert.match(l.text, PINNED_USES, `${rel}:${l.line}`);
        }
    });

    it("leaves npm to the npm manager: the root with app/ as its workspace in one package-lock.json, and policy-pack/ with its shrinkwrap", () => {
        assert.notEqual((config.npm as { enabled?: boolean } | undefined)?.enabled, false);
        const root = JSON.parse(read("package.json"));
        assert.deepEqual(root.workspaces, ["app"]);
        assert.ok(JSON.parse(read("package-lock.json")).packages.app, "package-lock.json locks app/ too");
        assert.ok(fs.existsSync(path.join(ROOT, "policy-pack", "npm-shrinkwrap.json")));
        for (const f of ["package.json", "package-lock.json", "app/package.json", "policy-pack/package.json", "policy-pack/npm-shrinkwrap.json"]) {
            assert.ok(!ignored(config, f), `${f} is in ignorePaths`);
        }
    });

    it("opens one pull request a week: one group for every update, and any other group waits on the Dependency Dashboard", () => {
        assert.deepEqual(config.schedule, ["before 6am on monday"]);
        const [all, ...rest] = config.packageRules;
        assert.deepEqual(all.matchPackageNames, ["*"]);
        assert.ok(all.groupName);
        for (const rule of rest) {
            assert.equal(rule.schedule, undefined, rule.description);
            if (rule.groupName) assert.equal(rule.dependencyDashboardApproval, true, rule.description);
        }
        assert.ok(rest.some((r) => r.matchUpdateTypes?.includes("major") && r.dependencyDashboardApproval), "majors wait for approval");
    });
});
