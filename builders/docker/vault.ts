import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DATA_ADDRESSES, IMAGE_USERS, LABELS, SECRET_FILES, SERVICES, VAULT_PORT } from "../../program/names";
import {
    VAULT_BOOTSTRAP_COMMAND, VAULT_BOOTSTRAP_PATHS, VAULT_DEV_SERVER_COMMAND, renderVaultBootstrap, vaultBootstrapEnv,
} from "../../renderers/vault";
import { AppCredentials, baseOf, dirOf, generatedSecret } from "../shared";
import {
    ContainerStyle, GRACE_SECONDS, LabFile, containerFiles, containerOptions, dockerName, env, gracePeriod, hardening, jobOutcome, labLabels,
    pullImage, selfHealing,
} from "./common";
import type { Tiers } from "./network";

export interface SecretStoreArgs {
    readonly style: ContainerStyle;
    readonly tiers: Tiers;
    readonly image: string;
    /** What Vault holds for the app. */
    readonly credentials: AppCredentials;
}

/**
 * Vault (stage 4) holds the database and Redis credentials. It runs in dev mode: in memory and
 * unsealed, so a laptop needs no unseal ceremony; the price is that a restart of the container
 * empties it (`npm run lab -- reset 4` fills it again). A one-shot bootstrap container writes the
 * credentials, a policy that can read only the app's path, and the app's token, whose id the
 * program generates, so the app receives a token and never a password.
 */
export class SecretStore extends pulumi.ComponentResource {
    readonly address = `http://${SERVICES.vault}:${VAULT_PORT}`;
    /** The app's token: reads the app's secret and nothing else. */
    readonly appToken: pulumi.Output<string>;
    readonly bootstrap: docker.Container;
    /** "exited 0" once the bootstrap ran; at `up`, a failed bootstrap fails here (jobOutcome). */
    readonly bootstrapOutcome: pulumi.Output<string>;

    constructor(name: string, args: SecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:SecretStore", name, {}, opts);
        const { style, tiers, credentials } = args;
        const image = pullImage(`${name}-image`, args.image, this);
        const token = (id: string) => generatedSecret(`${name}-${id}`, this, 40);
        const rootToken = token("root-token");
        this.appToken = token("app-token");

        const serverFiles = containerFiles(this, style, {
            consumer: `${name}-server`,
            service: SERVICES.vault,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.vault,
            dirs: [{ dir: dirOf(SECRET_FILES.vaultRootToken), files: [{ name: baseOf(SECRET_FILES.vaultRootToken), content: rootToken, mode: "0440" }] }],
        });
        const server = new docker.Container(`${name}-server`, {
            name: dockerName(style.stage, SERVICES.vault),
            image: image.imageId,
            entrypoints: [...VAULT_DEV_SERVER_COMMAND],
            uploads: serverFiles.uploads,
            volumes: serverFiles.volumes,
            networksAdvanced: tiers.attach([{ tier: "data", aliases: [SERVICES.vault], ipv4Address: DATA_ADDRESSES.vault }]),
            labels: [...labLabels(style.stage, "data"), ...serverFiles.labels],
            ...selfHealing(style, ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${VAULT_PORT}/v1/sys/health`]),
            // selfHealing's wait: the bootstrap must find Vault answering.
            ...gracePeriod(GRACE_SECONDS.vault),
            ...hardening(style, { user: IMAGE_USERS.vault, writable: ["/tmp", "/home/vault"], memoryMb: 256, cpus: "0.5" }),
        }, containerOptions(this, serverFiles.dependsOn));

        const p = VAULT_BOOTSTRAP_PATHS;
        const secretFiles: LabFile[] = [
            { name: baseOf(p.rootTokenFile), content: rootToken, mode: "0440" },
            { name: baseOf(p.appTokenFile), content: this.appToken, mode: "0440" },
            { name: baseOf(p.dbPasswordFile), content: credentials.db.password, mode: "0440" },
            ...(credentials.redis ? [{ name: baseOf(p.redisPasswordFile), content: credentials.redis.password, mode: "0440" as const }] : []),
        ];
        const bootstrapFiles = containerFiles(this, style, {
            consumer: `${name}-bootstrap`,
            service: SERVICES.vaultBootstrap,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.vault,
            dirs: [
                { dir: dirOf(p.script), files: [{ name: baseOf(p.script), content: renderVaultBootstrap(), mode: "0555" }] },
                { dir: dirOf(p.rootTokenFile), files: secretFiles },
            ],
        });
        this.bootstrap = new docker.Container(`${name}-bootstrap`, {
            name: dockerName(style.stage, SERVICES.vaultBootstrap),
            image: image.imageId,
            entrypoints: [...VAULT_BOOTSTRAP_COMMAND],
            envs: Object.entries(vaultBootstrapEnv({
                addr: this.address, dbUser: credentials.db.user, redisUser: credentials.redis?.user,
            })).map(([key, value]) => env(key, value)),
            uploads: bootstrapFiles.uploads,
            volumes: bootstrapFiles.volumes,
            networksAdvanced: tiers.attach([{ tier: "data", aliases: [SERVICES.vaultBootstrap], ipv4Address: DATA_ADDRESSES.vaultBootstrap }]),
            labels: [...labLabels(style.stage, "data"), ...bootstrapFiles.labels, { label: LABELS.role, value: "job" }],
            // A job, not a server: Pulumi waits for it to finish (attach) and keeps its log; it is
            // not restarted by Docker and not expected to keep running.
            attach: true,
            logs: true,
            mustRun: false,
            restart: "no",
            ...hardening(style, { user: IMAGE_USERS.vault, writable: ["/tmp"], memoryMb: 64, cpus: "0.25" }),
        }, containerOptions(this, [server, ...bootstrapFiles.dependsOn]));
        const bootstrapName = dockerName(style.stage, SERVICES.vaultBootstrap);
        this.bootstrapOutcome = pulumi.all([this.bootstrap.exitCode, this.bootstrap.containerLogs])
            .apply(([code, logs]) => jobOutcome(bootstrapName, code, logs));
        this.registerOutputs({ appToken: this.appToken });
    }
}
