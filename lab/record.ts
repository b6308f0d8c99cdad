/**
 * The program under Pulumi's mocks: installs the mocks (each setMocks call replaces the last, so
 * this is the one place that does) and records every resource a program registers: its inputs,
 * which of them are secret, its dependencies and options. Import this module before any program
 * module, then call `runProgram(config)` for each stage.
 *
 * The tests use it (test/support/mocks.ts re-exports it), and so do the lab CLI's `diff` and the
 * docs generator, which need the program's topology at run time. Never imported by index.ts: a real
 * `pulumi up` runs without mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SETTINGS } from "../program/config";
import { checkedInputs, providerState } from "./provider-defaults";
import { SECRET_SIG, observeRegistrations } from "./sdk-monitor";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Inputs as the program registered them, secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Dotted paths of inputs that are Pulumi secrets ("envs.2", "result"). */
    readonly secretPaths: string[];
    /** Logical names of the resources this one depends on (explicit dependsOn and input dependencies). */
    readonly dependsOn: string[];
    /** Per input, the logical names of the resources its value came from (the SDK's propertyDependencies). */
    readonly propertyDependencies?: Record<string, string[]>;
    readonly parent: string;
    readonly deleteBeforeReplace: boolean;
    /** Outputs as the provider would give them back after `up` (lab/provider-defaults.ts). */
    readonly state: Record<string, any>;
}

let recorded: RecordedResource[] = [];
let pending = 0;
let started = 0;

const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

function secretPaths(value: unknown, at = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((item, i) => secretPaths(item, at ? `${at}.${i}` : String(i)));
    if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SECRET_SIG] !== undefined) return [at];
        return Object.entries(record).flatMap(([k, v]) => secretPaths(v, at ? `${at}.${k}` : k));
    }
    return [];
}

/** Outputs the providers' SDKs list in additionalSecretOutputs, which the engine makes secret. */
const SECRET_OUTPUTS: Record<string, string> = {
    "random:index/randomPassword:RandomPassword": "result",
    "tls:index/privateKey:PrivateKey": "privateKeyPem",
};

/** The outputs a provider would return, as plain values. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: `mock-password-${name}` };
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:mock-${inputs.name}`, repoDigest: `${inputs.name}@sha256:mock` };
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-${name}\n-----END PRIVATE KEY-----\n` };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { ...inputs, certPem: `-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n` };
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: `${inputs.imageName}@sha256:mock` };
        default:
            return { ...inputs };
    }
}

/**
 * The objects the program reads from the cluster, as a kind cluster holds them: the API server's
 * EndpointSlice names the control-plane node (kind's Docker network address) on 6443.
 */
export const KIND_CLUSTER_OBJECTS: Record<string, Record<string, unknown>> = {
    "kubernetes:discovery.k8s.io/v1:EndpointSlice default/kubernetes": {
        addressType: "IPv4",
        endpoints: [{ addresses: ["172.18.0.2"], conditions: { ready: true } }],
        ports: [{ name: "https", port: 6443, protocol: "TCP" }],
    },
};

function clusterObject(type: string, id: string): Record<string, unknown> {
    const found = KIND_CLUSTER_OBJECTS[`${type} ${id}`];
    if (!found) throw new Error(`the mocks hold no ${type} ${id} to read: add it to KIND_CLUSTER_OBJECTS`);
    return found;
}

pulumi.runtime.setMocks(
    {
        newResource(args) {
            // A read of an object the cluster keeps (Resource.get): what kind's cluster holds.
            if (args.id !== undefined && args.id !== "") return { id: args.id, state: clusterObject(args.type, args.id) };
            // The mocks skip the provider: apply its Check defaults and computed outputs as it would.
            const checked = checkedInputs(args.type, args.name, args.inputs);
            const state = providerState(args.type, args.name, checked, mockState(args.type, args.name, checked));
            const entry = recorded.find((r) => r.type === args.type && r.name === args.name && !Object.keys(r.state).length);
            if (entry) Object.assign(entry, { state });
            // The engine honours the SDKs' additionalSecretOutputs (RandomPassword.result, ...); the
            // mock monitor does not, so mark those outputs secret here as the engine would.
            const secretOutput = SECRET_OUTPUTS[args.type];
            const engineState = secretOutput ? { ...state, [secretOutput]: pulumi.secret(state[secretOutput]) } : state;
            return { id: `${args.name}-id`, state: engineState };
        },
        call(args) {
            return args.inputs;
        },
    },
    CONFIG_NAMESPACE,
    "test",
    false,
);

// The mock's newResource sees neither options nor secretness: record them from the request itself.
observeRegistrations((req) => {
    const parent = req.parent;
    recorded.push({
        type: req.type,
        name: req.name,
        urn: `${parent ? nameOf(parent) + "$" : ""}${req.type}::${req.name}`,
        inputs: req.inputs,
        secretPaths: secretPaths(req.inputs),
        dependsOn: req.dependencies.map(nameOf),
        propertyDependencies: Object.fromEntries(Object.entries(req.propertyDependencies).map(([key, urns]) => [key, urns.map(nameOf)])),
        parent: parent ? nameOf(parent) : "",
        deleteBeforeReplace: req.deleteBeforeReplace,
        state: {},
    });
    pending++;
    started++;
}, () => {
    pending--;
});

/** Unwraps the SDK's secret markers so assertions read plain values. */
function unwrap(value: any): any {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        if (value[SECRET_SIG] !== undefined) return unwrap(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** Waits until no registration is in flight and none has started for a few turns of the event loop. */
async function settle(): Promise<void> {
    let quiet = 0;
    let seen = -1;
    while (quiet < 5) {
        await new Promise((resolve) => setImmediate(resolve));
        if (pending === 0 && started === seen) quiet++;
        else quiet = 0;
        seen = started;
    }
}

/** Resolves every Output in a value (the program's stack outputs) to a plain value. */
async function resolveDeep(value: any): Promise<any> {
    if (pulumi.Output.isInstance(value)) {
        return resolveDeep(await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve)));
    }
    if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
    if (value && typeof value === "object") {
        const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveDeep(v)]));
        return Object.fromEntries(entries);
    }
    return value;
}

export interface ProgramRun {
    readonly resources: RecordedResource[];
    /** The stack outputs, resolved; `raw` keeps the Outputs to check secretness. */
    readonly outputs: Record<string, any>;
    readonly raw: Record<string, any>;
}

/** Config keys without the namespace; the program's own defaults fill the rest, as the CLI would. */
export type LabConfigValues = Partial<Record<keyof typeof SETTINGS, string>> & Record<string, string>;

export function setLabConfig(values: LabConfigValues): void {
    const all: Record<string, string> = {};
    for (const [key, setting] of Object.entries(SETTINGS)) {
        if ("default" in setting) all[`${CONFIG_NAMESPACE}:${key}`] = String(setting.default);
    }
    for (const [key, value] of Object.entries(values)) all[`${CONFIG_NAMESPACE}:${key}`] = value;
    pulumi.runtime.setAllConfig(all);
}

const runs = new Map<string, Promise<ProgramRun>>();

/**
 * Runs index.ts's program with this config and records what it registers. Throws what it throws.
 * Under mocks one config always registers the same resources, so each config runs once per process
 * (the tests and the docs ask for every stage's defaults dozens of times) and its record is frozen:
 * a caller that changes a resource clones it first.
 */
export function runProgram(values: LabConfigValues): Promise<ProgramRun> {
    const key = JSON.stringify(Object.entries(values).sort(([a], [b]) => a.localeCompare(b)));
    let run = runs.get(key);
    if (!run) {
        run = record(values);
        runs.set(key, run);
        run.catch(() => runs.delete(key));
    }
    return run;
}

async function record(values: LabConfigValues): Promise<ProgramRun> {
    setLabConfig(values);
    return recordRun(() => (require("../index") as () => Record<string, any>)());
}

/**
 * Runs any program function under the mocks and records what it registers: index.ts's program, or
 * a builder with a profile of a test's making. Throws what the program throws.
 *
 * The SDK captures a stack for every promise and resource it makes (runtime/debuggable.js, the
 * resource's callsites): most of a run's time under mocks. The tests' setup
 * (test/support/promise-stacks.ts) sets LAB_RECORD_WITHOUT_STACKS, and then a run keeps no frames;
 * a bug the program throws says how to get its stack back. The bench and the CLI keep them, so the
 * bench times what `pulumi up` pays.
 */
export async function recordRun(program: () => Record<string, any>): Promise<ProgramRun> {
    // One registry of what is registered: two runs at once would each record the other's resources.
    if (running) throw new Error("lab/record.ts records one program run at a time: await the run in progress first");
    running = true;
    try {
        return await recordOne(program);
    } finally {
        running = false;
    }
}

let running = false;

async function recordOne(program: () => Record<string, any>): Promise<ProgramRun> {
    recorded = [];
    const withoutStacks = process.env.LAB_RECORD_WITHOUT_STACKS === "1" && process.env.LAB_RECORD_STACKS !== "1";
    const limit = Error.stackTraceLimit;
    if (withoutStacks) Error.stackTraceLimit = 0;
    try {
        let raw: Record<string, any>;
        try {
            raw = program();
        } finally {
            await settle();
        }
        const outputs = await resolveDeep(raw);
        await settle();
        const resources = recorded.map((r) => ({ ...r, inputs: unwrap(r.inputs), state: unwrap(r.state) }));
        // raw keeps the program's Outputs as they are: the SDK still settles them.
        return { resources: deepFreeze(resources), outputs: deepFreeze(outputs), raw };
    } catch (error) {
        if (withoutStacks && error instanceof Error && !(error instanceof pulumi.RunError)) {
            error.message += " (recorded without stacks: run again with LAB_RECORD_STACKS=1 for its stack)";
        }
        throw error;
    } finally {
        Error.stackTraceLimit = limit;
    }
}

function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/** Runs a program function expecting it to fail; returns the error and whatever was registered. */
export async function recordRunExpectingError(program: () => Record<string, any>): Promise<{ error: Error; resources: RecordedResource[] }> {
    try {
        await recordRun(program);
    } catch (error) {
        return { error: error as Error, resources: [...recorded] };
    }
    throw new Error("the program ran without an error");
}

/** Runs the program expecting it to fail; returns the error and whatever was registered. */
export async function runProgramExpectingError(values: LabConfigValues): Promise<{ error: Error; resources: RecordedResource[] }> {
    try {
        await runProgram(values);
    } catch (error) {
        return { error: error as Error, resources: [...recorded] };
    }
    throw new Error(`the program accepted ${JSON.stringify(values)}`);
}

/** Whether an Output is a Pulumi secret. */
export function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
    return (output as any).isSecret as Promise<boolean>;
}
