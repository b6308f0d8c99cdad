import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DATA_ADDRESSES, IMAGE_USERS, LABELS, SERVICES } from "../../program/names";
import {
    VAULT_BOOTSTRAP_COMMAND, VAULT_BOOTSTRAP_PATHS, renderVaultBootstrap, vaultBootstrapEnv,
} from "../../renderers/vault";
import { AppCredentials, baseOf as base, dirOf as dir, generatedSecret } from "../shared";
import {
    DockerContext, containerFiles, containerOptions, dockerName, env, hardening, labLabels, pullImage, selfHealing,
} from "./common";

const VAULT_PORT = 8200;
const ROOT_TOKEN_DIR = "/run/secrets";
const ROOT_TOKEN_FILE = "vault-root-token";

/**
 * Vault (stage 4) holds the database and Redis credentials. It runs in dev mode: in memory and
 * unsealed, so a laptop needs no unseal ceremony; the price is that a restart of the container
 * empties it (`npm run lab -- reset 4` fills it again). A one-shot bootstrap container
 * writes the credentials, a policy that can read only the app's path, and the app's token, whose id
 * the program generates, so the app receives a token and never a password.
 */
export class SecretStore extends pulumi.ComponentResource {
    readonly address = `http://${SERVICES.vault}:${VAULT_PORT}`;
    /** The app's token: reads the app's secret and nothing else. */
    readonly appToken: pulumi.Output<string>;
    readonly bootstrap: docker.Container;

    constructor(name: string, ctx: DockerContext, credentials: AppCredentials, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:SecretStore", name, {}, opts);
        const { lab, networks } = ctx;
        const { profile } = lab;
        const image = pullImage("vault", lab.images.vault, this);
        const token = (id: string) => generatedSecret(id, this, 40);
        const rootToken = token("vault-root-token");
        this.appToken = token("vault-app-token");
        const vaultHardening = hardening(profile, { user: IMAGE_USERS.vault, writable: ["/tmp", "/home/vault"], memoryMb: 256, cpus: "0.5" });

        const serverFiles = containerFiles(this, profile, {
            consumer: SERVICES.vault,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.vault,
            dirs: [{ dir: ROOT_TOKEN_DIR, files: [{ name: ROOT_TOKEN_FILE, content: rootToken, mode: "0440" }] }],
        });
        const server = new docker.Container(SERVICES.vault, {
            name: dockerName(profile, SERVICES.vault),
            image: image.imageId,
            // The root token comes from a file, not VAULT_DEV_ROOT_TOKEN_ID: nothing secret in the
            // environment. The image's entrypoint (setcap, config dirs) is not needed in dev mode.
            entrypoints: ["/bin/sh", "-c",
                `exec vault server -dev -dev-no-store-token -dev-listen-address=0.0.0.0:${VAULT_PORT} ` +
                `-dev-root-token-id="$(cat ${ROOT_TOKEN_DIR}/${ROOT_TOKEN_FILE})"`],
            uploads: serverFiles.uploads,
            volumes: serverFiles.volumes,
            networksAdvanced: networks.attach([{ tier: "data", aliases: [SERVICES.vault], ipv4Address: DATA_ADDRESSES.vault }]),
            labels: [...labLabels(profile, "data"), ...serverFiles.labels],
            ...selfHealing(profile, ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${VAULT_PORT}/v1/sys/health`]),
            // The bootstrap must find Vault answering: wait for the health check before going on.
            wait: profile.selfHealing,
            waitTimeout: 120,
            ...vaultHardening,
        }, containerOptions(this, serverFiles.dependsOn));

        const p = VAULT_BOOTSTRAP_PATHS;
        const bootstrapFiles = containerFiles(this, profile, {
            consumer: SERVICES.vaultBootstrap,
            image: image.imageId,
            tier: "data",
            runAs: IMAGE_USERS.vault,
            dirs: [
                { dir: dir(p.script), files: [{ name: base(p.script), content: renderVaultBootstrap(), mode: "0555" }] },
                {
                    dir: dir(p.rootTokenFile),
                    files: [
                        { name: base(p.rootTokenFile), content: rootToken, mode: "0440" },
                        { name: base(p.appTokenFile), content: this.appToken, mode: "0440" },
                        { name: base(p.dbPasswordFile), content: credentials.dbPassword, mode: "0440" },
                        { name: base(p.redisPasswordFile), content: credentials.redisPassword, mode: "0440" },
                    ],
                },
            ],
        });
        this.bootstrap = new docker.Container(SERVICES.vaultBootstrap, {
            name: dockerName(profile, SERVICES.vaultBootstrap),
            image: image.imageId,
            entrypoints: [...VAULT_BOOTSTRAP_COMMAND],
            envs: Object.entries(vaultBootstrapEnv({
                addr: this.address, dbUser: credentials.dbUser, redisUser: credentials.redisUser,
            })).map(([key, value]) => env(key, value)),
            uploads: bootstrapFiles.uploads,
            volumes: bootstrapFiles.volumes,
            networksAdvanced: networks.attach([{ tier: "data", aliases: [SERVICES.vaultBootstrap], ipv4Address: DATA_ADDRESSES.vaultBootstrap }]),
            labels: [...labLabels(profile, "data"), ...bootstrapFiles.labels, { label: LABELS.role, value: "job" }],
            // A job, not a server: Pulumi waits for it to finish (attach) and keeps its log; it is
            // not restarted by Docker and not expected to keep running.
            attach: true,
            logs: true,
            mustRun: false,
            restart: "no",
            ...hardening(profile, { user: IMAGE_USERS.vault, writable: ["/tmp"], memoryMb: 64, cpus: "0.25" }),
        }, containerOptions(this, [server, ...bootstrapFiles.dependsOn]));
        this.registerOutputs({ appToken: this.appToken });
    }
}
