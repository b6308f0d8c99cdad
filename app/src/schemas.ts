/**
 * JSON schemas for every route's params, query and body, and the validators that check them.
 * Fastify's default Ajv coerces types and silently drops unknown properties; here a body is checked
 * as sent (a number is not a string, an extra field is an error), while path and query strings are
 * coerced to the integers they stand for.
 */
import Ajv from "ajv";
import type { FastifySchemaCompiler } from "fastify";

const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false });
const coercing = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
    (httpPart === "body" ? strict : coercing).compile(schema);

/** The limits the database's check constraints also enforce. */
export const LIMITS = { nameMax: 100, noteMax: 1000, listMax: 100, offsetMax: 10_000, listDefault: 20 } as const;

// PostgreSQL text cannot hold NUL; refusing it here makes it a 400 instead of a driver error.
const NO_NUL = "^[^\\u0000]*$";

export const noQuery = { type: "object", properties: {}, additionalProperties: false } as const;

export const idParams = {
    type: "object",
    properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    required: ["id"],
    additionalProperties: false,
} as const;

export const itemBody = {
    type: "object",
    properties: {
        name: { type: "string", minLength: 1, maxLength: LIMITS.nameMax, pattern: NO_NUL },
        note: { type: "string", maxLength: LIMITS.noteMax, pattern: NO_NUL },
    },
    required: ["name"],
    additionalProperties: false,
} as const;

/** The page's form: an item, and (stage 4 on) the session-bound token auth.ts checks. */
export const formBody = {
    ...itemBody,
    properties: { ...itemBody.properties, form_token: { type: "string", maxLength: 100 } },
} as const;

export const listQuery = {
    type: "object",
    properties: {
        limit: { type: "integer", minimum: 1, maximum: LIMITS.listMax, default: LIMITS.listDefault },
        offset: { type: "integer", minimum: 0, maximum: LIMITS.offsetMax, default: 0 },
    },
    additionalProperties: false,
} as const;

/** The page reads one item by id, or shows the latest items without one. */
export const pageQuery = {
    type: "object",
    properties: { id: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    additionalProperties: false,
} as const;

export const item = {
    type: "object",
    properties: {
        id: { type: "integer" },
        name: { type: "string" },
        note: { type: "string" },
        createdAt: { type: "string" },
        updatedAt: { type: "string" },
    },
    required: ["id", "name", "note", "createdAt", "updatedAt"],
    additionalProperties: false,
} as const;

export interface ItemBody {
    name: string;
    note?: string;
}
export interface IdParams {
    id: number;
}
export interface ListQuery {
    limit: number;
    offset: number;
}
