import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../config";
import { StageOutputs, fillStory } from "../outputs";
import { AppTier } from "./app";
import { dockerName, labLabels } from "./common";
import { LoadBalancer } from "./nginx";
import { PostgresCluster } from "./postgres";
import { Cache } from "./redis";

/**
 * The Docker builder: turns a stage profile into containers on the learner's Docker engine.
 * Every Docker stage goes through here; what differs between stages is the profile, not the code.
 */
export function buildDockerStage(lab: LabConfig): StageOutputs {
    const { profile } = lab;
    // Stages 1-3 have one flat network: every container can reach every other (stage 4 splits it).
    const network = new docker.Network("lab-network", {
        name: dockerName(profile, "network"),
        labels: labLabels(profile, "shared"),
    });
    const ctx = { lab, network };

    const database = new PostgresCluster("database", ctx);
    const cache = profile.cache ? new Cache("cache", ctx) : undefined;
    const app = new AppTier("app", ctx, {
        primaryHost: database.primaryHost,
        replicaHost: database.replicaHost,
        cacheHost: cache?.host,
        dbPassword: database.ownerPassword,
        dependsOn: [database.primary, ...(database.replica ? [database.replica] : []), ...(cache ? [cache.container] : [])],
    });
    if (profile.loadBalancer === "nginx") {
        new LoadBalancer("edge", ctx, { upstreams: app.hosts, dependsOn: app.instances });
    }

    const entryPoints = profile.loadBalancer === "nginx"
        ? [`http://localhost:${lab.ports.edge}`]
        : app.hostPorts.map((port) => `http://localhost:${port}`);
    return {
        stage: profile.stage,
        title: profile.title,
        target: profile.target,
        entryPoints,
        tryThis: fillStory(profile.story.tryThis, {
            entry: entryPoints.join(" "),
            db: String(lab.ports.db),
            dbReplica: String(lab.ports.dbReplica),
            instances: app.hosts.map((host) => dockerName(profile, host)).join(" "),
            firstInstance: dockerName(profile, app.hosts[0]),
        }),
        lessons: profile.story.lessons,
        databasePassword: pulumi.secret(database.ownerPassword),
    };
}
