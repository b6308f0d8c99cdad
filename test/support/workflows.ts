/**
 * The GitHub workflows as the tests read them: parsed (js-yaml), and as raw lines, because js-yaml
 * drops comments and a pin's release lives in its comment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const WORKFLOWS_DIR = path.join(ROOT, ".github", "workflows");

export interface Step {
    readonly name?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly if?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, string>;
}

export interface Workflow {
    readonly file: string;
    readonly raw: string;
    readonly doc: any;
    readonly jobs: Record<string, any>;
    steps(job: string): Step[];
}

export function loadWorkflow(file: string): Workflow {
    const raw = fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
    const doc = yaml.load(raw) as any;
    const jobs = doc.jobs as Record<string, any>;
    return { file, raw, doc, jobs, steps: (job) => jobs[job].steps as Step[] };
}

export const workflowFiles = () => fs.readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

/**
 * `uses: owner/repo[/path]@<40-hex commit> # vX.Y.Z`: a SHA cannot be moved the way a tag can
 * (trivy-action's tags were force-pushed to a credential stealer in March 2026), and the comment
 * says which release it is, for a reader and for Dependabot.
 */
export const PINNED_USES = /^\s*(?:-\s+)?uses:\s+([\w.-]+\/[\w.-]+(?:\/[\w./-]+)?)@([0-9a-f]{40})\s+#\s+(v\d+\.\d+\.\d+)\s*$/;

export interface UsesLine {
    readonly line: number;
    readonly text: string;
    /** owner/repo (the repository the SHA belongs to, without a sub-path). */
    readonly repo?: string;
    readonly sha?: string;
    readonly version?: string;
}

/** Every raw line that says `uses:`, pinned or not (a line the pattern misses comes back without sha). */
export function usesLines(raw: string): UsesLine[] {
    return raw.split("\n").flatMap((text, i) => {
        if (!/^\s*(?:-\s+)?uses:/.test(text)) return [];
        const m = PINNED_USES.exec(text);
        return [{ line: i + 1, text: text.trim(), repo: m?.[1].split("/").slice(0, 2).join("/"), sha: m?.[2], version: m?.[3] }];
    });
}

/** Every step's `uses`, from the parsed document. */
export const parsedUses = (w: Workflow): string[] =>
    Object.values(w.jobs).flatMap((job) => (job.steps as Step[]).flatMap((s) => (s.uses ? [s.uses] : [])));
