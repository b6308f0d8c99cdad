/**
 * The lab's window: one HTML page, no script and no external assets, that shows which instance
 * answered, which database node served the read, whether the cache hit, and the replica lag.
 * Every value is escaped; the only inline style is allowed by its hash in the page's CSP.
 */
import { createHash } from "node:crypto";
import { AUTH } from "./contract";
import type { Item } from "./db";
import type { CacheState, DbNode, FallbackReason } from "./metrics";
import type { Readiness } from "./routes/health";
import { LIMITS } from "./schemas";

export interface PageView {
    instance: string;
    /** The read this page made: one item by id, or the latest items. Absent when it could not read. */
    read?: { kind: "item"; id: number; item: Item | null } | { kind: "list"; items: Item[] };
    dbNode?: DbNode;
    cache?: CacheState;
    fallback?: FallbackReason;
    status?: Readiness;
    error?: string;
    /** Stage 4 on: the token bound to the visitor's session cookie, sent back with the form. */
    formToken?: string;
    /** What the write form held when it was refused, to show it again. */
    form?: { name?: string; note?: string };
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;color:#1b1b1b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.2rem}dt{font-weight:600}dd{margin:0}
code,dd{font-family:ui-monospace,monospace}.error{color:#a00000;font-weight:600}
form{margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap;align-items:end}label{display:flex;flex-direction:column}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}`;

/** The page's Content-Security-Policy: nothing but itself, no script at all. */
export const PAGE_CSP = [
    "default-src 'self'",
    `style-src 'sha256-${createHash("sha256").update(CSS).digest("base64")}'`,
    "script-src 'none'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
].join("; ");

export function escapeHtml(value: unknown): string {
    return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage(view: PageView): string {
    const e = escapeHtml;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>devsecops-journey demo app: ${e(view.instance)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>devsecops-journey demo app</h1>
<dl>
<dt>Instance</dt><dd id="instance">${e(view.instance)}</dd>
<dt>Database node</dt><dd id="db-node">${e(view.dbNode ?? "n/a")}${view.fallback ? ` <span id="db-fallback">(fallback: ${e(view.fallback)})</span>` : ""}</dd>
<dt>Cache</dt><dd id="cache">${e(cacheText(view))}</dd>
<dt>Replica lag</dt><dd id="replica-lag">${e(lagText(view.status))}</dd>
<dt>Dependencies</dt><dd id="dependencies">${e(dependencyText(view.status))}</dd>
</dl>
${view.error ? `<p class="error" id="error" role="alert">${e(view.error)}</p>` : ""}
<section id="result">
${renderRead(view)}
</section>
<h2>Try it</h2>
<form id="write" method="post" action="/">
${view.formToken ? `<input type="hidden" name="${AUTH.formField}" value="${e(view.formToken)}">\n` : ""}<label>Name <input name="name" required maxlength="${LIMITS.nameMax}" value="${e(view.form?.name ?? "")}"></label>
<label>Note <input name="note" maxlength="${LIMITS.noteMax}" value="${e(view.form?.note ?? "")}"></label>
<button type="submit">Write an item (primary)</button>
</form>
<form id="read" method="get" action="/">
<label>Item id <input name="id" type="number" min="1" required></label>
<button type="submit">Read it (cache, then replica)</button>
</form>
<p>Machine-readable: <a href="/api/items">/api/items</a>. Each instance's <code>/readyz</code> and <code>/metrics</code> are for the platform (probes, Prometheus): from stage 4 the edge does not serve them.</p>
</main>
</body>
</html>
`;
}

function renderRead(view: PageView): string {
    const read = view.read;
    if (!read) return "";
    if (read.kind === "item") {
        if (!read.item) return `<p id="read-summary">Item ${read.id} does not exist.</p>`;
        return `<h2 id="read-summary">Item ${read.item.id}</h2>\n${table([read.item])}`;
    }
    if (read.items.length === 0) return `<p id="read-summary">No items yet: write one below.</p>`;
    return `<h2 id="read-summary">Latest items</h2>\n${table(read.items)}`;
}

function table(items: Item[]): string {
    const e = escapeHtml;
    const rows = items
        .map((i) => `<tr><td><a href="/?id=${i.id}">${i.id}</a></td><td>${e(i.name)}</td><td>${e(i.note)}</td><td>${e(i.updatedAt)}</td></tr>`)
        .join("\n");
    return `<table><thead><tr><th>id</th><th>name</th><th>note</th><th>updated</th></tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

function cacheText(view: PageView): string {
    if (!view.cache) return "n/a";
    if (view.read?.kind === "list") return "off (lists are not cached)";
    return view.cache;
}

function lagText(status: Readiness | undefined): string {
    const replica = status?.replica;
    if (!replica || replica.status === "off") return "n/a (no replica)";
    if (replica.status === "down") return "n/a (replica unavailable)";
    if (replica.lagSeconds === null) return "n/a (replica has not replayed anything yet)";
    const bytes = replica.lagBytes === null ? "" : `, ${replica.lagBytes} bytes of WAL behind`;
    return `${replica.lagSeconds.toFixed(3)} s${bytes}`;
}

function dependencyText(status: Readiness | undefined): string {
    if (!status) return "n/a";
    return `primary ${status.primary.status}, replica ${status.replica.status}, cache ${status.cache.status} (${status.status})`;
}
