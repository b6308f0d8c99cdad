import { LabConfig } from "../../program/config";
import { SERVICES } from "../../program/names";
import { StageOutputs, stageOutputs } from "../outputs";
import { Requirement, refuseUnmet } from "../refusal";
import { AppCredentialSource, AppCredentials } from "../shared";
import { AppTier } from "./app";
import { containerStyle, dockerName } from "./common";
import { Tiers } from "./network";
import { Edge } from "./nginx";
import { PostgresCluster } from "./postgres";
import { Cache } from "./redis";
import { SecretStore } from "./vault";

/** What only the Docker builder needs of a profile. */
export const DOCKER_REQUIREMENTS: readonly Requirement[] = [
    {
        field: "kubernetes",
        holds: (p) => p.kubernetes === undefined,
        why: "the Docker builder builds no Kubernetes section: remove it, or set target \"kubernetes\"",
    },
    {
        field: "leastPrivilege",
        holds: (p) => !p.leastPrivilege || p.segmentation,
        why: "pg_hba admits each role from its fixed address on the data network: it needs segmentation",
    },
];

/**
 * The Docker builder: turns a stage profile into containers on the learner's Docker engine.
 * Every Docker stage goes through here; what differs between stages is the profile, not the code.
 */
export function buildDockerStage(lab: LabConfig): StageOutputs {
    const { profile: p, images, ports } = lab;
    refuseUnmet(p, DOCKER_REQUIREMENTS);
    const style = containerStyle(p);
    const tiers = new Tiers("tiers", { stage: p.stage, segmented: p.segmentation });

    const database = new PostgresCluster("database", {
        style, tiers, image: images.postgres,
        replica: p.database.replica,
        leastPrivilege: p.leastPrivilege,
        secretsAsFiles: p.secretsFrom === "vault",
        publish: p.database.publish ? { primary: ports.db, replica: ports.dbReplica } : undefined,
    });
    const cache = p.cache ? new Cache("cache", { style, tiers, image: images.redis, aclUsers: p.leastPrivilege }) : undefined;
    const appCredentials: AppCredentials = { db: database.appLogin, redis: cache?.appLogin };
    const secrets = p.secretsFrom === "vault"
        ? new SecretStore("secrets", { style, tiers, image: images.vault, credentials: appCredentials })
        : undefined;
    const credentials: AppCredentialSource = secrets ? { from: "vault", address: secrets.address } : { from: "env", db: database.appLogin };
    const app = new AppTier("app", {
        style, tiers, image: images.app,
        instances: lab.appInstances,
        firstHostPort: p.app.publishEachInstance ? ports.app : undefined,
        roundRobinAlias: p.loadBalancer === "dns-round-robin",
        wiring: { primaryHost: database.primaryHost, replicaHost: database.replicaHost, cacheHost: cache?.host, credentials },
        vaultToken: secrets?.appToken,
        dependsOn: [
            database.primary,
            ...(database.replica ? [database.replica] : []),
            ...(cache ? [cache.container] : []),
            ...(secrets ? [secrets.bootstrap] : []),
        ],
    });
    const edge = p.loadBalancer === "nginx"
        ? new Edge("edge", {
            style, tiers, image: images.nginx,
            upstreams: app.hosts.map((name, i) => ({ name, address: app.addresses[i] })),
            httpPort: ports.edge,
            httpsPort: p.tls ? ports.edgeTls : undefined,
            rateLimit: p.rateLimit,
            dependsOn: app.instances,
        })
        : undefined;

    const entryPoints = !edge
        ? app.hostPorts.map((port) => `http://localhost:${port}`)
        : p.tls
            ? [`https://localhost:${ports.edgeTls}`]
            : [`http://localhost:${ports.edge}`];
    return stageOutputs(p, {
        entryPoints,
        storyValues: {
            entry: entryPoints.join(" "),
            httpEntry: `http://localhost:${ports.edge}`,
            db: String(ports.db),
            dbReplica: String(ports.dbReplica),
            instances: app.hosts.map((host) => dockerName(p.stage, host)).join(" "),
            firstInstance: dockerName(p.stage, app.hosts[0]),
            bootstrap: dockerName(p.stage, SERVICES.vaultBootstrap),
            vault: dockerName(p.stage, SERVICES.vault),
        },
        databasePassword: database.ownerPassword,
        edgeCertificate: edge?.certificatePem,
        vaultBootstrap: secrets?.bootstrapOutcome,
    });
}
