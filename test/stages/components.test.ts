import { RecordedResource, recordRun } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SETTINGS } from "../../program/config";
import { KUBE_NAMESPACES } from "../../program/names";

/**
 * Components name their children under their own name, so a program may hold two of one kind (a
 * second database, a second edge) without two resources sharing a URN, which the engine refuses.
 * Each component is built twice here, on both targets, and every URN must be unique.
 */
const image = (key: keyof typeof SETTINGS) => String((SETTINGS[key] as { default?: unknown }).default);
const login = (user: string) => ({ user, password: pulumi.output("pw") });

/**
 * The URN the engine gives a resource: the chain of its ancestors' TYPES, its own type and its name
 * (urn:pulumi:stack::project::parentType$type::name). A parent's name is not part of it, so two
 * children of the same type and name under two components of one kind clash.
 */
function engineUrns(resources: RecordedResource[]): string[] {
    const byName = new Map(resources.map((r) => [r.name, r]));
    const chain = (r: RecordedResource): string => (r.parent && byName.get(r.parent) ? `${chain(byName.get(r.parent)!)}$` : "") + r.type;
    return resources.map((r) => `${chain(r)}::${r.name}`);
}

function assertUniqueUrns(urns: string[]): void {
    const seen = new Set<string>();
    const twice = urns.filter((u) => (seen.has(u) ? true : (seen.add(u), false)));
    assert.deepEqual(twice, [], "URNs registered twice");
}

describe("components: a second instance of each never clashes with the first", () => {
    it("on Docker: Tiers, PostgresCluster, Cache, SecretStore, AppTier, Edge", async () => {
        const { Tiers } = await import("../../builders/docker/network");
        const { PostgresCluster } = await import("../../builders/docker/postgres");
        const { Cache } = await import("../../builders/docker/redis");
        const { SecretStore } = await import("../../builders/docker/vault");
        const { AppTier } = await import("../../builders/docker/app");
        const { Edge } = await import("../../builders/docker/nginx");
        const run = await recordRun(() => {
            for (const n of ["one", "two"]) {
                const style = { stage: 4 as const, selfHealing: true, hardening: true, publishAddress: "127.0.0.1" as const };
                const tiers = new Tiers(`${n}-tiers`, { stage: 4, segmented: true });
                const db = new PostgresCluster(`${n}-database`, { style, tiers, image: image("postgresImage"), replica: true, leastPrivilege: true, secretsAsFiles: true });
                const cache = new Cache(`${n}-cache`, { style, tiers, image: image("redisImage"), aclUsers: true });
                const secrets = new SecretStore(`${n}-secrets`, { style, tiers, image: image("vaultImage"), credentials: { db: db.appLogin, redis: cache.appLogin } });
                const app = new AppTier(`${n}-app`, {
                    style, tiers, image: "registry.local/app:1.0.0", instances: 2, roundRobinAlias: false,
                    wiring: { primaryHost: db.primaryHost, credentials: { from: "vault", address: secrets.address } },
                    vaultToken: secrets.appToken, dependsOn: [],
                });
                new Edge(`${n}-edge`, { style, tiers, image: image("nginxImage"), upstreams: app.hosts.map((name, i) => ({ name, address: app.addresses[i] })), httpPort: 8080, httpsPort: 8443, rateLimit: true, dependsOn: [] });
            }
            return {};
        });
        assert.ok(run.resources.length > 60);
        assertUniqueUrns(engineUrns(run.resources));
    });

    it("on Kubernetes: Tiers, PostgresCluster, Cache, SecretStore, AppTier, Edge, Monitoring, Chaos", async () => {
        const { Tiers } = await import("../../builders/kubernetes/network");
        const { PostgresCluster } = await import("../../builders/kubernetes/postgres");
        const { Cache } = await import("../../builders/kubernetes/redis");
        const { SecretStore } = await import("../../builders/kubernetes/vault");
        const { AppTier } = await import("../../builders/kubernetes/app");
        const { Edge } = await import("../../builders/kubernetes/nginx");
        const { Monitoring } = await import("../../builders/kubernetes/monitoring");
        const { Chaos } = await import("../../builders/kubernetes/chaos");
        const run = await recordRun(() => {
            for (const n of ["one", "two"]) {
                const tiers = new Tiers(`${n}-tiers`, { stage: 6, namespaces: Object.values(KUBE_NAMESPACES), podSecurity: "restricted" });
                const scope = { stage: 6 as const, ready: tiers.ready, hardening: true };
                const db = new PostgresCluster(`${n}-database`, { scope, image: image("postgresImage"), replica: true, leastPrivilege: true });
                const cache = new Cache(`${n}-cache`, { scope, image: image("redisImage"), aclUsers: true });
                const secrets = new SecretStore(`${n}-secrets`, { scope, image: image("vaultImage"), credentials: { db: db.appLogin, redis: cache.appLogin ?? login("x") } });
                const app = new AppTier(`${n}-app`, {
                    scope, namespace: KUBE_NAMESPACES.app, region: 1, image: "registry.local/app:1.0.0",
                    autoscale: { min: 2, max: 4, cpuPercent: 70 }, disruptionBudget: { minAvailable: 1 },
                    wiring: { primaryHost: db.primaryHost, credentials: { from: "vault", address: secrets.address } },
                    vaultToken: secrets.appToken, scraped: true, dependsOn: [],
                });
                new Edge(`${n}-edge`, { scope, image: image("nginxImage"), regions: [{ name: "region-1", host: app.host }], tls: { nodePort: 30443, redirectPort: 8443 }, httpNodePort: 30080, rateLimit: true, exporter: { image: image("nginxExporterImage") }, dependsOn: [] });
                new Monitoring(`${n}-monitoring`, { scope, image: image("prometheusImage"), appNamespaces: [KUBE_NAMESPACES.app] });
                new Chaos(`${n}-chaos`, { scope, image: image("kubectlImage"), schedule: "*/5 * * * *", dependsOn: [app.deployment] });
            }
            return {};
        });
        assert.ok(run.resources.length > 100);
        assertUniqueUrns(engineUrns(run.resources));
    });
});
