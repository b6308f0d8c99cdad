/**
 * renovate.json read and run the way Renovate runs it on the repository, for what the tests rely on:
 * which files a manager reads, and which dependencies its regexes extract from them.
 *
 * From renovatebot/renovate:
 * - the regex manager's strategies (lib/modules/manager/custom/regex, strategies): every matchString is compiled with the `g` flag
 *   and run over the whole file (`regexMatchAll`); "any" (the default) makes one dependency per match;
 *   "recursive" runs each matchString over the previous one's matches, and the last one's named
 *   groups (merged with the earlier ones') make the dependency.
 * - its utils (createDependency): the fields come from the named groups depName,
 *   packageName, currentValue, currentDigest, ... unless a `<field>Template` is set; a dependency
 *   needs a name and a currentValue or currentDigest.
 * - Renovate's regEx utility compiles with RE2 (node-re2), which has no lookaround and no backreferences:
 *   `re2Compatible` refuses them, so a pattern that works here also compiles there.
 * - managerFilePatterns (docs.renovatebot.com, "managerFilePatterns"): `/.../` is a regex, anything
 *   else a glob; ours are all regexes, so only that form is read here.
 * - ignorePaths are minimatch globs against the repository-relative path; `globRegex` reads the
 *   forms ours use (`**`, `*`) and refuses the others.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface CustomManager {
    readonly description?: string;
    readonly customType: "regex";
    readonly managerFilePatterns: string[];
    readonly matchStrings: string[];
    readonly matchStringsStrategy?: "any" | "recursive" | "combination";
    readonly depNameTemplate?: string;
    readonly datasourceTemplate?: string;
    readonly versioningTemplate?: string;
}

export interface RenovateConfig {
    readonly extends?: string[];
    readonly schedule?: string[];
    readonly ignorePaths?: string[];
    readonly customManagers: CustomManager[];
    readonly packageRules: Record<string, any>[];
    readonly [manager: string]: unknown;
}

export interface ExtractedDep {
    readonly file: string;
    readonly depName: string;
    readonly currentValue?: string;
    readonly currentDigest?: string;
    readonly datasource?: string;
    /** The text Renovate replaces (the match). */
    readonly replaceString: string;
}

export function loadRenovate(file = path.join(ROOT, "renovate.json")): RenovateConfig {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** RE2 refuses lookahead, lookbehind and backreferences; JavaScript would accept them. */
export function re2Compatible(pattern: string): boolean {
    return !/\(\?[=!]|\(\?<[=!]|\\[1-9]|\\k</.test(pattern);
}

function filePattern(pattern: string): RegExp {
    if (!(pattern.length > 2 && pattern.startsWith("/") && pattern.endsWith("/"))) {
        throw new Error(`managerFilePatterns "${pattern}" is a glob: this reader knows only /regex/ patterns`);
    }
    return new RegExp(pattern.slice(1, -1));
}

export const managerReads = (m: { managerFilePatterns: string[] }, file: string) => m.managerFilePatterns.some((p) => filePattern(p).test(file));

/** Handlebars as far as our templates use it: a literal, or `{{name}}` of a group. */
function fill(template: string | undefined, groups: Record<string, string | undefined>): string | undefined {
    return template?.replace(/\{\{\{?(\w+)\}?\}\}/g, (_, name: string) => groups[name] ?? "");
}

function dependency(m: CustomManager, file: string, groups: Record<string, string | undefined>, replaceString: string): ExtractedDep | undefined {
    const depName = fill(m.depNameTemplate, groups) ?? groups.depName;
    const currentValue = groups.currentValue;
    const currentDigest = groups.currentDigest;
    if (!depName || !(currentValue || currentDigest)) return undefined;
    return { file, depName, currentValue, currentDigest, datasource: fill(m.datasourceTemplate, groups) ?? groups.datasource, replaceString };
}

/** What one custom manager extracts from one file's content. */
export function extract(m: CustomManager, file: string, content: string): ExtractedDep[] {
    const regexes = m.matchStrings.map((s) => new RegExp(s, "gu"));
    const strategy = m.matchStringsStrategy ?? "any";
    if (strategy === "any") {
        return regexes.flatMap((re) => [...content.matchAll(re)])
            .map((match) => dependency(m, file, { ...match.groups }, match[0]))
            .filter((d): d is ExtractedDep => d !== undefined);
    }
    if (strategy === "recursive") {
        const walk = (text: string, index: number, groups: Record<string, string | undefined>): ExtractedDep[] => {
            if (index === regexes.length) {
                const d = dependency(m, file, groups, text);
                return d ? [d] : [];
            }
            return [...text.matchAll(regexes[index])].flatMap((match) => walk(match[0], index + 1, { ...groups, ...match.groups }));
        };
        return walk(content, 0, {});
    }
    throw new Error(`matchStringsStrategy "${strategy}" is not read here`);
}

/** The repository's files, relative and with forward slashes, minus the config's ignorePaths. */
export function repositoryFiles(config: RenovateConfig, root = ROOT): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
            const rel = dir ? `${dir}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (entry.name !== ".git" && entry.name !== "node_modules") walk(rel);
            } else if (entry.isFile()) {
                out.push(rel);
            }
        }
    };
    walk("");
    return out.filter((f) => !ignored(config, f)).sort();
}

export function globRegex(glob: string): RegExp {
    if (/[?[\]{}!]/.test(glob)) throw new Error(`ignorePaths "${glob}": only * and ** are read here`);
    const body = glob.split("/").map((part, i, all) => part === "**"
        ? (i === all.length - 1 ? ".*" : "(?:[^/]+/)*")
        : part.replace(/[.+^$()|\\]/g, "\\$&").replace(/\*/g, "[^/]*") + (i === all.length - 1 ? "" : "/")).join("");
    return new RegExp(`^${body}$`);
}

export const ignored = (config: RenovateConfig, file: string) => (config.ignorePaths ?? []).some((glob) => globRegex(glob).test(file));

/** Every dependency every custom manager extracts from the repository. */
export function extractAll(config: RenovateConfig, root = ROOT): ExtractedDep[] {
    return repositoryFiles(config, root).flatMap((file) => {
        const managers = config.customManagers.filter((m) => managerReads(m, file));
        if (!managers.length) return [];
        const content = fs.readFileSync(path.join(root, file), "utf8");
        return managers.flatMap((m) => extract(m, file, content));
    });
}

/** `repo:tag@digest` as Renovate's docker datasource sees a dependency, to compare with an image reference. */
export const imageOfDep = (d: ExtractedDep) => `${d.depName}${d.currentValue ? `:${d.currentValue}` : ""}${d.currentDigest ? `@${d.currentDigest}` : ""}`;
