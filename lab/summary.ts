/** What `up` prints at the end: what runs, where to go, what to try, how long it took. */
import type { StageNumber } from "../profiles/profile";
import { LAB_PASSPHRASE } from "./plan";

export function formatDuration(ms: number): string {
    const seconds = Math.round(ms / 1000);
    if (seconds < 60) return `${seconds}s`;
    return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

export interface UpSummaryInput {
    readonly stage: StageNumber;
    readonly title: string;
    readonly outputs: Record<string, unknown>;
    readonly changes: Record<string, number>;
    /** What runs, one line per container. */
    readonly containers: readonly string[];
    readonly elapsedMs: number;
    readonly defaultPassphrase: boolean;
    readonly backendUrl: string;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

export function upSummary(s: UpSummaryInput): string[] {
    const changed = Object.entries(s.changes).filter(([op, n]) => n > 0 && op !== "same").map(([op, n]) => `${n} ${op}`);
    const lines = [
        "",
        `stage ${s.stage} (${s.title}) is up in ${formatDuration(s.elapsedMs)}${changed.length ? ` (${changed.join(", ")})` : ""}`,
    ];
    if (s.containers.length) {
        lines.push(`  runs:   ${s.containers.length} containers`);
        lines.push(...s.containers.map((c) => `    ${c}`));
    }
    const entries = strings(s.outputs.entryPoints);
    if (entries.length) lines.push(`  open:   ${entries.join("  ")}`);
    const tryThis = strings(s.outputs.tryThis);
    if (tryThis.length) {
        lines.push("  try:");
        lines.push(...tryThis.map((t) => `    - ${t}`));
    }
    const lessons = strings(s.outputs.lessons);
    if (lessons.length) lines.push(`  still wrong here, on purpose: ${lessons.length} lessons (pulumi stack output lessons --stack stage${s.stage})`);
    lines.push(`  check:  npm run lab -- verify ${s.stage}`);
    lines.push(`  stop:   npm run lab -- down ${s.stage}`);
    lines.push(`  state:  ${s.backendUrl}${s.defaultPassphrase ? ` (passphrase: the lab's, ${LAB_PASSPHRASE})` : ""}`);
    return lines;
}
