/**
 * The lab's settings are declared once, in program/config.ts (SETTINGS); `npm run docs` writes them
 * into Pulumi.yaml's `config:` block (the Pulumi CLI reads types and defaults from there) and the
 * README's configuration table, each between markers, and a test fails when either is stale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, SETTINGS, type Setting } from "../program/config";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PULUMI_YAML = path.join(REPO_ROOT, "Pulumi.yaml");
export const README = path.join(REPO_ROOT, "README.md");

type Settings = Readonly<Record<string, Setting>>;

/** Markers around a generated part, as the stage pages have them; in YAML they are comments. */
const markers = (comment: (line: string) => string) => ({
    begin: comment("BEGIN GENERATED: config (npm run docs rewrites this part from program/config.ts)"),
    end: comment("END GENERATED: config"),
});
const YAML_MARKERS = markers((line) => `# ${line}`);
const MARKDOWN_MARKERS = markers((line) => `<!-- ${line} -->`);

/** Pulumi.yaml's `config:` block: each setting's type, default and description, quoted as YAML needs. */
export function renderConfigBlock(settings: Settings = SETTINGS): string {
    const config = Object.fromEntries(Object.entries(settings).map(([key, s]) => [
        key,
        { type: s.type, ...(s.default === undefined ? {} : { default: s.default }), description: s.description },
    ]));
    return yaml.dump({ config }, { lineWidth: -1, quotingType: '"', noRefs: true }).trimEnd();
}

/** The README's table: one row per setting, in SETTINGS' order. */
export function renderConfigTable(settings: Settings = SETTINGS): string {
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    const shown = (value: number | string | undefined) =>
        value === undefined ? "none: each stack file sets it" : value === "" ? "empty" : `\`${value}\``;
    return [
        "| key | default | meaning |",
        "|---|---|---|",
        ...Object.entries(settings).map(([key, s]) => `| \`${CONFIG_NAMESPACE}:${key}\` | ${cell(shown(s.default))} | ${cell(s.description)} |`),
    ].join("\n");
}

/** `text` with the part between the markers replaced by `body`; the file must have the markers once. */
function replaceBetween(text: string, file: string, { begin, end }: { begin: string; end: string }, body: string): string {
    const start = text.indexOf(begin);
    const stop = text.indexOf(end);
    if (start < 0 || stop < start || text.indexOf(begin, start + 1) >= 0) {
        throw new Error(`${path.relative(REPO_ROOT, file)} must hold the generated config part once, between "${begin}" and "${end}"`);
    }
    return `${text.slice(0, start)}${begin}\n${body}\n${text.slice(stop)}`;
}

export const renderPulumiYaml = (current: string) => replaceBetween(current, PULUMI_YAML, YAML_MARKERS, renderConfigBlock());
export const renderReadme = (current: string) => replaceBetween(current, README, MARKDOWN_MARKERS, renderConfigTable());

/** What Pulumi.yaml and README.md should hold, computed from what they hold now. Writes nothing. */
export function renderConfigFiles(): { file: string; text: string }[] {
    return [
        { file: PULUMI_YAML, text: renderPulumiYaml(fs.readFileSync(PULUMI_YAML, "utf8")) },
        { file: README, text: renderReadme(fs.readFileSync(README, "utf8")) },
    ];
}
