import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { APP_ENV, CONTAINER_PORTS, DATABASE, DATA_ADDRESSES, IMAGE_USERS, SERVICES, VAULT } from "../../program/names";
import {
    DockerContext, containerFiles, containerOptions, dockerName, env, hardening, labLabels, publish, selfHealing,
} from "./common";
import { APP_IMAGE_REPOSITORY, REPO_ROOT, appSourceHash } from "../shared";


/** How the app gets its credentials: in its environment (stages 1-3), or from Vault (stage 4). */
export type AppCredentialSource =
    | { readonly from: "env"; readonly dbUser: string; readonly dbPassword: pulumi.Input<string> }
    | { readonly from: "vault"; readonly address: string; readonly token: pulumi.Input<string> };

export interface AppTierArgs {
    readonly primaryHost: string;
    readonly replicaHost?: string;
    readonly cacheHost?: string;
    readonly credentials: AppCredentialSource;
    /** The containers the app needs running before it starts (the databases, the cache). */
    readonly dependsOn: pulumi.Resource[];
}

const SECRETS_DIR = "/run/secrets";
const TOKEN_FILE = "vault-token";

/** The demo app's instances: one in stage 1, `appReplicas` from stage 2 on, all on the alias "app". */
export class AppTier extends pulumi.ComponentResource {
    readonly instances: docker.Container[] = [];
    /** DNS names of the instances on the lab network (app-1, app-2, ...). */
    readonly hosts: string[] = [];
    /** Host ports of the instances, where the profile publishes them. */
    readonly hostPorts: number[] = [];

    constructor(name: string, ctx: DockerContext, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:AppTier", name, {}, opts);
        const { lab, networks } = ctx;
        const { profile } = lab;
        const image = lab.images.app ?? this.buildImage();
        const creds = args.credentials;
        const envs = [
            env(APP_ENV.port, CONTAINER_PORTS.app),
            env(APP_ENV.dbPrimaryHost, args.primaryHost),
            env(APP_ENV.dbPrimaryPort, CONTAINER_PORTS.postgres),
            env(APP_ENV.dbName, DATABASE.name),
            ...(creds.from === "env"
                // Stages 1-3 hand the password over in plain env: the pack's advisory, stage 4's lesson.
                ? [env(APP_ENV.dbUser, creds.dbUser), env(APP_ENV.dbPassword, creds.dbPassword)]
                // Stage 4: an address and the path of a token file; the passwords stay in Vault.
                : [env(VAULT.env.addr, creds.address), env(VAULT.env.tokenFile, `${SECRETS_DIR}/${TOKEN_FILE}`)]),
            ...(args.replicaHost
                ? [env(APP_ENV.dbReplicaHost, args.replicaHost), env(APP_ENV.dbReplicaPort, CONTAINER_PORTS.postgres)]
                : []),
            ...(args.cacheHost
                ? [env(APP_ENV.redisHost, args.cacheHost), env(APP_ENV.redisPort, CONTAINER_PORTS.redis)]
                : []),
        ];
        for (let i = 1; i <= lab.appInstances; i++) {
            const host = `${SERVICES.app}-${i}`;
            const hostPort = lab.ports.app + i - 1;
            this.hosts.push(host);
            if (profile.app.publishEachInstance) this.hostPorts.push(hostPort);
            const files = containerFiles(this, profile, {
                consumer: host,
                image,
                tier: "app",
                runAs: IMAGE_USERS.app,
                dirs: creds.from === "vault" ? [{ dir: SECRETS_DIR, files: [{ name: TOKEN_FILE, content: creds.token, mode: "0440" }] }] : [],
            });
            this.instances.push(new docker.Container(host, {
                name: dockerName(profile, host),
                image,
                hostname: host,
                envs: [env(APP_ENV.instance, host), ...envs],
                uploads: files.uploads,
                volumes: files.volumes,
                // "app" is shared by every instance: Docker's DNS answers it with all of them (stage 2's
                // round robin); "app-N" names one instance for Nginx's upstream list. From stage 4 an
                // instance also joins the data network at a fixed address, the only one pg_hba admits.
                networksAdvanced: networks.attach([
                    { tier: "app", aliases: [SERVICES.app, host] },
                    { tier: "data", aliases: [host], ipv4Address: DATA_ADDRESSES.appInstance(i) },
                ]),
                ports: profile.app.publishEachInstance ? publish(profile, CONTAINER_PORTS.app, hostPort) : [],
                labels: [...labLabels(profile, "app"), ...(files.uploads.length || files.volumes.length ? files.labels : [])],
                ...selfHealing(profile, [
                    "CMD", "node", "-e",
                    `fetch('http://127.0.0.1:${CONTAINER_PORTS.app}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
                ]),
                ...hardening(profile, { user: IMAGE_USERS.app, writable: ["/tmp"], memoryMb: 256, cpus: "0.5" }),
            }, containerOptions(this, [...args.dependsOn, ...files.dependsOn])));
        }
        this.registerOutputs({});
    }

    /** Builds app/ into a local image tagged with a hash of its sources: pinned, and new when they change. */
    private buildImage(): pulumi.Output<string> {
        const built = new docker.Image("app-image", {
            imageName: `${APP_IMAGE_REPOSITORY}:${appSourceHash()}`,
            build: {
                context: REPO_ROOT,
                dockerfile: path.join(REPO_ROOT, "app", "Dockerfile"),
            },
            skipPush: true,
        }, { parent: this });
        return built.imageName;
    }
}
