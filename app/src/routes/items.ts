/** The JSON API: writes go to the primary, reads through the cache to the replica. */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { requireBearer } from "../auth";
import { HEADERS } from "../contract";
import type { ErrorBody } from "../errors";
import type { ItemService, Served } from "../items";
import type { ApiKeys } from "../keys";
import { type IdParams, type ItemBody, type ListQuery, idParams, item, itemBody, listQuery, noQuery } from "../schemas";

/** Says how a read was served: X-Db-Node, X-Cache and, when the replica was passed over, why. */
export function reportServed(reply: FastifyReply, served: Served<unknown>): void {
    reply.header(HEADERS.dbNode, served.dbNode).header(HEADERS.cache, served.cache);
    if (served.fallback) reply.header(HEADERS.dbFallback, served.fallback);
}

function missing(reply: FastifyReply, id: number): ErrorBody {
    reply.code(404);
    return { error: "not_found", message: `item ${id} does not exist` };
}

export const itemRoutes: FastifyPluginAsync<{ items: ItemService; keys?: ApiKeys }> = async (app, { items, keys }) => {
    // Stage 4 on: every write carries a bearer token, checked before the body is read; reads stay public.
    if (keys) app.addHook("onRequest", requireBearer(keys));
    app.post<{ Body: ItemBody }>(
        "/",
        { schema: { querystring: noQuery, body: itemBody, response: { 201: item } } },
        async (request, reply) => {
            const created = await items.create(request.body.name, request.body.note ?? "");
            reply.code(201).header(HEADERS.dbNode, "primary").header("Location", `/api/items/${created.id}`);
            return created;
        },
    );

    app.get<{ Querystring: ListQuery }>(
        "/",
        { schema: { querystring: listQuery, response: { 200: { type: "object", properties: { items: { type: "array", items: item } } } } } },
        async (request, reply) => {
            const served = await items.list(request.query.limit, request.query.offset);
            reportServed(reply, served);
            return { items: served.value };
        },
    );

    app.get<{ Params: IdParams }>(
        "/:id",
        { schema: { params: idParams, querystring: noQuery, response: { 200: item } } },
        async (request, reply) => {
            const served = await items.get(request.params.id);
            reportServed(reply, served);
            return served.value ?? missing(reply, request.params.id);
        },
    );

    app.put<{ Params: IdParams; Body: ItemBody }>(
        "/:id",
        { schema: { params: idParams, querystring: noQuery, body: itemBody, response: { 200: item } } },
        async (request, reply) => {
            // A PUT replaces the item: an omitted note becomes empty.
            const updated = await items.update(request.params.id, request.body.name, request.body.note ?? "");
            reply.header(HEADERS.dbNode, "primary");
            return updated ?? missing(reply, request.params.id);
        },
    );

    app.delete<{ Params: IdParams }>(
        "/:id",
        { schema: { params: idParams, querystring: noQuery } },
        async (request, reply) => {
            const deleted = await items.delete(request.params.id);
            reply.header(HEADERS.dbNode, "primary");
            if (!deleted) return missing(reply, request.params.id);
            return reply.code(204).send();
        },
    );
};
