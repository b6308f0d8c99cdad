/**
 * Recorded resources as the policy engine would hand them over: full URNs, resolved parents and
 * dependencies (also per property), resource options, the inputs after the provider's Check and
 * the outputs after its Create (lab/provider-defaults.ts), and in preview mode the engine's
 * unknown sentinels where a value is one a provider computes, or is built from one.
 */
import type { PolicyResourceOptions } from "@pulumi/policy";
import { checkedInputs, computedPaths, providerState } from "../../lab/provider-defaults";
import { CONFIG_NAMESPACE } from "../../program/config";
import type { RecordedResource } from "./mocks";
import { packRequire } from "./pack";

// The sentinels the SDK's deserializer leaves for unknowns, one per type (@pulumi/policy/proxy.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownStringValue, unknownArrayValue, unknownObjectValue, unknownNumberValue, unknownBooleanValue } = packRequire("@pulumi/policy/proxy") as Record<string, string>;

/** The sentinel of an unknown value's type (the type its `up` value has). */
function unknownLike(value: unknown): unknown {
    if (Array.isArray(value)) return unknownArrayValue;
    if (typeof value === "number") return unknownNumberValue;
    if (typeof value === "boolean") return unknownBooleanValue;
    if (value && typeof value === "object") return unknownObjectValue;
    return unknownStringValue;
}

const getPath = (value: any, path: string[]): any => path.reduce((v, key) => (v == null ? undefined : v[key]), value);

/** A copy of `value` with the value at `path` replaced (created as needed). */
function setPath(value: any, path: string[], to: unknown): any {
    if (path.length === 0) return to;
    const [head, ...rest] = path;
    const copy = Array.isArray(value) ? [...value] : { ...(value ?? {}) };
    (copy as any)[head] = setPath((value ?? {})[head], rest, to);
    return copy;
}

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
    private readonly checked = new Map<RecordedResource, Record<string, any>>();
    private readonly states = new Map<RecordedResource, Record<string, any>>();

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
        for (const r of resources) {
            // From the inputs every time: tests change a recorded resource's inputs, and hand-built
            // fixtures carry only inputs and the mock outputs they care about. For the attributes
            // the program sets, a provider's outputs are its checked inputs.
            const checked = checkedInputs(r.type, r.name, r.inputs);
            this.checked.set(r, checked);
            this.states.set(r, { ...providerState(r.type, r.name, checked, r.state), ...checked });
        }
        // Short strings ("", "runc") would match by accident; every id, password and PEM is longer.
        this.computed = !preview ? [] : resources.flatMap((r) => computedPaths(r.type, this.checked.get(r)!)
            .map((path) => getPath(this.states.get(r), path.split(".")))
            .filter((value): value is string => typeof value === "string" && value.length >= 8));
    }

    urn = (r: RecordedResource): string => this.urns.get(r)!;
    parentOf = (r: RecordedResource): RecordedResource | undefined => this.parents.get(r);
    dependenciesOf = (r: RecordedResource): RecordedResource[] => this.deps.get(r) ?? [];

    /** What a resource policy sees: the inputs (a fresh copy, as the server deserializes each request). */
    inputs(r: RecordedResource): Record<string, any> {
        return structuredClone(this.once(this.hiddenInputs, r, () => this.hide(this.checked.get(r)!)));
    }

    /**
     * What a stack policy sees: the outputs (checked inputs and what the provider computed); at
     * preview the planned state, where every computed attribute the program left out is unknown.
     */
    outputs(r: RecordedResource): Record<string, any> {
        return structuredClone(this.once(this.hiddenOutputs, r, () => {
            let state = this.states.get(r)!;
            if (this.preview) {
                for (const path of computedPaths(r.type, this.checked.get(r)!)) {
                    const keys = path.split(".");
                    state = setPath(state, keys, unknownLike(getPath(state, keys)));
                }
            }
            return this.hide(state);
        }));
    }

    /** Per input, the resources its value came from (what the engine sends as propertyDependencies). */
    propertyDependenciesOf(r: RecordedResource): Record<string, RecordedResource[]> {
        const byName = (name: string) => this.resources.filter((d) => d.name === name && d !== r);
        return Object.fromEntries(Object.entries(r.propertyDependencies ?? {})
            .filter(([, names]) => names.length > 0)
            .map(([key, names]) => [key, [...new Set(names.flatMap(byName))]]));
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
