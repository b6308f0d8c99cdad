/**
 * Recorded resources as the policy engine would hand them over: full URNs, resolved parents and
 * dependencies, resource options, and (in preview mode) the engine's unknown sentinels where a
 * value is one a provider computes.
 */
import type { PolicyResourceOptions } from "@pulumi/policy";
import { CONFIG_NAMESPACE } from "../../program/config";
import type { RecordedResource } from "./mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue } = require("@pulumi/policy/proxy") as { unknownStringValue: string };

/** The mocks' stack and project names (setMocks(..., CONFIG_NAMESPACE, "test")). */
const URN_PREFIX = `urn:pulumi:test::${CONFIG_NAMESPACE}::`;

/** A component (no provider behind it) is what a recorded `parent` name refers to. */
const isComponent = (r: RecordedResource) => !/^[a-z0-9-]+:index\//.test(r.type) && !r.type.startsWith("kubernetes:");

export class RecordedStack {
    private readonly parents = new Map<RecordedResource, RecordedResource | undefined>();
    private readonly urns = new Map<RecordedResource, string>();
    private readonly deps = new Map<RecordedResource, RecordedResource[]>();
    /** Strings a provider computes (image ids, generated passwords): unknown at preview. */
    private readonly computed: string[];

    constructor(readonly resources: readonly RecordedResource[], readonly preview: boolean) {
        const byName = new Map<string, RecordedResource[]>();
        for (const r of resources) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
        for (const r of resources) {
            const candidates = r.parent ? byName.get(r.parent) ?? [] : [];
            this.parents.set(r, candidates.find(isComponent) ?? candidates[0]);
            // Names, not URNs, are recorded: a dependency is every other resource of that name.
            this.deps.set(r, [...new Set(r.dependsOn.flatMap((n) => (byName.get(n) ?? []).filter((d) => d !== r)))]);
        }
        for (const r of resources) this.urns.set(r, `${URN_PREFIX}${this.typeChain(r)}::${r.name}`);
        this.computed = !preview ? [] : resources.flatMap((r) => Object.entries(r.state)
            .filter(([key, value]) => !(key in r.inputs) && typeof value === "string" && value.length >= 6)
            .map(([, value]) => value as string));
    }

    urn = (r: RecordedResource): string => this.urns.get(r)!;
    parentOf = (r: RecordedResource): RecordedResource | undefined => this.parents.get(r);
    dependenciesOf = (r: RecordedResource): RecordedResource[] => this.deps.get(r) ?? [];

    /** What a resource policy sees: the inputs (a fresh copy, as the server deserializes each request). */
    inputs(r: RecordedResource): Record<string, any> {
        return structuredClone(this.once(this.hiddenInputs, r, () => this.hide(r.inputs)));
    }

    /** What a stack policy sees: the outputs (inputs and what the provider computed). */
    outputs(r: RecordedResource): Record<string, any> {
        return structuredClone(this.once(this.hiddenOutputs, r, () => {
            const state = { ...(Object.keys(r.state).length ? r.state : r.inputs) };
            if (this.preview) for (const key of Object.keys(state)) if (!(key in r.inputs)) state[key] = unknownStringValue;
            return this.hide(state);
        }));
    }

    private readonly hiddenInputs = new Map<RecordedResource, Record<string, any>>();
    private readonly hiddenOutputs = new Map<RecordedResource, Record<string, any>>();
    private once<T>(cache: Map<RecordedResource, T>, r: RecordedResource, make: () => T): T {
        if (!cache.has(r)) cache.set(r, make());
        return cache.get(r)!;
    }

    opts(r: RecordedResource): PolicyResourceOptions {
        const parent = this.parentOf(r);
        return {
            protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            deleteBeforeReplace: r.deleteBeforeReplace,
            ...(parent ? { parent: this.urn(parent) } : {}),
        };
    }

    private typeChain(r: RecordedResource, seen = new Set<RecordedResource>()): string {
        const parent = this.parentOf(r);
        if (!parent || seen.has(parent)) return r.type;
        seen.add(r);
        return `${this.typeChain(parent, seen)}$${r.type}`;
    }

    /** A string built from a computed value is unknown as a whole (interpolating an unknown is unknown). */
    private hide(value: any): any {
        if (this.computed.length === 0) return value;
        if (typeof value === "string") return this.computed.some((c) => value.includes(c)) ? unknownStringValue : value;
        if (Array.isArray(value)) return value.map((v) => this.hide(v));
        if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.hide(v)]));
        return value;
    }
}
