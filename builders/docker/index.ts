import { LabConfig } from "../../program/config";
import { SERVICES } from "../../program/names";
import { StageOutputs, stageOutputs } from "../outputs";
import { AppCredentialSource, AppTier } from "./app";
import { dockerName } from "./common";
import { LabNetworks } from "./network";
import { LoadBalancer } from "./nginx";
import { PostgresCluster } from "./postgres";
import { Cache } from "./redis";
import { SecretStore } from "./vault";

/**
 * The Docker builder: turns a stage profile into containers on the learner's Docker engine.
 * Every Docker stage goes through here; what differs between stages is the profile, not the code.
 */
export function buildDockerStage(lab: LabConfig): StageOutputs {
    const { profile } = lab;
    const networks = new LabNetworks("networks", profile);
    const ctx = { lab, networks };

    const database = new PostgresCluster("database", ctx);
    const cache = profile.cache ? new Cache("cache", ctx) : undefined;
    let credentials: AppCredentialSource;
    let secretStore: SecretStore | undefined;
    if (profile.secretsFrom === "vault") {
        if (!cache?.appLogin) throw new Error(`stage ${profile.stage}: Vault holds the Redis login, so it needs the cache with least privilege`);
        secretStore = new SecretStore("secrets", ctx, {
            dbUser: database.appLogin.user,
            dbPassword: database.appLogin.password,
            redisUser: cache.appLogin.user,
            redisPassword: cache.appLogin.password,
        });
        credentials = { from: "vault", address: secretStore.address, token: secretStore.appToken };
    } else {
        credentials = { from: "env", dbUser: database.appLogin.user, dbPassword: database.appLogin.password };
    }
    const app = new AppTier("app", ctx, {
        primaryHost: database.primaryHost,
        replicaHost: database.replicaHost,
        cacheHost: cache?.host,
        credentials,
        dependsOn: [
            database.primary,
            ...(database.replica ? [database.replica] : []),
            ...(cache ? [cache.container] : []),
            ...(secretStore ? [secretStore.bootstrap] : []),
        ],
    });
    const edge = profile.loadBalancer === "nginx"
        ? new LoadBalancer("edge", ctx, { upstreams: app.hosts, dependsOn: app.instances })
        : undefined;

    const entryPoints = !edge
        ? app.hostPorts.map((port) => `http://localhost:${port}`)
        : profile.tls
            ? [`https://localhost:${lab.ports.edgeTls}`]
            : [`http://localhost:${lab.ports.edge}`];
    return stageOutputs(profile, {
        entryPoints,
        storyValues: {
            entry: entryPoints.join(" "),
            httpEntry: `http://localhost:${lab.ports.edge}`,
            db: String(lab.ports.db),
            dbReplica: String(lab.ports.dbReplica),
            instances: app.hosts.map((host) => dockerName(profile, host)).join(" "),
            firstInstance: dockerName(profile, app.hosts[0]),
            bootstrap: dockerName(profile, SERVICES.vaultBootstrap),
            vault: dockerName(profile, SERVICES.vault),
        },
        databasePassword: database.ownerPassword,
        edgeCertificate: edge?.certificatePem,
    });
}
