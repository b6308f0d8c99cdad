import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, DATABASE, DATA_ADDRESSES, IMAGE_USERS, SECRETS_DIR, SERVICES } from "../../program/names";
import {
    POSTGRES_IMAGE_ENV,
    POSTGRES_PATHS,
    PRIMARY_INIT_ENV,
    postgresArgs,
    postgresSettings,
    renderPrimaryInitScript,
    renderReplicaEntrypoint,
} from "../../renderers/postgres";
import { APP_DB_USER, LEAST_PRIVILEGE_ENV, POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { Login, baseOf, dirOf, generatedSecret, replicaEnvironment } from "../shared";
import {
    ContainerStyle, GRACE_SECONDS, LabFile, containerFiles, containerOptions, dockerName, env, gracePeriod, hardening, labLabels, publish, pullImage,
    selfHealing,
} from "./common";
import type { Tiers } from "./network";

const INIT_DIR = dirOf(POSTGRES_PATHS.primaryInitScript);
const ENTRYPOINT_DIR = dirOf(POSTGRES_PATHS.replicaEntrypoint);
const ENTRYPOINT_FILE = baseOf(POSTGRES_PATHS.replicaEntrypoint);

export interface PostgresClusterArgs {
    readonly style: ContainerStyle;
    readonly tiers: Tiers;
    readonly image: string;
    /** A streaming replica that clones itself from the primary (the profile's `database.replica`). */
    readonly replica: boolean;
    /** The app gets a DML-only role; each role logs in only from its own address (needs segmented tiers). */
    readonly leastPrivilege: boolean;
    /** Passwords reach the servers as files (the image's *_FILE convention), not in their environment. */
    readonly secretsAsFiles: boolean;
    /** Host ports for the primary and the replica (the profile's `database.publish`); absent: none. */
    readonly publish?: { readonly primary: number; readonly replica: number };
}

/**
 * Postgres on Docker: a primary, and from stage 2 a streaming replica that clones itself from the
 * primary on first start, so `pulumi up` alone yields a working replica. From stage 4 the app gets
 * a role of its own that can only change rows, each role may log in only from where it belongs, and
 * the passwords reach the containers as files, not environment variables.
 */
export class PostgresCluster extends pulumi.ComponentResource {
    /** The owner role's password (stages 1-3: the app connects with it; psql from the host). */
    readonly ownerPassword: pulumi.Output<string>;
    /** What the app logs in as: the owner, or the DML-only app role with least privilege. */
    readonly appLogin: Login;
    readonly primary: docker.Container;
    readonly replica?: docker.Container;
    /** DNS names on the data network. */
    readonly primaryHost = SERVICES.postgresPrimary;
    readonly replicaHost?: string;

    constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:PostgresCluster", name, {}, opts);
        const { style, tiers, leastPrivilege: lp, secretsAsFiles } = args;
        const labels = labLabels(style.stage, "data");
        const image = pullImage(`${name}-image`, args.image, this);
        const password = (id: string) => generatedSecret(`${name}-${id}`, this);
        // A clean shutdown (a checkpoint) instead of crash recovery at the next start.
        const healthcheck = { ...selfHealing(style, ["CMD-SHELL", `pg_isready -q -U ${DATABASE.ownerUser} -d ${DATABASE.name}`]), ...gracePeriod(GRACE_SECONDS.postgres) };
        const hardened = hardening(style, {
            user: IMAGE_USERS.postgres,
            writable: ["/var/run/postgresql", "/tmp"],
            memoryMb: 512,
            cpus: "1.0",
        });

        this.ownerPassword = password("owner-password");
        // The replica logs in with a role of its own that can only stream WAL.
        const replicationPassword = args.replica ? password("replication-password") : undefined;
        this.appLogin = lp
            ? { user: APP_DB_USER, password: password("app-password") }
            : { user: DATABASE.ownerUser, password: this.ownerPassword };

        // Passwords as files (the image's *_FILE convention), or in plain env (stages 1-3's lesson).
        const secretFiles: LabFile[] = [];
        const secretEnv = (key: string, fileKey: string, path: string, value: pulumi.Output<string>) => {
            if (!secretsAsFiles) return [env(key, value)];
            secretFiles.push({ name: baseOf(path), content: value, mode: "0440" });
            return [env(fileKey, path)];
        };
        const primaryEnv = [
            env(POSTGRES_IMAGE_ENV.user, DATABASE.ownerUser),
            env(POSTGRES_IMAGE_ENV.database, DATABASE.name),
            ...secretEnv(POSTGRES_IMAGE_ENV.password, LEAST_PRIVILEGE_ENV.ownerPasswordFile, POSTGRES_SECRET_PATHS.ownerPassword, this.ownerPassword),
            ...(replicationPassword
                ? secretEnv(PRIMARY_INIT_ENV.replicationPassword, LEAST_PRIVILEGE_ENV.replicationPasswordFile, POSTGRES_SECRET_PATHS.replicationPassword, replicationPassword)
                : []),
            ...(lp ? secretEnv(LEAST_PRIVILEGE_ENV.appPassword, LEAST_PRIVILEGE_ENV.appPasswordFile, POSTGRES_SECRET_PATHS.appPassword, this.appLogin.password) : []),
        ];
        const initScript = renderPrimaryInitScript({
            // samenet: any address on a network the primary sits on (stages 2-3's flat network);
            // stage 4 names the replica's one address and the app instances' block.
            replicationCidr: lp ? `${DATA_ADDRESSES.postgresReplica}/32` : "samenet",
            replication: args.replica,
            ...(lp ? { leastPrivilege: { appUser: APP_DB_USER, appCidr: DATA_ADDRESSES.appInstancesCidr } } : {}),
        });
        const primaryFiles = containerFiles(this, style, {
            consumer: `${name}-primary`,
            service: SERVICES.postgresPrimary,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.postgres,
            dirs: [
                { dir: INIT_DIR, files: [{ name: baseOf(POSTGRES_PATHS.primaryInitScript), content: initScript, mode: "0555" }] },
                ...(secretFiles.length ? [{ dir: SECRETS_DIR, files: secretFiles }] : []),
            ],
        });

        const primaryData = new docker.Volume(`${name}-primary-data`, {
            name: dockerName(style.stage, "postgres-primary-data"),
            labels,
        }, { parent: this });
        this.primary = new docker.Container(`${name}-primary`, {
            name: dockerName(style.stage, SERVICES.postgresPrimary),
            image: image.imageId,
            envs: primaryEnv,
            command: ["postgres", ...postgresArgs(postgresSettings("primary"))],
            uploads: primaryFiles.uploads,
            volumes: [{ volumeName: primaryData.name, containerPath: POSTGRES_PATHS.dataDir }, ...primaryFiles.volumes],
            networksAdvanced: tiers.attach([{ tier: "data", aliases: [SERVICES.postgresPrimary], ipv4Address: DATA_ADDRESSES.postgresPrimary }]),
            ports: args.publish ? publish(style, CONTAINER_PORTS.postgres, args.publish.primary) : [],
            labels: [...labels, ...primaryFiles.labels],
            ...healthcheck,
            ...hardened,
        }, containerOptions(this, primaryFiles.dependsOn));

        if (replicationPassword) {
            const replicaFiles = containerFiles(this, style, {
                consumer: `${name}-replica`,
                service: SERVICES.postgresReplica,
                image: image.imageId,
                tier: "data",
                runAs: IMAGE_USERS.postgres,
                dirs: [
                    { dir: ENTRYPOINT_DIR, files: [{ name: ENTRYPOINT_FILE, content: renderReplicaEntrypoint(), mode: "0555" }] },
                    ...(secretsAsFiles
                        ? [{ dir: SECRETS_DIR, files: [{ name: baseOf(POSTGRES_SECRET_PATHS.replicationPassword), content: replicationPassword, mode: "0440" as const }] }]
                        : []),
                ],
            });
            const replicaData = new docker.Volume(`${name}-replica-data`, {
                name: dockerName(style.stage, "postgres-replica-data"),
                labels,
            }, { parent: this });
            this.replicaHost = SERVICES.postgresReplica;
            this.replica = new docker.Container(`${name}-replica`, {
                name: dockerName(style.stage, SERVICES.postgresReplica),
                image: image.imageId,
                // The image's data volume belongs to postgres: clone as that user, no root needed.
                user: "postgres",
                entrypoints: ["/bin/sh", POSTGRES_PATHS.replicaEntrypoint],
                command: ["docker-entrypoint.sh", "postgres", ...postgresArgs(postgresSettings("replica"))],
                envs: [
                    env(POSTGRES_IMAGE_ENV.dataDir, POSTGRES_PATHS.dataDir),
                    ...replicaEnvironment(SERVICES.postgresPrimary, secretsAsFiles
                        ? { file: POSTGRES_SECRET_PATHS.replicationPassword }
                        : { value: replicationPassword }).map(([key, value]) => env(key, value)),
                ],
                uploads: replicaFiles.uploads,
                volumes: [{ volumeName: replicaData.name, containerPath: POSTGRES_PATHS.dataDir }, ...replicaFiles.volumes],
                networksAdvanced: tiers.attach([{ tier: "data", aliases: [SERVICES.postgresReplica], ipv4Address: DATA_ADDRESSES.postgresReplica }]),
                ports: args.publish ? publish(style, CONTAINER_PORTS.postgres, args.publish.replica) : [],
                labels: [...labels, ...replicaFiles.labels],
                ...healthcheck,
                ...hardened,
            }, containerOptions(this, [this.primary, ...replicaFiles.dependsOn]));
        }
        this.registerOutputs({ ownerPassword: this.ownerPassword });
    }
}
