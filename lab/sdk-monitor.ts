/**
 * The one place the lab reaches past Pulumi's public API. The mocks (`pulumi.runtime.setMocks`) give
 * a program's resources to `newResource` without their options, parent, dependencies or which inputs
 * are secret; the recorder needs all of them, so it wraps the mock monitor's `registerResource` and
 * reads the request the SDK sends. Everything below is SDK-internal: the monitor object
 * (@pulumi/pulumi/runtime/settings.js, getMonitor), the RegisterResourceRequest's protobuf
 * getters (@pulumi/pulumi/proto/resource_pb.js) and the secret marker the SDK serializes secrets
 * into (@pulumi/pulumi/runtime/rpc.js, specialSigKey and specialSecretSig).
 * test/lab/sdk-monitor.test.ts checks every one against the installed SDK and fails, naming this file,
 * when an upgrade breaks it.
 */
import * as pulumi from "@pulumi/pulumi";

/** The marker the SDK serializes a secret value into: { [SECRET_SIG]: SECRET_VALUE_SIG, value }. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** The SDK versions this adapter was checked against (the lock file's); a test refuses others. */
export const CHECKED_SDK = /^3\.\d+\.\d+$/;

/** What the recorder learns of one registration. */
export interface Registration {
    readonly type: string;
    readonly name: string;
    /** The inputs as serialized, secrets still wrapped in their marker. */
    readonly inputs: Record<string, unknown>;
    /** The parent's URN, or "". */
    readonly parent: string;
    /** URNs of the resources it depends on (explicit dependsOn and input dependencies). */
    readonly dependencies: string[];
    /** For each input, the URNs of the resources its value came from. */
    readonly propertyDependencies: Record<string, string[]>;
    readonly deleteBeforeReplace: boolean;
}

/**
 * Calls `observe` for every resource registration of the mocked program, before the mock answers it,
 * and `settled` after. Install once, after setMocks (which creates the mock monitor).
 */
export function observeRegistrations(observe: (r: Registration) => void, settled: () => void): void {
    const monitor: any = pulumi.runtime.getMonitor();
    if (!monitor || typeof monitor.registerResource !== "function") {
        throw new Error("lab/sdk-monitor.ts: the Pulumi SDK's mock monitor has no registerResource: the recorder must be adapted to this SDK");
    }
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, res: unknown) => void) => {
        observe({
            type: req.getType(),
            name: req.getName(),
            inputs: req.getObject()?.toJavaScript() ?? {},
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            propertyDependencies: Object.fromEntries([...req.getPropertydependenciesMap().entries()]
                .map(([key, deps]: [string, any]) => [key, deps.getUrnsList() as string[]])),
            deleteBeforeReplace: req.getDeletebeforereplace(),
        });
        return register(req, (err: unknown, res: unknown) => {
            settled();
            callback(err, res);
        });
    };
}
