/**
 * Every repository path a comment or a Markdown page names exists: a reader who follows a
 * "see test/..." finds the file. Comments come from TypeScript's scanner (code
 * and strings are not comments), `#` lines of YAML and shell, and the whole text of Markdown.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
const SKIP_DIRS = new Set(["node_modules", ".git", ".ci/node"]);

/** Names that look like repository files and are not, each with the reason it may stay. */
const ALLOWED: Record<string, string> = {
    "prometheus.yml": "the file Prometheus reads, rendered by renderers/prometheus.ts into a ConfigMap",
    "docker-entrypoint.sh": "the official Postgres image's entrypoint, which the replica's script hands over to",
};

function walk(dir = ROOT, out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        const rel = path.relative(ROOT, full);
        if (SKIP_DIRS.has(entry.name) || SKIP_DIRS.has(rel)) continue;
        if (entry.isDirectory()) walk(full, out);
        else out.push(rel);
    }
    return out;
}

const ALL = walk();
const FILES = ALL.filter((f) => f !== "package-lock.json");
const ENTRIES = new Set([...ALL, ...ALL.flatMap((f) => f.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/")))]);
const BASENAMES = new Set(ALL.map((f) => path.basename(f)));
const TOP = new Set([...ENTRIES].map((e) => e.split("/")[0]));
/** The project's folders beside the repository (the design notes, the roadmap): never in a checkout. */
const OUTSIDE = new Set(["shared", "seeds"]);

/** The comment text of a file, by kind. */
export function commentsOf(file: string, text: string): string {
    if (file.endsWith(".md")) return text;
    if (file.endsWith(".ts") || file.endsWith(".js")) {
        // Every comment sits before some node or after one: code and strings are never read as comments.
        const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
        const parts = new Map<number, string>();
        const visit = (node: ts.Node) => {
            for (const at of [node.pos, node.end]) {
                const ranges = [...(ts.getLeadingCommentRanges(text, at) ?? []), ...(ts.getTrailingCommentRanges(text, at) ?? [])];
                for (const r of ranges) parts.set(r.pos, text.slice(r.pos, r.end));
            }
            ts.forEachChild(node, visit);
        };
        visit(sf);
        return [...parts].sort(([a], [b]) => a - b).map(([, comment]) => comment).join("\n");
    }
    if (/\.(ya?ml|sh)$|(^|\/)(Dockerfile|run|\.gitignore|\.dockerignore)$/.test(file)) {
        return text.split("\n").map((line) => /(^|\s)#(?!!)(.*)$/.exec(line)?.[2] ?? "").join("\n");
    }
    return "";
}

const EXTENSIONS = /\.(ts|md|json|ya?ml|sh|txt)$/;

/** The path-like words of a text that would name a file of this repository. */
export function pathReferences(text: string): string[] {
    const cleaned = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, " "); // URLs
    const found: string[] = [];
    for (const m of cleaned.matchAll(/(?<![\w.~\/$@:-])(?:\.{1,2}\/)*[\w.<>*-]+(?:\/[\w.<>*-]*)*/g)) {
        const word = m[0].replace(/[.:,]+$/, "");
        const relative = /^\.{1,2}\//.test(word);
        if (!word.includes("/")) {
            if (EXTENSIONS.test(word) && !word.startsWith(".")) found.push(word); // ".d.ts" is a kind of file
            continue;
        }
        const first = word.replace(/^(\.{1,2}\/)+/, "").split("/")[0];
        // A path from the repository's root, or the tail of one ("docker/app.ts", "config/stageN.json").
        if (relative || TOP.has(first) || OUTSIDE.has(first) || EXTENSIONS.test(word)) found.push(word);
    }
    return found;
}

/** Folders .gitignore keeps out (dist/: what a build writes): a path into one is made, not checked in. */
const IGNORED_DIRS = fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n")
    .filter((line) => /^[\w.-]+\/$/.test(line.trim())).map((line) => line.trim().slice(0, -1));

/** A reference as a regular expression: stageN.ts, N-<slug>.md and *.json stand for several files. */
function glob(ref: string): string {
    return ref
        .replace(/<[^>]*>/g, "\u0001").replace(/\*/g, "\u0002").replace(/(?<=[a-z/-]|^)N(?=[.-]|$)/g, "\u0003")
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\u0001/g, "[^/]+").replace(/\u0002/g, "[^/]*").replace(/\u0003/g, "\\d+");
}

/**
 * Whether a reference names something of the repository: a bare name any file has; a ./ or ../ path
 * from the file's folder; any other path from the root, the file's folder, or as the tail of a
 * repository path ("docker/app.ts" in builders/). A module may go without its .ts.
 */
export function exists(ref: string, from: string): boolean {
    const clean = ref.replace(/\/$/, "");
    if (clean.split("/").some((segment) => IGNORED_DIRS.includes(segment))) return true;
    if (!ref.includes("/")) {
        const re = new RegExp(`^${glob(clean)}$`);
        return BASENAMES.has(clean) || [...BASENAMES].some((b) => re.test(b));
    }
    if (/^\.{1,2}\//.test(ref)) {
        const target = path.normalize(path.join(path.dirname(from), clean)).replace(/\/$/, "");
        if (target.startsWith("..")) return false; // outside the repository
        const re = new RegExp(`^${glob(target)}(\\.ts)?$`);
        return ENTRIES.has(target) || [...ENTRIES].some((e) => re.test(e));
    }
    if (ENTRIES.has(clean) || ENTRIES.has(`${clean}.ts`)) return true;
    const tail = new RegExp(`(^|/)${glob(clean)}(\\.ts)?$`);
    return [...ENTRIES].some((e) => tail.test(e));
}

describe("docs: references to files of the repository", () => {
    it("name files that exist (in comments, Markdown, YAML and shell)", () => {
        const missing: string[] = [];
        for (const file of FILES) {
            const text = commentsOf(file, fs.readFileSync(path.join(ROOT, file), "utf8"));
            for (const ref of pathReferences(text)) {
                if (!exists(ref, file) && !(ref in ALLOWED)) missing.push(`${file}: ${ref}`);
            }
        }
        assert.deepEqual(missing, []);
    });

    it("reads comments, not code or strings, in TypeScript", () => {
        const source = 'const a = "see tools/nowhere.ts"; // see lab/record.ts\nconst b = `${a} // not/a-comment.ts`;\n/* and profiles/stageN.ts */ export {};\n';
        const text = commentsOf("x.ts", source);
        assert.deepEqual(pathReferences(text), ["lab/record.ts", "profiles/stageN.ts"]);
    });

    it("finds repository paths, bare file names and the folders beside the repository; not URLs or absolute paths", () => {
        const text = "See test/kubernetes/chaos.test.ts, POLICIES.md and seeds/003; ../shared/DESIGN.md; set it in stages/stage4.ts. " +
            "Not https://example.com/docs/x.md, /var/lib/postgresql/data, ~/.kube/config, text/html, sdk/nodejs/runtime or a .d.ts file.";
        assert.deepEqual(pathReferences(text), ["test/kubernetes/chaos.test.ts", "POLICIES.md", "seeds/003", "../shared/DESIGN.md", "stages/stage4.ts"]);
    });

    it("knows what exists: names for several files, modules without .ts, built folders; not what moved or lives outside", () => {
        for (const ref of ["profiles/stageN.ts", "docs/stages/N-<slug>.md", "lab/record", "app/dist/main.js", "docs/stages/", "app/", "Pulumi.yaml", "docker/app.ts"]) {
            assert.ok(exists(ref, "README.md"), ref);
        }
        assert.ok(exists("../../program/names.ts", "test/docs/x.test.ts"), "relative to the file");
        for (const ref of ["tools/record.ts", "seeds/000", "../shared/DESIGN.md", "POLICIES.md", "test/kubernetes/chaos.test.ts", "stages/stage4.ts"]) {
            assert.equal(exists(ref, "README.md"), false, ref);
        }
    });
});

describe("docs: one remedy for an emptied Vault", () => {
    it("every page, story and comment that says a restart empties Vault gives npm run lab -- reset, and no other fix", () => {
        const sources = FILES.filter((f) => /\.md$/.test(f) || /^(profiles|builders|renderers|lab)\/.*\.ts$/.test(f));
        let said = 0;
        for (const file of sources) {
            // A paragraph of prose, or a comment block, or a story line: separated by blank lines.
            const text = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").filter((line) => !line.startsWith("|")).join("\n"); // tables: cells, not prose
            for (const paragraph of text.split(/\n\s*(?:\*\s*)?\n/)) {
                if (!/vault/i.test(paragraph) || !/restart/i.test(paragraph) || !/\bempt(y|ies)\b/i.test(paragraph)) continue;
                said++;
                assert.match(paragraph, /npm run lab -- reset/, `${file}: ${paragraph.trim().slice(0, 200)}`);
                assert.doesNotMatch(paragraph, /--replace|pulumi destroy/, `${file} gives another fix`);
            }
        }
        assert.ok(said >= 4, `the README, the stage 4 story and both builders say it (found ${said})`);
    });
});
