/**
 * Which test files `npm run test:fast` runs: every one that starts no process. A file starts
 * processes when it, or a test module it imports (test/support/servers.ts, dataplane.ts, ...), imports
 * one of PROCESS_MODULES, or when it imports from a program module something that uses one
 * (lab/probes.ts's runCommand; its MISSING messages start nothing). Decided from the imports, so a new
 * file lands in the right set without anyone listing it; and the fast run refuses child processes
 * (test/support/no-processes.ts), so a file this rule misses fails there instead of slowing it down.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const TEST_DIR = path.join(REPO_ROOT, "test");

/** The modules through which anything here starts a process: servers, CLIs, node itself, the browser. */
export const PROCESS_MODULES: readonly string[] = ["node:child_process", "child_process", "playwright-core"];

/** One runtime import of a module: the names taken from it, or "*" for all of it. */
interface Import {
    readonly spec: string;
    readonly names: readonly string[] | "*";
}

const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
    let sf = parsed.get(file);
    if (!sf) parsed.set(file, (sf = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false)));
    return sf;
}

/** What a file imports at run time: import and export-from declarations (not type-only), require(), import(). */
export function importsOf(sf: ts.SourceFile): Import[] {
    const found: Import[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            if (!clause) found.push({ spec: node.moduleSpecifier.text, names: "*" }); // import "x": for its effects
            else if (!clause.isTypeOnly) {
                const bindings = clause.namedBindings;
                if (clause.name || (bindings && ts.isNamespaceImport(bindings))) found.push({ spec: node.moduleSpecifier.text, names: "*" });
                else if (bindings) {
                    const names = bindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text);
                    if (names.length) found.push({ spec: node.moduleSpecifier.text, names });
                }
            }
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
            found.push({ spec: node.moduleSpecifier.text, names: "*" });
        } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]) &&
            ((ts.isIdentifier(node.expression) && node.expression.text === "require") || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
            found.push({ spec: node.arguments[0].text, names: "*" });
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
}

/**
 * The exports of a program module whose code uses a binding imported from PROCESS_MODULES, directly
 * or through the module's other top-level declarations.
 */
function spawningExports(sf: ts.SourceFile): Set<string> {
    const tainted = new Set<string>();
    const exported = new Set<string>();
    const decls: { names: string[]; uses: Set<string> }[] = [];
    for (const st of sf.statements) {
        if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
            for (const e of st.exportClause.elements) exported.add((e.propertyName ?? e.name).text);
        }
        if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && PROCESS_MODULES.includes(st.moduleSpecifier.text)) {
            const clause = st.importClause;
            if (clause?.name) tainted.add(clause.name.text);
            const bindings = clause?.namedBindings;
            if (bindings && ts.isNamespaceImport(bindings)) tainted.add(bindings.name.text);
            else if (bindings) for (const e of bindings.elements) tainted.add(e.name.text);
            continue;
        }
        const names = ts.isVariableStatement(st)
            ? st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []))
            : (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name ? [st.name.text] : [];
        if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) names.forEach((n) => exported.add(n));
        const uses = new Set<string>();
        const collect = (node: ts.Node) => {
            if (ts.isIdentifier(node)) uses.add(node.text);
            ts.forEachChild(node, collect);
        };
        collect(st);
        decls.push({ names, uses });
    }
    for (let grew = tainted.size > 0; grew;) {
        grew = false;
        for (const d of decls) {
            if (d.names.some((n) => !tainted.has(n)) && [...d.uses].some((u) => tainted.has(u))) {
                d.names.forEach((n) => tainted.add(n));
                grew = true;
            }
        }
    }
    return new Set([...tainted].filter((n) => exported.has(n)));
}

/** A relative import resolved to a repository file, or undefined for a package. */
function resolveLocal(from: string, spec: string): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), spec);
    return [`${base}.ts`, path.join(base, "index.ts"), base].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

const rel = (file: string) => path.relative(REPO_ROOT, file).split(path.sep).join("/");

/**
 * Why a test file starts processes, as the import chain that shows it ("test/app/api.test.ts →
 * test/support/app.ts → test/support/servers.ts → test/support/proc.ts → node:child_process"), or
 * undefined if it starts none. Test modules are followed all the way; a program module only as far
 * as a test module imports from it something that starts a process.
 */
export function processChain(testFile: string, testDir = TEST_DIR): string[] | undefined {
    const seen = new Set<string>();
    const walk = (file: string, chain: string[]): string[] | undefined => {
        if (seen.has(file)) return undefined;
        seen.add(file);
        for (const { spec, names } of importsOf(parse(file))) {
            if (PROCESS_MODULES.includes(spec)) return [...chain, spec];
            const local = resolveLocal(file, spec);
            if (!local) continue;
            if (local.startsWith(testDir + path.sep)) {
                const found = walk(local, [...chain, rel(local)]);
                if (found) return found;
                continue;
            }
            const module = parse(local);
            const processImport = importsOf(module).find((i) => PROCESS_MODULES.includes(i.spec));
            if (!processImport) continue;
            const spawning = spawningExports(module);
            const used = names === "*" ? [...spawning] : names.filter((n) => spawning.has(n));
            if (used.length) return [...chain, `${rel(local)} (${used.join(", ")})`, processImport.spec];
        }
        return undefined;
    };
    const file = path.resolve(REPO_ROOT, testFile);
    return walk(file, [rel(file)]);
}

/** Every test file, repository-relative, sorted. */
export function testFiles(): string[] {
    const out: string[] = [];
    const visit = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) visit(full);
            else if (entry.name.endsWith(".test.ts")) out.push(rel(full));
        }
    };
    visit(TEST_DIR);
    return out.sort();
}

/** The files `npm run test:fast` runs. */
export function fastFiles(): string[] {
    return testFiles().filter((file) => !processChain(file));
}
