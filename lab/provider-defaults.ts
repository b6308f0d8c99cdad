/**
 * What each provider's Check and Create/Read add to a resource, so the recorder hands the pack what
 * the engine would: the mocks return a resource's inputs unchanged, the providers do not.
 * - `checkedInputs`: the inputs after Check, which is what `validateResource` receives (schema
 *   defaults filled in, Kubernetes auto-naming).
 * - `providerState`: the outputs after `up`, which is what `validateStack` receives (Check's
 *   inputs plus what the provider computes); `computedPaths` says which of them are unknown at
 *   preview (the planned state marks every computed attribute the program did not set unknown).
 *
 * Every entry cites the file it was read from. The table was checked against the versions in
 * CHECKED_AGAINST; test/lab/provider-defaults.test.ts fails when package-lock.json moves on.
 */

/** The provider SDK versions (package-lock.json) this table was read against, and their upstreams. */
export const CHECKED_AGAINST = {
    "@pulumi/docker": { version: "5.2.0", upstream: "kreuzwerker/terraform-provider-docker v4.5.0" },
    "@pulumi/kubernetes": { version: "4.34.2", upstream: "pulumi/pulumi-kubernetes provider/pkg/metadata/naming.go" },
    "@pulumi/random": { version: "4.21.2", upstream: "node_modules/@pulumi/random/randomPassword.d.ts" },
    "@pulumi/tls": { version: "5.6.1", upstream: "node_modules/@pulumi/tls/{privateKey,selfSignedCert}.d.ts" },
} as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider inputs are untyped JSON
type Fields = Record<string, any>;

interface ProviderTable {
    /** Top-level schema defaults Check fills in when the program leaves the field out. */
    readonly defaults?: Fields;
    /** Defaults inside each item of a list (or the single object) the program gives. */
    readonly nested?: Record<string, Fields>;
    /**
     * Computed attributes: unknown at preview when the program leaves them out, and at `up` the
     * value the provider reads back (a function of the checked inputs and the resource's name).
     * `undefined` means the provider leaves the attribute unset at `up` too.
     */
    readonly computed?: Record<string, (inputs: Fields, name: string) => unknown>;
    /** Computed attributes inside list items the program gives (e.g. a port's random host port). */
    readonly nestedComputed?: Record<string, Record<string, (item: Fields, index: number) => unknown>>;
}

// The docker provider 5.2.0 bridges kreuzwerker/terraform-provider-docker v4.5.0: pulumi-docker's
// provider/go.mod replaces it with its `upstream` submodule, at 5074970c (tag v4.5.0) since v5.1.0.
// Field names are the SDK's (TF `env` -> `envs`, `upload` -> `uploads`, `test` -> `tests`).
const DOCKER_CONTAINER: ProviderTable = {
    // internal/provider/resource_docker_container.go, the schema's `Default:` values.
    defaults: {
        rm: false, readOnly: false, start: true, wait: false, waitTimeout: 60, attach: false, logs: false,
        mustRun: true, restart: "no", removeVolumes: true, memoryReservation: 0,
        // Kept after the container moves onto networks_advanced: resource_docker_container_funcs.go
        // creates it with HostConfig.NetworkMode "bridge", disconnects it from "bridge" when
        // networks_advanced is set, and Read sets network_mode from HostConfig.NetworkMode.
        networkMode: "bridge",
        // containerReadRefreshTimeoutMillisecondsDefault, resource_docker_container_funcs.go.
        containerReadRefreshTimeoutMilliseconds: 15000,
        tty: false, stdinOpen: false,
    },
    nested: {
        ports: { ip: "0.0.0.0", protocol: "tcp" },
        devices: { permissions: "rwm" },
        uploads: { executable: false },
        healthcheck: { interval: "0s", timeout: "0s", startPeriod: "0s", startInterval: "0s", retries: 0 },
    },
    // The schema's `Computed: true` attributes. At `up` their values come from the daemon and the
    // image; these are a stand-in for an image with no ENV, LABEL, HEALTHCHECK or CMD of its own.
    computed: {
        hostname: (_i, name) => `${idOf(name).slice(0, 12)}`,
        command: () => [],
        entrypoint: () => [],
        envs: () => [],
        labels: () => [],
        securityOpts: () => [],
        runtime: () => "runc",
        platform: () => "linux/amd64",
        stopSignal: () => "",
        stopTimeout: () => 0,
        shmSize: () => 64,
        logDriver: () => "json-file",
        ipcMode: () => "private",
        init: () => false,
        healthcheck: () => undefined,
        bridge: () => "",
        networkData: (inputs) => ((inputs.networksAdvanced as Fields[] | undefined) ?? [{ name: inputs.networkMode ?? "bridge" }])
            .map((n, i) => ({ networkName: n.name, ipAddress: `172.18.0.${i + 2}`, ipPrefixLength: 16, gateway: "172.18.0.1", macAddress: "" })),
    },
    // ports[].external: "If not given a free random port >= 32768 will be used" (same file).
    nestedComputed: { ports: { external: (_item, index) => 32768 + index } },
};

const DOCKER_NETWORK: ProviderTable = {
    // internal/provider/resource_docker_network.go
    defaults: { ipamDriver: "default" },
    computed: {
        driver: () => "bridge",
        options: () => ({}),
        internal: () => false,
        ipamConfigs: () => [{ subnet: "172.18.0.0/16", gateway: "172.18.0.1", ipRange: "", auxAddress: {} }],
        scope: () => "local",
    },
};

const DOCKER_VOLUME: ProviderTable = {
    // internal/provider/resource_docker_volume.go
    computed: {
        name: (_i, name) => idOf(name),
        driver: () => "local",
        mountpoint: (inputs, name) => `/var/lib/docker/volumes/${inputs.name ?? idOf(name)}/_data`,
    },
};

const DOCKER_REMOTE_IMAGE: ProviderTable = {
    // internal/provider/resource_docker_image.go (docker_image is the SDK's RemoteImage): image_id
    // and repo_digest are computed; the recorder's mockState gives their values.
    computed: { imageId: () => undefined, repoDigest: () => undefined },
};

const DOCKER_IMAGE: ProviderTable = {
    // node_modules/@pulumi/docker/image.d.ts: repoDigest is an output only (the native Image resource).
    computed: { repoDigest: () => undefined },
};

const RANDOM_PASSWORD: ProviderTable = {
    // node_modules/@pulumi/random/randomPassword.d.ts: result and bcryptHash are outputs only.
    computed: { result: () => undefined, bcryptHash: (_i, name) => `$2a$10$mock-bcrypt-${name}` },
};

const TLS_PRIVATE_KEY: ProviderTable = {
    // node_modules/@pulumi/tls/privateKey.d.ts: the key material is output only.
    computed: {
        privateKeyPem: () => undefined,
        privateKeyPemPkcs8: (_i, name) => `-----BEGIN PRIVATE KEY-----\nmock-pkcs8-${name}\n-----END PRIVATE KEY-----\n`,
        privateKeyOpenssh: (_i, name) => `-----BEGIN OPENSSH PRIVATE KEY-----\nmock-${name}\n-----END OPENSSH PRIVATE KEY-----\n`,
        publicKeyPem: (_i, name) => `-----BEGIN PUBLIC KEY-----\nmock-${name}\n-----END PUBLIC KEY-----\n`,
        publicKeyOpenssh: (_i, name) => `ssh-ed25519 mock-${name}\n`,
        publicKeyFingerprintMd5: () => "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
        publicKeyFingerprintSha256: (_i, name) => `SHA256:mock-${name}`,
    },
};

const TLS_SELF_SIGNED_CERT: ProviderTable = {
    // node_modules/@pulumi/tls/selfSignedCert.d.ts: the certificate and its validity are output only.
    computed: {
        certPem: () => undefined,
        validityStartTime: () => "2026-01-01T00:00:00Z",
        validityEndTime: () => "2027-01-01T00:00:00Z",
        readyForRenewal: () => false,
    },
};

const TABLES: Record<string, ProviderTable> = {
    "docker:index/container:Container": DOCKER_CONTAINER,
    "docker:index/network:Network": DOCKER_NETWORK,
    "docker:index/volume:Volume": DOCKER_VOLUME,
    "docker:index/remoteImage:RemoteImage": DOCKER_REMOTE_IMAGE,
    "docker:index/image:Image": DOCKER_IMAGE,
    "random:index/randomPassword:RandomPassword": RANDOM_PASSWORD,
    "tls:index/privateKey:PrivateKey": TLS_PRIVATE_KEY,
    "tls:index/selfSignedCert:SelfSignedCert": TLS_SELF_SIGNED_CERT,
};

/** The types the table knows; a test checks every type the stages register is one of them or a component. */
export const TABLE_TYPES: readonly string[] = Object.keys(TABLES);

/** A Docker-like 64-hex id, stable per name so runs compare. */
function idOf(name: string): string {
    let h = 0x811c9dc5;
    let out = "";
    while (out.length < 64) {
        for (const ch of `${name}#${out.length}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
        out += h.toString(16).padStart(8, "0");
    }
    return out.slice(0, 64);
}

const isKubernetes = (type: string) => type.startsWith("kubernetes:");

/**
 * Kinds without a namespace (the Kubernetes API's cluster-scoped resources the lab could create);
 * every other kind is namespaced.
 */
const CLUSTER_SCOPED = new Set([
    "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "CustomResourceDefinition",
    "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "IngressClass", "RuntimeClass", "Node",
]);
const kindOf = (type: string) => type.split(":").pop() ?? type;

/** pulumi-kubernetes' auto-name: the URN's name, "-", 8 hex (resource.NewUniqueName, randlen 0 -> 8). */
const autoname = (name: string) => `${name}-${idOf(name).slice(0, 8)}`;

/** The inputs as the provider's Check returns them. */
export function checkedInputs(type: string, name: string, inputs: Fields): Fields {
    if (isKubernetes(type)) return checkedKubernetes(type, name, inputs);
    const table = TABLES[type];
    if (!table) return { ...inputs };
    const checked: Fields = { ...inputs };
    for (const [key, value] of Object.entries(table.defaults ?? {})) if (checked[key] === undefined) checked[key] = value;
    for (const [key, defaults] of Object.entries(table.nested ?? {})) {
        const given = checked[key];
        const fill = (item: unknown) => (item && typeof item === "object" ? withDefaults(item as Fields, defaults) : item);
        if (Array.isArray(given)) checked[key] = given.map(fill);
        else if (given && typeof given === "object") checked[key] = fill(given);
    }
    return checked;
}

function withDefaults(item: Fields, defaults: Fields): Fields {
    const filled = { ...item };
    for (const [key, value] of Object.entries(defaults)) if (filled[key] === undefined) filled[key] = value;
    return filled;
}

/**
 * pulumi-kubernetes provider/pkg/metadata/naming.go AssignNameIfAutonamable, called from Check:
 * no metadata.name and no generateName -> "<name>-<8 hex>" and the annotation pulumi.com/autonamed.
 */
function checkedKubernetes(type: string, name: string, inputs: Fields): Fields {
    if (!("kind" in inputs)) return { ...inputs }; // not an object of the API (e.g. a Helm chart)
    const metadata = { ...((inputs.metadata as Fields | undefined) ?? {}) };
    if (metadata.name === undefined && metadata.generateName === undefined) {
        metadata.name = autoname(name);
        metadata.annotations = { ...((metadata.annotations as Fields | undefined) ?? {}), "pulumi.com/autonamed": "true" };
    }
    return { ...inputs, metadata };
}

/** Dotted paths of outputs the provider computes that the program did not set: unknown at preview. */
export function computedPaths(type: string, checked: Fields): string[] {
    if (isKubernetes(type)) {
        // The live object's status is the cluster's; its namespace is the API server's default.
        const paths = ["status"];
        if (!CLUSTER_SCOPED.has(kindOf(type)) && (checked.metadata as Fields | undefined)?.namespace === undefined) paths.push("metadata.namespace");
        return "metadata" in checked ? paths : [];
    }
    const table = TABLES[type];
    if (!table) return [];
    const paths = Object.keys(table.computed ?? {}).filter((key) => checked[key] === undefined);
    for (const [key, fields] of Object.entries(table.nestedComputed ?? {})) {
        const items = checked[key];
        if (!Array.isArray(items)) continue;
        items.forEach((item, index) => {
            for (const field of Object.keys(fields)) if ((item as Fields)?.[field] === undefined) paths.push(`${key}.${index}.${field}`);
        });
    }
    return paths;
}

/**
 * The outputs after `up`: the checked inputs, what `mocked` (the recorder's mockState: generated
 * passwords, image ids, PEMs) gives, and the table's values for every other computed attribute.
 */
export function providerState(type: string, name: string, checked: Fields, mocked: Fields): Fields {
    const state: Fields = { ...checked, ...mocked };
    if (isKubernetes(type)) {
        // The API server sets a namespaced object's namespace to "default" when none is given.
        if ("metadata" in state && !CLUSTER_SCOPED.has(kindOf(type))) {
            const metadata = state.metadata as Fields;
            if (metadata.namespace === undefined) state.metadata = { ...metadata, namespace: "default" };
        }
        return state;
    }
    const table = TABLES[type];
    if (!table) return state;
    for (const [key, value] of Object.entries(table.computed ?? {})) {
        if (state[key] !== undefined) continue;
        const computed = value(checked, name);
        if (computed !== undefined) state[key] = computed;
    }
    for (const [key, fields] of Object.entries(table.nestedComputed ?? {})) {
        const items = state[key];
        if (!Array.isArray(items)) continue;
        state[key] = items.map((item, index) => {
            const filled = { ...(item as Fields) };
            for (const [field, value] of Object.entries(fields)) if (filled[field] === undefined) filled[field] = value(filled, index);
            return filled;
        });
    }
    return state;
}
