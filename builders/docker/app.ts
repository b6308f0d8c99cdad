import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { APP_ENV, CONTAINER_PORTS, DATA_ADDRESSES, IMAGE_USERS, SECRET_FILES, SERVICES } from "../../program/names";
import { APP_IMAGE_REPOSITORY, AppWiring, REPO_ROOT, appEnvironment, appSourceHash, baseOf, dirOf } from "../shared";
import {
    ContainerStyle, GRACE_SECONDS, containerFiles, containerOptions, dockerName, env, gracePeriod, hardening, labLabels, publish, selfHealing,
} from "./common";
import type { Tiers } from "./network";

export interface AppTierArgs {
    readonly style: ContainerStyle;
    readonly tiers: Tiers;
    /** A prebuilt, pinned image; absent: build app/ locally. */
    readonly image?: string;
    readonly instances: number;
    /** Each instance on its own host port, from this one up (the profile's `app.publishEachInstance`). */
    readonly firstHostPort?: number;
    /** Every instance also answers to the shared alias "app": Docker's DNS round robin (stage 2). */
    readonly roundRobinAlias: boolean;
    readonly wiring: AppWiring;
    /** From stage 4: the app's Vault token, handed over as a file. */
    readonly vaultToken?: pulumi.Output<string>;
    /** The containers the app needs running before it starts (the databases, the cache, the bootstrap). */
    readonly dependsOn: pulumi.Resource[];
}

/** The demo app's instances: one in stage 1, `appReplicas` from stage 2 on. */
export class AppTier extends pulumi.ComponentResource {
    readonly instances: docker.Container[] = [];
    /** DNS names of the instances on the lab network (app-1, app-2, ...). */
    readonly hosts: string[] = [];
    /** Their fixed addresses where Nginx reaches them, in the same order. */
    readonly addresses: string[] = [];
    /** Host ports of the instances, where they are published. */
    readonly hostPorts: number[] = [];

    constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:AppTier", name, {}, opts);
        const { style, tiers } = args;
        const image = args.image ?? this.buildImage(name);
        const envs = appEnvironment(args.wiring).map(([key, value]) => env(key, value));
        for (let i = 1; i <= args.instances; i++) {
            const host = `${SERVICES.app}-${i}`;
            const hostPort = args.firstHostPort === undefined ? undefined : args.firstHostPort + i - 1;
            this.hosts.push(host);
            this.addresses.push(tiers.appInstanceAddress(i));
            if (hostPort !== undefined) this.hostPorts.push(hostPort);
            const files = containerFiles(this, style, {
                consumer: `${name}-${i}`,
                service: host,
                image,
                tier: "app",
                runAs: IMAGE_USERS.app,
                dirs: args.vaultToken
                    ? [{ dir: dirOf(SECRET_FILES.appVaultToken), files: [{ name: baseOf(SECRET_FILES.appVaultToken), content: args.vaultToken, mode: "0440" }] }]
                    : [],
            });
            this.instances.push(new docker.Container(`${name}-${i}`, {
                name: dockerName(style.stage, host),
                image,
                hostname: host,
                envs: [env(APP_ENV.instance, host), ...envs],
                uploads: files.uploads,
                volumes: files.volumes,
                // "app" is shared by every instance: Docker's DNS answers it with all of them (stage 2's
                // round robin); "app-N" names one instance for Nginx's upstream list. From stage 4 an
                // instance also joins the data network at a fixed address, the only one pg_hba admits.
                networksAdvanced: tiers.attach([
                    { tier: "app", aliases: args.roundRobinAlias ? [SERVICES.app, host] : [host], ipv4Address: tiers.appInstanceAddress(i) },
                    { tier: "data", aliases: [host], ipv4Address: DATA_ADDRESSES.appInstance(i) },
                ]),
                ports: hostPort !== undefined ? publish(style, CONTAINER_PORTS.app, hostPort) : [],
                labels: [...labLabels(style.stage, "app"), ...(files.uploads.length || files.volumes.length ? files.labels : [])],
                ...selfHealing(style, [
                    "CMD", "node", "-e",
                    `fetch('http://127.0.0.1:${CONTAINER_PORTS.app}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
                ]),
                ...gracePeriod(GRACE_SECONDS.app),
                ...hardening(style, { user: IMAGE_USERS.app, writable: ["/tmp"], memoryMb: 256, cpus: "0.5" }),
            }, containerOptions(this, [...args.dependsOn, ...files.dependsOn])));
        }
        this.registerOutputs({});
    }

    /** Builds app/ into a local image tagged with a hash of its sources: pinned, and new when they change. */
    private buildImage(name: string): pulumi.Output<string> {
        const built = new docker.Image(`${name}-image`, {
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
