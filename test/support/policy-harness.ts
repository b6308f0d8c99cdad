/**
 * Runs the pack's policies in-process over recorded resources, the way @pulumi/policy's analyzer
 * server does (node_modules/@pulumi/policy/server.js), without constructing a PolicyPack (that
 * starts a gRPC server, and a second one in a process calls process.exit):
 * - resource policies get each resource's inputs after the provider's Check, stack policies every
 *   resource's outputs with parent, dependencies and propertyDependencies, both behind the SDK's
 *   own unknown-checking proxy (proxy.js); lab/provider-defaults.ts says what Check and Create add;
 * - a validateResourceOfType function only sees its `__pulumiType` (the server's fast path);
 * - config goes through what the CLI does with `--policy-pack-config` (pulumi/pulumi
 *   pkg/resource/analyzer/config.go ReconcilePolicyPackConfig: schema defaults, then the file,
 *   `all` first, then JSON-schema validation), and more strictly: unknown policies and keys are
 *   errors here, which the CLI accepts silently;
 * - levels come from that config, then the policy's own, then the pack's default "advisory";
 *   "disabled" skips, "remediate" is mandatory;
 * - a violation's message is the description, a newline and the policy's text, as
 *   makeReportViolationFun builds it; `detail` keeps the policy's text alone;
 * - in preview mode, values a provider computes (ids, generated passwords, image digests, every
 *   computed attribute the program left out, and every input built from them) are the engine's
 *   unknown sentinels; a policy that throws on one is reported as the server's advisory "can't run
 *   policy ... during preview". `evaluateStage` runs both modes, as `preview` then `up` would.
 */
import type {
    EnforcementLevel,
    PolicyPackConfig,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as fs from "fs";
import * as path from "path";
import { LAB_POLICIES, LabPolicy } from "../../policy-pack/policies";
import { reconcileConfig } from "./policy-config";
import type { RecordedResource } from "./mocks";
import { RecordedStack } from "./policy-resources";
import { PACK_DIR, packRequire } from "./pack";

// The SDK's proxy module: its .d.ts is stripped (@internal), the runtime exports are what the server uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = packRequire("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(value: T): T; UnknownValueError: new (...a: any[]) => Error };

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export interface Violation {
    readonly policy: string;
    readonly level: "advisory" | "mandatory";
    readonly severity?: string;
    /** The Pulumi name of the resource it is about (a stack-wide violation has none). */
    readonly resource?: string;
    readonly urn?: string;
    /** What the CLI prints: the policy's description, a newline, then `detail`. */
    readonly message: string;
    /** The policy's own text (what it passed to reportViolation). */
    readonly detail: string;
}

export interface PackResult {
    readonly mandatory: Violation[];
    readonly advisory: Violation[];
    /** Policies that read a value unknown at preview (the engine's "can't run ... during preview"). */
    readonly previewSkips: Violation[];
    readonly notApplicable: { policy: string; resource?: string; reason?: string }[];
}

export interface EvalOptions {
    /** Emulate `pulumi preview`: provider-computed values are unknown. */
    readonly preview?: boolean;
    /** Default: the lab's pack. */
    readonly policies?: readonly (LabPolicy | AnyPolicy)[];
}

export interface Recorded {
    readonly resources: readonly RecordedResource[];
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

const asPolicy = (p: LabPolicy | AnyPolicy): AnyPolicy => ("policy" in p && "meta" in p ? p.policy : p as AnyPolicy);

/** The pack's name and version as the server reports them (policy.js reads the pack's package.json). */
const PACK = (() => {
    const dir = PACK_DIR;
    const name = /new PolicyPack\("([^"]+)"/.exec(fs.readFileSync(path.join(dir, "index.ts"), "utf8"))?.[1];
    const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version as string;
    return `'${name}@v${version}'`;
})();

/** The server's isTypeOf: a class's `__pulumiType`, else its isInstance. */
function isTypeOf(type: string, resourceClass: any): boolean {
    const pulumiType = resourceClass?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType) return type === pulumiType;
    return typeof resourceClass?.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

const throwNotApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

/** Evaluates the pack over a recorded program with a stage's config (policy-pack/config/stageN.json). */
export async function evaluatePack(run: Recorded, config: PolicyPackConfig, options: EvalOptions = {}): Promise<PackResult> {
    const policies = (options.policies ?? LAB_POLICIES).map(asPolicy);
    const reconciled = reconcileConfig(config, policies, LAB_POLICIES.map((p) => p.meta.name));
    const result: PackResult = { mandatory: [], advisory: [], previewSkips: [], notApplicable: [] };
    const stack = new RecordedStack(run.resources, options.preview ?? false);
    for (const policy of policies) {
        const { level: given, properties } = reconciled.get(policy.name)!;
        const level: EnforcementLevel = given === "remediate" ? "mandatory" : given ?? "advisory";
        if (level === "disabled") continue;
        const ctx = { policy, level, result, getConfig: () => structuredClone(properties) };
        if ("validateStack" in policy) await runStack(ctx, stack);
        else for (const r of run.resources) await runResource(ctx, r, stack);
    }
    return result;
}

/** A stage under the engine: `pulumi preview` (unknowns) and `pulumi up` (known); it passes when both do. */
export interface StageResult {
    readonly preview: PackResult;
    readonly up: PackResult;
    /** Both modes' mandatory violations, each prefixed with its mode: empty when the stage passes. */
    readonly failures: string[];
}

export async function evaluateStage(run: Recorded, config: PolicyPackConfig, options: Omit<EvalOptions, "preview"> = {}): Promise<StageResult> {
    const preview = await evaluatePack(run, config, { ...options, preview: true });
    const up = await evaluatePack(run, config, { ...options, preview: false });
    const failures = [
        ...preview.mandatory.map((v) => `preview: ${v.policy}: ${v.detail}`),
        ...up.mandatory.map((v) => `up: ${v.policy}: ${v.detail}`),
    ];
    return { preview, up, failures };
}

export interface PolicyOutcome extends PackResult {
    /** Every violation's text (without the description the CLI prints first), in order: what unit tests assert on. */
    readonly messages: string[];
}

/**
 * One policy over one resource (a resource policy) or a list (a stack policy, or a resource policy
 * run on each), with its config given explicitly (the CLI fills schema defaults; the SDK does not).
 */
export async function runPolicy(
    policy: LabPolicy | AnyPolicy,
    target: RecordedResource | readonly RecordedResource[],
    config: Record<string, unknown> = {},
    options: { preview?: boolean } = {},
): Promise<PolicyOutcome> {
    const p = asPolicy(policy);
    const resources = Array.isArray(target) ? target : [target as RecordedResource];
    const result = await evaluatePack({ resources }, { [p.name]: { enforcementLevel: "mandatory", ...config } }, { ...options, policies: [p] });
    return { ...result, messages: result.mandatory.map((v) => v.detail) };
}

interface Ctx {
    readonly policy: AnyPolicy;
    readonly level: EnforcementLevel;
    readonly result: PackResult;
    readonly getConfig: () => Record<string, unknown>;
}

function reporter(ctx: Ctx, resource?: RecordedResource, byUrn?: Map<string, RecordedResource>): ReportViolation {
    return (message: string, urn?: string) => {
        const about = resource ?? (urn ? byUrn?.get(urn) : undefined);
        const level = ctx.level as "advisory" | "mandatory";
        // makeReportViolationFun (server.js): the description, then the message on its own line.
        ctx.result[level].push({
            policy: ctx.policy.name, level, severity: ctx.policy.severity, resource: about?.name, urn: urn ?? about?.urn,
            message: message ? `${ctx.policy.description}\n${message}` : ctx.policy.description ?? "", detail: message,
        });
    };
}

/** Runs a check the way the server's try/catch does: not-applicable and preview skips are outcomes. */
async function guarded(ctx: Ctx, resource: RecordedResource | undefined, check: () => unknown): Promise<void> {
    try {
        await check();
    } catch (error) {
        if (error instanceof NotApplicable) {
            ctx.result.notApplicable.push({ policy: ctx.policy.name, resource: resource?.name, reason: error.reason });
        } else if (error instanceof proxy.UnknownValueError) {
            const message = `can't run policy '${ctx.policy.name}' from policy pack ${PACK} during preview: ${error.message}`;
            ctx.result.previewSkips.push({ policy: ctx.policy.name, level: "advisory", resource: resource?.name, message, detail: message });
        } else {
            throw error;
        }
    }
}

async function runResource(ctx: Ctx, r: RecordedResource, stack: RecordedStack): Promise<void> {
    const policy = ctx.policy as ResourceValidationPolicy;
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    const only = !Array.isArray(policy.validateResource) && (policy.validateResource as any)?.__pulumiType;
    if (only && only !== r.type) {
        ctx.result.notApplicable.push({ policy: policy.name, resource: r.name, reason: `only ${only}` });
        return;
    }
    const report = reporter(ctx, r);
    for (const validate of validations) {
        // Fresh props per validation, as the server deserializes the request each time.
        const props = proxy.unknownCheckingProxy(stack.inputs(r));
        const args: ResourceValidationArgs = {
            type: r.type, props, urn: stack.urn(r), name: r.name, opts: stack.opts(r), stackTags: new Map(),
            isType: (cls: any) => isTypeOf(r.type, cls),
            asType: ((cls: any) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
            getConfig: <T extends object>() => ctx.getConfig() as T,
            notApplicable: throwNotApplicable,
        };
        await guarded(ctx, r, () => validate(args, report));
    }
}

async function runStack(ctx: Ctx, stack: RecordedStack): Promise<void> {
    const policy = ctx.policy as StackValidationPolicy;
    const views = new Map<RecordedResource, PolicyResource>();
    const byUrn = new Map<string, RecordedResource>();
    for (const r of stack.resources) {
        const props = proxy.unknownCheckingProxy(stack.outputs(r));
        byUrn.set(stack.urn(r), r);
        views.set(r, {
            type: r.type, props, urn: stack.urn(r), name: r.name, opts: stack.opts(r),
            dependencies: [], propertyDependencies: {},
            isType: (cls: any) => isTypeOf(r.type, cls),
            asType: ((cls: any) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        });
    }
    // Parent, dependencies and propertyDependencies point at the resource objects, as the server
    // links them by URN.
    for (const r of stack.resources) {
        const view = views.get(r)!;
        const parent = stack.parentOf(r);
        if (parent) view.parent = views.get(parent);
        view.dependencies = stack.dependenciesOf(r).map((d) => views.get(d)!);
        view.propertyDependencies = Object.fromEntries(Object.entries(stack.propertyDependenciesOf(r))
            .map(([key, deps]) => [key, deps.map((d) => views.get(d)!)]));
    }
    const args: StackValidationArgs = {
        resources: [...views.values()], stackTags: new Map(),
        getConfig: <T extends object>() => ctx.getConfig() as T,
        notApplicable: throwNotApplicable,
    };
    await guarded(ctx, undefined, () => policy.validateStack(args, reporter(ctx, undefined, byUrn)));
}
