/**
 * What the Pulumi CLI does with `--policy-pack-config` before the pack sees it, for the in-process
 * harness (policy-harness.ts): pulumi/pulumi pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig.
 */
import type { EnforcementLevel, PolicyPackConfig, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** A policy's level and config after the CLI's reconciliation. */
export interface Reconciled {
    readonly level?: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * ReconcilePolicyPackConfig (pulumi/pulumi pkg/resource/analyzer/config.go): start from each
 * policy's schema defaults and own level, apply `all`'s level, then each entry; then validate
 * every policy's properties against `{ type: "object", properties, required }`. Throws one line
 * per problem. Unknown policy names and unknown keys are rejected here; the CLI lets them pass.
 */
export function reconcileConfig(config: PolicyPackConfig, policies: readonly AnyPolicy[], pack: readonly string[] = []): Map<string, Reconciled> {
    const problems: string[] = [];
    const result = new Map<string, Reconciled>();
    for (const p of policies) {
        const defaults = Object.entries(p.configSchema?.properties ?? {})
            .filter(([, schema]) => typeof schema === "object" && "default" in schema)
            .map(([key, schema]) => [key, structuredClone((schema as { default: unknown }).default)]);
        result.set(p.name, { level: p.enforcementLevel, properties: Object.fromEntries(defaults) });
    }
    const parse = (name: string, entry: unknown): Reconciled | undefined => {
        if (typeof entry === "string") {
            if (!LEVELS.includes(entry)) problems.push(`policy config "${name}": "${entry}" is not a valid enforcement level; use one of ${LEVELS.join(", ")}`);
            return { level: entry as EnforcementLevel, properties: {} };
        }
        if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push(`policy config "${name}": ${JSON.stringify(entry)} is not a valid value; must be a string or object`);
            return undefined;
        }
        const { enforcementLevel, ...properties } = entry as Record<string, unknown>;
        if (enforcementLevel !== undefined && (typeof enforcementLevel !== "string" || !LEVELS.includes(enforcementLevel))) {
            problems.push(`policy config "${name}": enforcementLevel ${JSON.stringify(enforcementLevel)} is not a valid enforcement level; use one of ${LEVELS.join(", ")}`);
        }
        return { level: enforcementLevel as EnforcementLevel | undefined, properties };
    };
    const all = config.all === undefined ? undefined : parse("all", config.all);
    if (all?.level) for (const [name, r] of result) result.set(name, { ...r, level: all.level });
    for (const [name, entry] of Object.entries(config)) {
        if (name === "all") continue;
        const given = parse(name, entry);
        const current = result.get(name);
        if (!current) {
            // A policy of the pack that this run leaves out (a test runs a subset) is no typo.
            if (pack.includes(name)) continue;
            problems.push(`policy config "${name}": the pack has no such policy; remove it or fix its name`);
            continue;
        }
        if (given) result.set(name, { level: given.level ?? current.level, properties: { ...current.properties, ...given.properties } });
    }
    for (const p of policies) {
        const schema = { type: "object", properties: p.configSchema?.properties ?? {}, required: p.configSchema?.required ?? [] };
        for (const problem of validateSchema(schema, result.get(p.name)!.properties, "")) problems.push(`policy config "${p.name}": ${problem}`);
    }
    if (problems.length) throw new Error(problems.join("\n"));
    return result;
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === "string",
    number: (v) => typeof v === "number",
    integer: (v) => Number.isInteger(v),
    boolean: (v) => typeof v === "boolean",
    array: (v) => Array.isArray(v),
    object: (v) => !!v && typeof v === "object" && !Array.isArray(v),
    null: (v) => v === null,
};
/** The JSON-schema keywords validateSchema knows; any other in a policy's schema is a harness gap, not a pass. */
const KEYWORDS = new Set(["type", "properties", "required", "items", "enum", "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern", "default", "description", "title"]);

/** The subset of JSON schema (draft 4, as gojsonschema validates) the pack's configSchemas use. */
function validateSchema(schema: Record<string, any>, value: unknown, at: string): string[] {
    const where = at || "(root)";
    const unknownKeywords = Object.keys(schema).filter((k) => !KEYWORDS.has(k));
    if (unknownKeywords.length) throw new Error(`policy config schema at ${where} uses ${unknownKeywords.join(", ")}, which the test harness does not validate: teach validateSchema`);
    const types: string[] = schema.type === undefined ? [] : [].concat(schema.type);
    if (types.length && !types.some((t) => JSON_TYPES[t]?.(value))) return [`${where}: ${JSON.stringify(value)} is not of type ${types.join(" or ")}`];
    const problems: string[] = [];
    if (schema.enum && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) problems.push(`${where}: must be one of ${JSON.stringify(schema.enum)}`);
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${where}: must be >= ${schema.minimum}`);
        if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${where}: must be <= ${schema.maximum}`);
    }
    if (typeof value === "string") {
        if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${where}: must be at least ${schema.minLength} characters`);
        if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${where}: must be at most ${schema.maxLength} characters`);
        if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problems.push(`${where}: must match ${schema.pattern}`);
    }
    if (Array.isArray(value)) {
        if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(`${where}: must have at least ${schema.minItems} items`);
        if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${where}: must have at most ${schema.maxItems} items`);
        if (schema.items) value.forEach((item, i) => problems.push(...validateSchema(schema.items, item, `${at}[${i}]`)));
    }
    if (JSON_TYPES.object(value) && (schema.properties || schema.required)) {
        const record = value as Record<string, unknown>;
        for (const key of schema.required ?? []) if (!(key in record)) problems.push(`${key} is required`);
        for (const [key, v] of Object.entries(record)) {
            const sub = schema.properties?.[key];
            const path = at ? `${at}.${key}` : key;
            if (!sub) problems.push(`${path}: unknown key; the policy's configSchema declares ${Object.keys(schema.properties ?? {}).join(", ") || "none"}`);
            else problems.push(...validateSchema(sub, v, path));
        }
    }
    return problems;
}
