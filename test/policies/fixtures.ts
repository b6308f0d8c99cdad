/**
 * A "happy" stack that passes every policy: the stage-4 shape (TLS edge, edge and internal data
 * networks, a replicated Postgres, non-root read-only containers with every capability dropped,
 * no-new-privileges, limits, health checks, bounded restarts, loopback-only ports, secrets as
 * files). Each test takes a fresh copy and changes one field, so reading it tells the rule.
 */
import { CONTAINER_PORTS, LABELS, PROJECT, SERVICES } from "../../program/names";
import { REPLICA_ENV } from "../../renderers/postgres";
import type { RecordedResource } from "../support/mocks";
import { TYPES } from "../support/topology";

type Tier = "edge" | "app" | "data" | "shared";

const labels = (tier: Tier) => [
    { label: LABELS.project, value: PROJECT },
    { label: LABELS.stage, value: "4" },
    { label: LABELS.tier, value: tier },
];

function resource(type: string, name: string, inputs: Record<string, any>, more: Partial<RecordedResource> = {}): RecordedResource {
    const parent = more.parent ?? "";
    return {
        type, name, inputs, secretPaths: [], dependsOn: [], deleteBeforeReplace: true, state: {}, ...more, parent,
        urn: `${parent ? `${parent}$` : ""}${type}::${name}`,
    };
}

/** A pulled image with the id Docker gives it (what containers reference). */
function pulled(name: string, ref: string, parent: string): RecordedResource {
    const imageId = `sha256:${Buffer.from(ref).toString("hex").padEnd(64, "0").slice(0, 64)}`;
    return resource(TYPES.remoteImage, name, { name: ref, keepLocally: true }, { parent, state: { name: ref, keepLocally: true, imageId } });
}

export const TLS_NGINX_CONF = `
events {}
http {
    upstream app { server app-1:8080 max_fails=1 fail_timeout=5s; server app-2:8080 max_fails=1 fail_timeout=5s; }
    server {
        listen 8443 ssl;
        ssl_certificate /etc/nginx/tls/cert.pem;
        ssl_certificate_key /etc/nginx/tls/key.pem;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location / { proxy_pass http://app; }
    }
    server {
        listen 8080;
        location = /nginx-health { return 200 "ok\\n"; }
        location / { return 301 https://$host:8443$request_uri; }
    }
}
`;

/** Everything stage 4 asks of a container; the caller adds image, networks, env and labels. */
function hardened(user: string): Record<string, any> {
    return {
        user,
        readOnly: true,
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        memory: 256,
        cpuShares: 512,
        healthcheck: { tests: ["CMD", "true"], interval: "5s", timeout: "3s", retries: 5, startPeriod: "30s" },
        restart: "on-failure",
        maxRetryCount: 5,
        ports: [],
    };
}

const network = (name: string, tier: Tier, internal: boolean) =>
    resource(TYPES.network, `${name}-network`, { name: `devsecops-s4-${name}`, internal, labels: labels(tier) },
        { state: { name: `devsecops-s4-${name}`, internal, labels: labels(tier) } });

const on = (net: string, ...aliases: string[]) => ({ name: `devsecops-s4-${net}`, aliases });

function container(name: string, parent: string, inputs: Record<string, any>, dependsOn: string[]): RecordedResource {
    const all = { name: `devsecops-s4-${name}`, ...inputs };
    return resource(TYPES.container, name, all, { parent, dependsOn, state: { ...all } });
}

/** The whole happy stack, fresh on every call. */
export function happyStack(): RecordedResource[] {
    const images = [pulled("nginx", "nginx:1.28.0-alpine", "edge"), pulled("postgres", "postgres:17.6-bookworm", "database"),
        pulled("redis", "redis:7.4.6-alpine", "cache")];
    const id = (name: string) => images.find((i) => i.name === name)!.state.imageId as string;
    const appImage = "devsecops-journey/app:0123456789ab";
    const apps = ["app-1", "app-2"].map((host) => container(host, "app", {
        ...hardened("10001:10001"), image: appImage, hostname: host, labels: labels("app"),
        envs: [`APP_PORT=${CONTAINER_PORTS.app}`, "DB_PRIMARY_HOST=postgres-primary", "VAULT_ADDR=http://vault:8200",
            "VAULT_TOKEN_FILE=/run/secrets/vault-token"],
        networksAdvanced: [on("edge", SERVICES.app, host), on("data", SERVICES.app, host)],
    }, ["app-image", "edge-network", "data-network", "postgres-primary"]));
    return [
        network("edge", "edge", false),
        network("data", "data", true),
        ...images,
        resource(TYPES.image, "app-image", { imageName: appImage, skipPush: true }, { parent: "app", state: { imageName: appImage } }),
        resource(TYPES.volume, "postgres-primary-data", { name: "devsecops-s4-postgres-primary-data", labels: labels("data") }, { parent: "database" }),
        container(SERVICES.postgresPrimary, "database", {
            ...hardened("postgres"), image: id("postgres"), labels: labels("data"),
            envs: ["POSTGRES_USER=lab_owner", "POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password"],
            networksAdvanced: [on("data", SERVICES.postgresPrimary)],
        }, ["postgres", "data-network", "postgres-primary-data"]),
        container(SERVICES.postgresReplica, "database", {
            ...hardened("postgres"), image: id("postgres"), labels: labels("data"),
            envs: [`${REPLICA_ENV.primaryHost}=${SERVICES.postgresPrimary}`, `${REPLICA_ENV.replicationPassword}_FILE=/run/secrets/replication`],
            networksAdvanced: [on("data", SERVICES.postgresReplica)],
        }, ["postgres", "data-network", "postgres-primary"]),
        container(SERVICES.redis, "cache", {
            ...hardened("999:999"), image: id("redis"), labels: labels("data"), networksAdvanced: [on("data", SERVICES.redis)],
        }, ["redis", "data-network"]),
        ...apps,
        container(SERVICES.nginx, "edge", {
            ...hardened("101:101"), image: id("nginx"), labels: labels("edge"),
            uploads: [{ file: "/etc/nginx/nginx.conf", content: TLS_NGINX_CONF }],
            networksAdvanced: [on("edge", SERVICES.nginx)],
            ports: [{ internal: 8443, external: 8443, ip: "127.0.0.1", protocol: "tcp" }],
        }, ["nginx", "edge-network", "app-1", "app-2"]),
    ];
}

/** A RandomPassword as the mocks record it: the result is what its provider computes. */
export const generatedPassword = (result: string) =>
    resource(TYPES.password, "generated-password", { length: 32 }, { state: { length: 32, result } });

/** One resource of the happy stack (default: the app instance app-1). */
export function happy(name = "app-1", type: string = TYPES.container): RecordedResource {
    const found = happyStack().find((r) => r.name === name && r.type === type);
    if (!found) throw new Error(`the happy stack has no ${type} ${name}`);
    return found;
}

/** A copy with some inputs replaced (undefined removes one); outputs follow, as a provider's would. */
export function withInputs(r: RecordedResource, patch: Record<string, unknown>): RecordedResource {
    const apply = (from: Record<string, any>) => {
        const next = { ...from, ...patch };
        for (const [key, value] of Object.entries(patch)) if (value === undefined) delete next[key];
        return next;
    };
    return { ...r, inputs: apply(r.inputs), state: Object.keys(r.state).length ? apply(r.state) : r.state };
}

/** The happy stack with one resource's inputs changed. */
export function stackWith(name: string, patch: Record<string, unknown>, type: string = TYPES.container): RecordedResource[] {
    return happyStack().map((r) => (r.name === name && r.type === type ? withInputs(r, patch) : r));
}

/** The happy stack without some resources. */
export const stackWithout = (...names: string[]) => happyStack().filter((r) => !names.includes(r.name));
