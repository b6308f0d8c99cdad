/**
 * The learner's pages, docs/stages/N-<slug>.md: their generated parts come from the profiles, the
 * program under mocks (diagram, what to try, what changed), profiles/verify.ts and the policy pack's
 * metadata; each sits between markers, so the hand-written prose around them (what to break, the
 * roadmap mapping) survives regeneration. `npm run docs` writes them; a test fails when stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LAB_POLICIES } from "../policy-pack/policies";
import { enforcementAt } from "../policy-pack/stage-config";
import { STAGES } from "../profiles/catalog";
import { StageNumber, StageProfile } from "../profiles/profile";
import { CHECKS, checksFor } from "../profiles/verify";
import { commandLine, stackName } from "../lab/plan";
import { renderDiff, stageDiff } from "../lab/diff";
import { stageNeeds } from "../lab/needs";
import { renderMermaid } from "./mermaid";
import { RecordedStage, recordStage } from "../lab/stages";
import { roadmapTable } from "../profiles/roadmap";
import { threatModel, threatTable } from "../lab/threats";

export const DOCS_DIR = path.resolve(__dirname, "..", "docs", "stages");

const begin = (section: string) => `<!-- BEGIN GENERATED: ${section} (npm run docs rewrites this part) -->`;
const end = (section: string) => `<!-- END GENERATED: ${section} -->`;
const block = (section: string, body: string) => `${begin(section)}\n${body.trim()}\n${end(section)}`;

export const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Every stage, each with its page. */
export function documentedStages(): { stage: StageNumber; title: string }[] {
    return [...STAGES].map(([stage, profile]) => ({ stage, title: profile.title }));
}

function profileOf(stage: StageNumber): StageProfile {
    const profile = STAGES.get(stage);
    if (!profile) throw new Error(`profiles/catalog.ts has no profile for stage ${stage}`);
    return profile;
}

export const pageName = (stage: StageNumber, title: string) => `${stage}-${slug(title)}.md`;

const HEADINGS = {
    break: "## What to break, and what should happen",
    mapping: "## What a laptop cannot show: a mapping",
} as const;

/** The hand-written sections a new page starts with; the prose is the author's from then on. */
const skeleton = {
    break: (stage: StageNumber) => [
        HEADINGS.break,
        "",
        `_Not written yet: what a learner breaks in stage ${stage}, and what the stage does about it._`,
    ].join("\n"),
    mapping: (stage: StageNumber) => [
        HEADINGS.mapping,
        "",
        `_Not written yet: the roadmap items of stage ${stage} that need a cloud or an organisation, and what in the lab stands for them._`,
    ].join("\n"),
};

function policiesSection(stage: StageNumber): string {
    const at = LAB_POLICIES.map((p) => ({ p, level: enforcementAt(stage, p), before: stage > 1 ? enforcementAt((stage - 1) as StageNumber, p) : "advisory" }));
    const newly = at.filter((x) => x.level === "mandatory" && x.before !== "mandatory");
    const already = at.filter((x) => x.level === "mandatory" && x.before === "mandatory");
    // Advisories of a later stage on another target (or one not built yet) say nothing about this one.
    const target = STAGES.get(stage)?.target;
    const elsewhere = (x: (typeof at)[number]) => STAGES.get(x.p.meta.from)?.target !== target;
    const advisory = at.filter((x) => x.level !== "mandatory" && !elsewhere(x));
    const later = at.filter((x) => x.level !== "mandatory" && elsewhere(x));
    const row = (x: (typeof at)[number]) =>
        `| \`${x.p.meta.name}\` | ${x.p.meta.severity} | ${x.p.meta.description} | ${x.p.meta.why} |`;
    const lines = [
        "## The policies that apply, and why",
        "",
        `\`policy-pack/config/stage${stage}.json\` (generated from each policy's metadata) sets what \`npm run lab -- preview ${stage}\` enforces: ` +
            "a mandatory violation stops the preview, an advisory one is printed.",
        "",
    ];
    const table = (title: string, rows: typeof at) => {
        lines.push(`**${title}** (${rows.length})`, "");
        if (rows.length === 0) {
            lines.push("none", "");
            return;
        }
        lines.push("| policy | severity | checks | why |", "|---|---|---|---|", ...rows.map(row), "");
    };
    table(stage === 1 ? "Mandatory from the start" : "Mandatory from this stage", newly);
    if (already.length) lines.push(`**Already mandatory** (${already.length}): ${already.map((x) => `\`${x.p.meta.name}\``).join(", ")}`, "");
    table("Advisory here: what the pack still reports without stopping you", advisory);
    if (later.length) {
        lines.push(`**For later stages on another target, or not built yet** (${later.length}): ` +
            `${later.map((x) => `\`${x.p.meta.name}\` (stage ${x.p.meta.from})`).join(", ")}`, "");
    }
    return lines.join("\n");
}

function runSection(stage: StageNumber): string {
    const checks = checksFor(stage);
    return [
        "## What to run",
        "",
        "```sh",
        // Not a plain `kind create cluster`: it lacks the registry, the port mappings and metrics-server.
        ...(STAGES.get(stage)?.target === "kubernetes"
            ? ["scripts/kind-up.sh             # once: the kind cluster, its registry and metrics-server (--delete removes them)"]
            : []),
        `npm run lab -- up ${stage}        # ${commandLine("up", stage)} (creates stack ${stackName(stage)} on first use)`,
        `npm run lab -- verify ${stage}    # the smoke checks below, against what runs`,
        `npm run lab -- preview ${stage}   # ${commandLine("preview", stage)}`,
        ...(stage > 1 && STAGES.has((stage - 1) as StageNumber) ? [`npm run lab -- diff ${stage - 1} ${stage}    # what this stage changes`] : []),
        `npm run lab -- down ${stage}      # ${commandLine("destroy", stage)}`,
        "```",
        "",
        `\`verify\` checks (${checks.length}, from \`profiles/verify.ts\`):`,
        "",
        ...checks.map((id) => `- ${CHECKS[id]} (\`${id}\`)`),
    ].join("\n");
}

function needsSection(stage: StageNumber, recorded: RecordedStage): string {
    const needs = stageNeeds(recorded.profile.target, recorded.resources);
    const kubernetes = recorded.profile.target === "kubernetes";
    const size = needs.cpus === undefined
        ? "no limits: its containers may take what Docker gives them"
        : `${needs.cpus} CPUs and ${needs.memoryMiB} MiB ${kubernetes ? "requested by its pods, plus kind's own control plane and metrics-server" : "at most (the sum of its containers' limits)"}`;
    return [
        "## What this stage needs",
        "",
        `- **Images** (${needs.images.length}; \`npm run lab -- pull ${stage}\` pulls them ahead${kubernetes ? " and loads them into the kind node, which would otherwise pull them again" : ""}): ${needs.images.map((i) => `\`${i}\``).join(", ")}. Behind one address a room of learners meets Docker Hub's anonymous pull limit: pull before the workshop.`,
        `- **Host ports**: ${needs.ports.map((p) => `\`${p}\``).join(", ")}${kubernetes ? " (kind holds them as long as the cluster exists, after `down` too: stop or delete the cluster before a Docker stage)" : ""}.`,
        `- **CPU and memory**: ${size}.`,
    ].join("\n");
}

function topologySection(recorded: RecordedStage): string {
    const t = recorded.topology;
    const groups = t.target === "kubernetes" ? "namespaces" : "Docker networks";
    return [
        "## The topology",
        "",
        `Drawn from the resources the program registers for stage ${recorded.profile.stage} (default config, under mocks): ` +
            `${groups} are the boxes, an arrow from your laptop is a published port (host address → container port), ` +
            "the other arrows are who talks to whom, read from each container's configuration.",
        "",
        "```mermaid",
        renderMermaid(t),
        "```",
        "",
        `${t.nodes.length} ${t.target === "kubernetes" ? "workloads" : "containers"}, ${t.groups.length} ${groups}, ` +
            `${t.published.length} published port${t.published.length === 1 ? "" : "s"}, ${t.flows.length} data flows.`,
    ].join("\n");
}

function observeSection(recorded: RecordedStage): string {
    const tryThis = (recorded.outputs.tryThis ?? []) as string[];
    const lessons = recorded.profile.story.lessons;
    return [
        "## What to observe",
        "",
        ...tryThis.map((t) => `- ${t}`),
        "",
        "What is still wrong here, on purpose (the stack output `lessons`):",
        "",
        ...(lessons.length ? lessons.map((l) => `- ${l}`) : ["- nothing the pack knows of: every mandatory policy passes."]),
    ].join("\n");
}

/** The threat model, generated from the topology above (lab/threats.ts). */
function threatsSection(recorded: RecordedStage): string {
    return [
        "## The threat model",
        "",
        "Generated from this stage's topology: its trust boundaries are the host and the networks or namespaces above, and every " +
        "entry point, flow and server gets the STRIDE threats that apply to it. A threat is covered where the pack makes its policy " +
        "mandatory (so `up` cannot create the stage without the control) or where the stage's own resources have the control; " +
        "anything else is open, and a later stage closes it.",
        "",
        threatTable(threatModel(recorded), recorded.topology.target),
    ].join("\n");
}

/** The generated sections of a stage's page, in page order (the hand-written ones go after "observe"). */
export async function generatedSections(stage: StageNumber): Promise<{ name: string; body: string }[]> {
    const profile = profileOf(stage);
    const recorded = await recordStage(stage);
    const previous = STAGES.has((stage - 1) as StageNumber) ? await recordStage((stage - 1) as StageNumber) : undefined;
    const sections = [
        {
            name: "title",
            body: `# Stage ${stage}: ${profile.title}\n\nRoadmap: *${profile.story.roadmap}* · target: ${profile.target} · stack \`${stackName(stage)}\` · [all stages](README.md)`,
        },
        { name: "scenario", body: `## The scenario\n\n${profile.story.scenario}` },
        { name: "topology", body: topologySection(recorded) },
        { name: "run", body: runSection(stage) },
        { name: "needs", body: needsSection(stage, recorded) },
        { name: "observe", body: observeSection(recorded) },
        { name: "policies", body: policiesSection(stage) },
    ];
    sections.push({ name: "roadmap", body: `## The roadmap, item by item\n\n${roadmapTable(stage)}` });
    sections.push({ name: "threats", body: threatsSection(recorded) });
    if (previous) {
        sections.push({
            name: "changes",
            body: `## What changed since stage ${stage - 1}\n\nComputed by \`npm run lab -- diff ${stage - 1} ${stage}\` from the profiles, the program and the pack:\n\n${renderDiff(stageDiff(previous, recorded))}`,
        });
    }
    return sections;
}

/**
 * Replaces each generated block of `current` (or lays out a new page), keeping everything else. A
 * block the page lacks goes where a new page would have it: before the next block or hand-written
 * heading the page has.
 */
export function mergePage(current: string | undefined, sections: { name: string; body: string }[], stage: StageNumber): string {
    if (current === undefined) {
        const afterObserve = sections.findIndex((s) => s.name === "observe") + 1 || sections.length;
        const head = sections.slice(0, afterObserve).map((s) => block(s.name, s.body));
        const tail = sections.slice(afterObserve).map((s) => block(s.name, s.body));
        return `${[...head, skeleton.break(stage), ...tail, skeleton.mapping(stage)].join("\n\n")}\n`;
    }
    let text = current;
    const stale = new Set<string>();
    for (const m of current.matchAll(/<!-- BEGIN GENERATED: ([a-z-]+) /g)) stale.add(m[1]);
    // The page's order: generated blocks, and the hand-written headings where a new page has them.
    const names = sections.map((s) => s.name);
    const afterObserve = names.indexOf("observe") + 1 || names.length;
    const layout = [...names.slice(0, afterObserve), HEADINGS.break, ...names.slice(afterObserve), HEADINGS.mapping];
    const anchor = (item: string) => (item.startsWith("## ") ? `\n${item}\n` : begin(item));
    sections.forEach((s) => {
        stale.delete(s.name);
        const start = text.indexOf(begin(s.name));
        const stop = text.indexOf(end(s.name));
        if (start >= 0 && stop > start) {
            text = `${text.slice(0, start)}${block(s.name, s.body)}${text.slice(stop + end(s.name).length)}`;
            return;
        }
        // Before the next thing of the page that exists (a later block, or a hand-written heading).
        const next = layout.slice(layout.indexOf(s.name) + 1).map(anchor).find((a) => text.includes(a));
        const at = next ? text.indexOf(next) + (next.startsWith("\n") ? 1 : 0) : text.length;
        text = next
            ? `${text.slice(0, at)}${block(s.name, s.body)}\n\n${text.slice(at)}`
            : `${text.trimEnd()}\n\n${block(s.name, s.body)}\n`;
    });
    // A block the generator no longer makes (a stage lost its predecessor) goes away.
    for (const name of stale) {
        const start = text.indexOf(begin(name));
        const stop = text.indexOf(end(name));
        if (start >= 0 && stop > start) text = `${text.slice(0, start).trimEnd()}\n\n${text.slice(stop + end(name).length).trimStart()}`;
    }
    return text;
}

export function indexPage(): string {
    const rows = documentedStages().map((s) => {
        const profile = profileOf(s.stage);
        return `| ${s.stage} | [${s.title}](${pageName(s.stage, s.title)}) | ${profile.target} | ${profile.story.roadmap} |`;
    });
    return [
        "# The stages",
        "",
        "One page per stage: the scenario, the topology (a diagram generated from the program), what to run, what to",
        "observe, what to break, the policies that apply and why, and how the roadmap items a laptop cannot show map onto",
        "what the lab shows. Generated parts are marked; `npm run docs` rewrites them and a test fails when they are stale.",
        "",
        "| stage | page | target | roadmap |",
        "|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
}

export interface DocFile {
    readonly file: string;
    readonly text: string;
    /** An older page of this stage under another name (its title changed): renamed, prose kept. */
    readonly replaces?: string;
}

/** What docs/stages/ should hold, computed from what it holds now. Writes nothing. */
export async function renderDocs(dir = DOCS_DIR): Promise<DocFile[]> {
    const existing = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const files: DocFile[] = [{ file: path.join(dir, "README.md"), text: indexPage() }];
    for (const s of documentedStages()) {
        const name = pageName(s.stage, s.title);
        const old = existing.find((f) => f !== name && new RegExp(`^${s.stage}-.*\\.md$`).test(f));
        const source = fs.existsSync(path.join(dir, name)) ? path.join(dir, name) : old ? path.join(dir, old) : undefined;
        const current = source ? fs.readFileSync(source, "utf8") : undefined;
        const text = mergePage(current, await generatedSections(s.stage), s.stage);
        files.push({ file: path.join(dir, name), text, ...(old && !fs.existsSync(path.join(dir, name)) ? { replaces: path.join(dir, old) } : {}) });
    }
    return files;
}
