import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { SETTINGS } from "../../program/config";
import { APP_ENV, DATA_ADDRESSES, LABELS, SUBNETS, VAULT } from "../../program/names";
import { APP_DB_USER, POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { REDIS_USERS } from "../../renderers/redis";
import { TYPES, appInstances, container, containers, envOf, imageOf, labelsOf, ofType, publishedPorts, resource, secretEnvKeys, dependsOnService, serviceOf } from "../support/topology";
import { RecordedResource } from "../support/mocks";
import { VAULT_DEV_SERVER_COMMAND } from "../../renderers/vault";

/** Long-running servers: not the never-started file seeds, not the one-shot bootstrap job. */
const servers = (run: ProgramRun) => containers(run).filter((c) => c.inputs.start !== false && !labelsOf(c)[LABELS.role]);
const networkNames = (c: RecordedResource) => (c.inputs.networksAdvanced as { name: string }[]).map((n) => n.name.replace("devsecops-s4-", ""));
/** A container's uploaded files (stage 4: through its seed), by path. */
function filesOf(run: ProgramRun, name: string): Record<string, { content: string; permissions: string; group: string; secret: boolean }> {
    const seed = container(run, `${name}-files`);
    return Object.fromEntries((seed.inputs.uploads as any[]).map((u, i) => [u.file, {
        content: u.content, permissions: u.permissions, group: u.group,
        secret: seed.secretPaths.some((p) => p.startsWith(`uploads.${i}`)),
    }]));
}

describe("stage 4 (Shift-left security) on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "4" });
    });

    it("runs stage 3's servers plus Vault, and a bootstrap job", () => {
        assert.deepEqual(servers(run).map(serviceOf).sort(),
            ["app-1", "app-2", "app-3", "nginx", "postgres-primary", "postgres-replica", "redis", "vault"]);
        assert.equal(labelsOf(container(run, "vault-bootstrap"))[LABELS.role], "job");
        assert.equal(container(run, "vault-bootstrap").inputs.attach, true, "Pulumi waits for the job to finish");
        assert.equal(imageOf(run, container(run, "vault")), SETTINGS.vaultImage.default);
    });

    it("splits the network into edge, app and data; only the edge has a way out", () => {
        const nets = Object.fromEntries(ofType(run, TYPES.network).map((n) => [n.inputs.name.replace("devsecops-s4-", ""), n]));
        assert.deepEqual(Object.keys(nets).sort(), ["app-network", "data-network", "edge-network"]);
        assert.equal(nets["edge-network"].inputs.internal, false);
        assert.equal(nets["app-network"].inputs.internal, true);
        assert.equal(nets["data-network"].inputs.internal, true);
        assert.equal(nets["data-network"].inputs.ipamConfigs[0].subnet, SUBNETS.data);
    });

    it("puts each tier on its networks: Nginx edge+app, the app app+data at a fixed address, data only data", () => {
        assert.deepEqual(networkNames(container(run, "nginx")), ["edge-network", "app-network"]);
        for (const [i, name] of appInstances(run).entries()) {
            const c = container(run, name);
            assert.deepEqual(networkNames(c), ["app-network", "data-network"]);
            assert.equal(c.inputs.networksAdvanced[1].ipv4Address, DATA_ADDRESSES.appInstance(i + 1));
        }
        for (const name of ["postgres-primary", "postgres-replica", "redis", "vault", "vault-bootstrap"]) {
            assert.deepEqual(networkNames(container(run, name)), ["data-network"], name);
        }
    });

    it("publishes only Nginx, on 127.0.0.1: HTTPS and the HTTP redirect", () => {
        for (const c of containers(run)) {
            assert.deepEqual(publishedPorts(c), serviceOf(c) === "nginx" ? ["127.0.0.1:8080->8080", "127.0.0.1:8443->8443"] : [], c.name);
        }
        assert.deepEqual(run.outputs.entryPoints, ["https://localhost:8443"]);
    });

    it("hardens every server: non-root, read-only, no capabilities, no new privileges, limits, health, restart", () => {
        for (const c of servers(run)) {
            const i = c.inputs;
            assert.match(i.user, /^[1-9]\d*:\d+$/, `${c.name} user`);
            assert.equal(i.readOnly, true, `${c.name} readOnly`);
            assert.ok(Object.keys(i.tmpfs ?? {}).includes("/tmp"), `${c.name} tmpfs`);
            assert.deepEqual(i.capabilities, { drops: ["ALL"] }, `${c.name} capabilities`);
            assert.deepEqual(i.securityOpts, ["no-new-privileges:true"], `${c.name} securityOpts`);
            assert.ok(i.memory > 0 && Number(i.cpus) > 0, `${c.name} limits`);
            assert.ok(i.healthcheck?.tests?.length > 1, `${c.name} health check`);
            assert.equal(i.restart, "unless-stopped", `${c.name} restart`);
        }
        const job = container(run, "vault-bootstrap").inputs;
        assert.equal(job.readOnly, true);
        assert.deepEqual(job.capabilities, { drops: ["ALL"] });
    });

    it("hands files over through never-started seeds into volumes the servers mount read-only", () => {
        for (const c of servers(run)) {
            const seed = container(run, `${serviceOf(c)}-files`);
            assert.equal(seed.inputs.start, false, seed.name);
            const mounted = (c.inputs.volumes as any[]).filter((v) => v.readOnly);
            assert.deepEqual(mounted.map((v) => v.volumeName).sort(), (seed.inputs.volumes as any[]).map((v) => v.volumeName).sort(), c.name);
            assert.ok(c.dependsOn.includes(seed.name), `${c.name} waits for its files`);
            assert.deepEqual(c.inputs.uploads ?? [], [], `${c.name} cannot take uploads on a read-only root`);
        }
    });

    it("keeps every password out of every environment", () => {
        for (const c of containers(run)) {
            assert.deepEqual(secretEnvKeys(c), [], c.name);
            for (const key of Object.keys(envOf(c))) assert.doesNotMatch(key, /PASSWORD$|TOKEN$|SECRET$/, `${c.name}: ${key}`);
        }
    });

    it("gives the app a Vault address and a token file, never database or Redis credentials", () => {
        const token = resource(run, TYPES.password, "secrets-app-token").state.result;
        for (const name of appInstances(run)) {
            const env = envOf(container(run, name));
            assert.equal(env[VAULT.env.addr], "http://vault:8200");
            assert.equal(env[VAULT.env.tokenFile], "/run/secrets/vault-token");
            for (const key of [APP_ENV.dbUser, APP_ENV.dbPassword, APP_ENV.redisUser, APP_ENV.redisPassword]) assert.equal(env[key], undefined, key);
            const file = filesOf(run, name)["/run/secrets/vault-token"];
            assert.deepEqual([file.content, file.permissions, file.group, file.secret], [token, "0440", "1000", true]);
            assert.ok(dependsOnService(run, container(run, name), "vault-bootstrap"), `${name} starts after the bootstrap`);
        }
    });

    it("bootstraps Vault with the app's credentials and the app's token id, from files", () => {
        const files = filesOf(run, "vault-bootstrap");
        const pw = (n: string) => resource(run, TYPES.password, n).state.result;
        assert.equal(files["/run/secrets/vault-app-token"].content, pw("secrets-app-token"));
        assert.equal(files["/run/secrets/db-app-password"].content, pw("database-app-password"));
        assert.equal(files["/run/secrets/redis-app-password"].content, pw("cache-app-password"));
        assert.ok(Object.values(files).filter((f) => f.permissions === "0440").every((f) => f.secret));
        const env = envOf(container(run, "vault-bootstrap"));
        assert.equal(env.DB_USER, APP_DB_USER);
        assert.equal(env.REDIS_USER, REDIS_USERS.app);
        assert.ok(dependsOnService(run, container(run, "vault-bootstrap"), "vault"));
        const vault = container(run, "vault").inputs;
        // The dev server takes its root token from the file and keeps it out of its log (test/renderers/vault-dev-server.test.ts).
        assert.deepEqual(vault.entrypoints, [...VAULT_DEV_SERVER_COMMAND]);
        assert.ok(!envOf(container(run, "vault")).VAULT_DEV_ROOT_TOKEN_ID, "no token in the container's environment");
        assert.equal(vault.wait, true, "the bootstrap starts once Vault is healthy");
    });

    it("splits the Postgres roles and admits each only from where it belongs", () => {
        const init = filesOf(run, "postgres-primary")["/docker-entrypoint-initdb.d/10-lab-init.sh"].content;
        assert.match(init, new RegExp(`host +lab +${APP_DB_USER} +${DATA_ADDRESSES.appInstancesCidr.replace(/[./]/g, "\\$&")} +scram-sha-256`));
        assert.match(init, new RegExp(`host +replication +replicator +${DATA_ADDRESSES.postgresReplica.replace(/\./g, "\\.")}/32 +scram-sha-256`));
        assert.doesNotMatch(init, /^(local|host)\s.*\btrust\s*$/m, "no trust line survives");
        const env = envOf(container(run, "postgres-primary"));
        assert.equal(env.POSTGRES_PASSWORD_FILE, POSTGRES_SECRET_PATHS.ownerPassword);
        assert.equal(env.APP_DB_PASSWORD_FILE, POSTGRES_SECRET_PATHS.appPassword);
        assert.equal(envOf(container(run, "postgres-replica")).REPLICATION_PASSWORD_FILE, POSTGRES_SECRET_PATHS.replicationPassword);
        const files = filesOf(run, "postgres-primary");
        const pw = (n: string) => resource(run, TYPES.password, n).state.result;
        assert.equal(files[POSTGRES_SECRET_PATHS.appPassword].content, pw("database-app-password"));
        assert.equal(files[POSTGRES_SECRET_PATHS.ownerPassword].secret, true);
    });

    it("requires Redis auth: the default user off, the app's user limited, the health check without a secret", () => {
        const conf = filesOf(run, "redis")["/usr/local/etc/redis/redis.conf"].content;
        assert.match(conf, /^user default off/m);
        assert.match(conf, new RegExp(`^user ${REDIS_USERS.app} on .*-@all \\+get`, "m"));
        assert.ok(container(run, "redis").inputs.healthcheck.tests.includes(REDIS_USERS.health));
    });

    it("serves TLS with a generated self-signed certificate, redirects HTTP and limits the rate", () => {
        assert.equal(ofType(run, "tls:index/privateKey:PrivateKey").length, 1);
        const cert = ofType(run, "tls:index/selfSignedCert:SelfSignedCert")[0];
        assert.deepEqual(cert.inputs.dnsNames, ["localhost"]);
        const files = filesOf(run, "nginx");
        assert.equal(files["/etc/nginx/lab/tls.key"].secret, true);
        assert.equal(files["/etc/nginx/lab/tls.key"].permissions, "0440");
        const conf = files["/etc/nginx/lab/nginx.conf"].content;
        assert.match(conf, /listen 8443 ssl/);
        assert.match(conf, /return 301 https:\/\/localhost:8443\$request_uri/);
        assert.match(conf, /limit_req_status 429/);
        assert.match(conf, /Strict-Transport-Security/);
        assert.deepEqual(container(run, "nginx").inputs.command, ["nginx", "-c", "/etc/nginx/lab/nginx.conf", "-g", "daemon off;"]);
    });

    it("exports the certificate and tells the learner what to try", () => {
        assert.match(run.outputs.edgeCertificate, /^-----BEGIN CERTIFICATE-----/);
        assert.ok(run.outputs.tryThis.some((l: string) => l.includes("curl -sI http://localhost:8080")));
        assert.ok(run.outputs.tryThis.some((l: string) => l.includes("docker logs devsecops-s4-vault-bootstrap")));
    });
});
