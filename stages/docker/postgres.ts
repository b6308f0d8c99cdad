import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CONTAINER_PORTS, DATABASE, SERVICES } from "../names";
import {
    POSTGRES_IMAGE_ENV,
    POSTGRES_PATHS,
    PRIMARY_INIT_ENV,
    REPLICA_ENV,
    postgresArgs,
    postgresSettings,
    renderPrimaryInitScript,
    renderReplicaEntrypoint,
} from "../render/postgres";
import { DockerContext, containerOptions, dockerName, env, labLabels, publish, pullImage, selfHealing } from "./common";

/**
 * Postgres on Docker: a primary, and from stage 2 a streaming replica that clones itself from the
 * primary on first start, so `pulumi up` alone yields a working replica.
 */
export class PostgresCluster extends pulumi.ComponentResource {
    /** The owner role's password; the app connects with it in stages 1-3. */
    readonly ownerPassword: pulumi.Output<string>;
    readonly primary: docker.Container;
    readonly replica?: docker.Container;
    /** DNS names on the lab network. */
    readonly primaryHost = SERVICES.postgresPrimary;
    readonly replicaHost?: string;

    constructor(name: string, ctx: DockerContext, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:PostgresCluster", name, {}, opts);
        const { lab, network } = ctx;
        const { profile } = lab;
        const labels = labLabels(profile, "data");
        const image = pullImage("postgres", lab.images.postgres, this);
        const healthcheck = selfHealing(profile, ["CMD-SHELL", `pg_isready -q -U ${DATABASE.ownerUser} -d ${DATABASE.name}`]);

        this.ownerPassword = new random.RandomPassword("postgres-owner-password", { length: 32, special: false }, { parent: this }).result;
        // The replica logs in with a role of its own that can only stream WAL.
        const replicationPassword = profile.database.replica
            ? new random.RandomPassword("postgres-replication-password", { length: 32, special: false }, { parent: this }).result
            : undefined;

        const primaryData = new docker.Volume("postgres-primary-data", {
            name: dockerName(profile, "postgres-primary-data"),
            labels,
        }, { parent: this });
        this.primary = new docker.Container(SERVICES.postgresPrimary, {
            name: dockerName(profile, SERVICES.postgresPrimary),
            image: image.imageId,
            envs: [
                env(POSTGRES_IMAGE_ENV.user, DATABASE.ownerUser),
                env(POSTGRES_IMAGE_ENV.database, DATABASE.name),
                env(POSTGRES_IMAGE_ENV.password, this.ownerPassword),
                ...(replicationPassword ? [env(PRIMARY_INIT_ENV.replicationPassword, replicationPassword)] : []),
            ],
            command: ["postgres", ...postgresArgs(postgresSettings("primary"))],
            uploads: [{
                file: POSTGRES_PATHS.primaryInitScript,
                // samenet: only addresses on a network the primary sits on may stream WAL.
                content: renderPrimaryInitScript({ replicationCidr: "samenet", replication: profile.database.replica }),
                executable: true,
            }],
            volumes: [{ volumeName: primaryData.name, containerPath: POSTGRES_PATHS.dataDir }],
            networksAdvanced: [{ name: network.name, aliases: [SERVICES.postgresPrimary] }],
            ports: profile.database.publish ? publish(profile, CONTAINER_PORTS.postgres, lab.ports.db) : [],
            labels,
            ...healthcheck,
        }, containerOptions(this));

        if (replicationPassword) {
            const replicaData = new docker.Volume("postgres-replica-data", {
                name: dockerName(profile, "postgres-replica-data"),
                labels,
            }, { parent: this });
            this.replicaHost = SERVICES.postgresReplica;
            this.replica = new docker.Container(SERVICES.postgresReplica, {
                name: dockerName(profile, SERVICES.postgresReplica),
                image: image.imageId,
                // The image's data volume belongs to postgres: clone as that user, no root needed.
                user: "postgres",
                entrypoints: ["/bin/sh", POSTGRES_PATHS.replicaEntrypoint],
                command: ["docker-entrypoint.sh", "postgres", ...postgresArgs(postgresSettings("replica"))],
                envs: [
                    env(POSTGRES_IMAGE_ENV.dataDir, POSTGRES_PATHS.dataDir),
                    env(REPLICA_ENV.primaryHost, SERVICES.postgresPrimary),
                    env(REPLICA_ENV.primaryPort, CONTAINER_PORTS.postgres),
                    env(REPLICA_ENV.replicationUser, DATABASE.replicationUser),
                    env(REPLICA_ENV.replicationSlot, DATABASE.replicationSlot),
                    env(REPLICA_ENV.replicationPassword, replicationPassword),
                ],
                uploads: [{ file: POSTGRES_PATHS.replicaEntrypoint, content: renderReplicaEntrypoint(), executable: true }],
                volumes: [{ volumeName: replicaData.name, containerPath: POSTGRES_PATHS.dataDir }],
                networksAdvanced: [{ name: network.name, aliases: [SERVICES.postgresReplica] }],
                ports: profile.database.publish ? publish(profile, CONTAINER_PORTS.postgres, lab.ports.dbReplica) : [],
                labels,
                ...healthcheck,
            }, containerOptions(this, [this.primary]));
        }
        this.registerOutputs({ ownerPassword: this.ownerPassword });
    }
}
