/**
 * The HTML page and its plain-HTML write form (POST, then redirect to the read: no script needed).
 * Registered as its own plugin so the form encoding is accepted here only; the API stays JSON.
 */
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { formTokenProblem, issueFormToken } from "../auth";
import type { ItemCache } from "../cache";
import { DatabaseUnavailableError, type Database, errorText } from "../db";
import type { ItemService, Served } from "../items";
import type { ApiKeys } from "../keys";
import { PAGE_CSP, type PageView, renderPage } from "../page";
import { type ItemBody, formBody, noQuery, pageQuery } from "../schemas";
import { AUTH } from "../contract";
import { readiness } from "./health";
import { reportServed } from "./items";

const LATEST = 5;

interface Deps {
    instance: string;
    items: ItemService;
    db: Database;
    cache: ItemCache;
    /** Stage 4 on: the form carries a token bound to a session cookie (auth.ts). */
    keys?: ApiKeys;
}

export const pageRoutes: FastifyPluginAsync<Deps> = async (app, { instance, items, db, cache, keys }) => {
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
        // Own properties only (no prototype), last value wins; the schema then refuses unknown names.
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    function send(request: FastifyRequest, reply: FastifyReply, status: number, view: PageView): string {
        // Every rendering of the form carries the token of the visitor's session (a new session if none).
        if (keys) view = { ...view, formToken: issueFormToken(keys, request, reply) };
        reply.code(status).type("text/html; charset=utf-8").header("Content-Security-Policy", PAGE_CSP);
        return renderPage(view);
    }

    app.get<{ Querystring: { id?: number } }>(
        "/",
        { schema: { querystring: pageQuery }, attachValidation: true },
        async (request, reply) => {
            if (request.validationError) {
                return send(request, reply, 400, { instance, error: request.validationError.message, status: await readiness(instance, db, cache) });
            }
            const id = request.query.id;
            const [result, status] = await Promise.all([
                read(id).catch((err: unknown) => unavailable(err, request.log)),
                readiness(instance, db, cache),
            ]);
            if (!result) return send(request, reply, 503, { instance, status, error: "No database node is available right now; try again shortly." });
            const { served, view } = result;
            reportServed(reply, served);
            const notFound = view.kind === "item" && view.item === null;
            return send(request, reply, notFound ? 404 : 200, { instance, status, read: view, dbNode: served.dbNode, cache: served.cache, fallback: served.fallback });
        },
    );

    /** With an id, that item through the cache; without, the latest items from the replica. */
    async function read(id: number | undefined): Promise<{ served: Served<unknown>; view: NonNullable<PageView["read"]> }> {
        if (id === undefined) {
            const served = await items.list(LATEST, 0);
            return { served, view: { kind: "list", items: served.value } };
        }
        const served = await items.get(id);
        return { served, view: { kind: "item", id, item: served.value } };
    }

    // Browsers ask for it; an empty answer beats a 404 in every page load's console.
    app.get("/favicon.ico", { schema: { querystring: noQuery } }, async (_request, reply) => reply.code(204).send());

    app.post<{ Body: ItemBody }>(
        "/",
        { schema: { querystring: noQuery, body: formBody }, attachValidation: true },
        async (request, reply) => {
            const form = (request.body && typeof request.body === "object" ? request.body : undefined) as Record<string, unknown> | undefined;
            const foreign = crossSite(request.headers);
            if (foreign) {
                request.log.warn({ why: foreign }, "refused a cross-site form post");
                const status = await readiness(instance, db, cache);
                return send(request, reply, 403, { instance, status, error: `This form only accepts posts from its own page (${foreign}).` });
            }
            const stale = keys && formTokenProblem(keys, request, form?.[AUTH.formField]);
            if (stale) {
                request.log.warn({ why: stale }, "refused a form post without its session token");
                const status = await readiness(instance, db, cache);
                return send(request, reply, 403, { instance, status, error: `Not written: ${stale}. The form below is fresh: post it again.`, form: strings(form) });
            }
            if (request.validationError) {
                const status = await readiness(instance, db, cache);
                return send(request, reply, 400, { instance, status, error: request.validationError.message, form: strings(form) });
            }
            const created = await items.create(request.body.name, request.body.note ?? "").catch((err: unknown) => unavailable(err, request.log));
            if (!created) {
                const status = await readiness(instance, db, cache);
                return send(request, reply, 503, { instance, status, error: "The primary database is unavailable; the item was not written.", form: strings(form) });
            }
            // Post/redirect/get: the browser then reads the item the way any client would.
            return reply.code(303).header("Location", `/?id=${created.id}`).send();
        },
    );
};

/**
 * Why a form post comes from another site, or undefined (CSRF: a cross-site form must not write a
 * row). Browsers say where a request comes from in Sec-Fetch-Site; older ones only send Origin.
 * A client that sends neither is not a browser acting for a visitor (curl, a test), so it passes:
 * OWASP's CSRF cheat sheet, "Fetch Metadata headers" and "Verifying origin with standard headers".
 */
export function crossSite(headers: Record<string, string | string[] | undefined>): string | undefined {
    const site = headers["sec-fetch-site"];
    if (typeof site === "string") return site === "same-origin" || site === "none" ? undefined : `Sec-Fetch-Site: ${site.slice(0, 20)}`;
    const origin = headers.origin;
    if (typeof origin !== "string") return undefined;
    let from: string;
    try {
        from = new URL(origin).hostname;
    } catch {
        return "Origin is not a URL";
    }
    // Behind the edge Host is the name without the port (nginx's $host), so names are compared.
    const host = String(headers.host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "").toLowerCase();
    return from.replace(/^\[|\]$/g, "") === host ? undefined : `Origin ${origin.slice(0, 60)}`;
}

/** A database outage becomes a message on the page (logged like the API's 503); anything else is a bug. */
function unavailable(err: unknown, log: FastifyBaseLogger): undefined {
    if (!(err instanceof DatabaseUnavailableError)) throw err;
    log.warn({ node: err.node, err: errorText(err.cause) }, "database unavailable");
    return undefined;
}

function strings(form: Record<string, unknown> | undefined): { name?: string; note?: string } {
    const text = (v: unknown) => (typeof v === "string" ? v.slice(0, 1000) : undefined);
    return { name: text(form?.name), note: text(form?.note) };
}
