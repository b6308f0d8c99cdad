import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LabConfig } from "../config";
import { LABELS, PROJECT, Tier } from "../names";
import { StageProfile } from "../profile";

/** A resource that spans tiers (stage 1-3's single flat network) is labelled "shared". */
export type TierLabel = Tier | "shared";

/** The lab's ownership labels in the docker provider's shape. */
export function labLabels(profile: StageProfile, tier: TierLabel): docker.types.input.ContainerLabel[] {
    return [
        { label: LABELS.project, value: PROJECT },
        { label: LABELS.stage, value: String(profile.stage) },
        { label: LABELS.tier, value: tier },
    ];
}

/** Docker object names: short enough to type in `docker stop`, unique per stage. */
export function dockerName(profile: StageProfile, service: string): string {
    return `devsecops-s${profile.stage}-${service}`;
}

/** What every component of the Docker builder receives. */
export interface DockerContext {
    readonly lab: LabConfig;
    readonly network: docker.Network;
}

/**
 * Options shared by every container: a container has a fixed name and often a fixed host port, so
 * its replacement must be deleted first or it collides with its predecessor ("port is already
 * allocated", "name already in use").
 */
export function containerOptions(parent: pulumi.Resource, dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions {
    return { parent, dependsOn, deleteBeforeReplace: true };
}

/** Health check and restart policy for stages that heal themselves; nothing before that. */
export function selfHealing(
    profile: StageProfile,
    tests: string[],
): Pick<docker.ContainerArgs, "healthcheck" | "restart" | "maxRetryCount"> {
    if (!profile.selfHealing) return { restart: "no" };
    return {
        healthcheck: { tests, interval: "5s", timeout: "3s", retries: 5, startPeriod: "30s" },
        // on-failure with a bound: a container that crashes in a loop stops and shows up as a failure.
        restart: "on-failure",
        maxRetryCount: 5,
    };
}

/** Host port publishing, on the profile's bind address. */
export function publish(profile: StageProfile, internal: number, external: number): docker.types.input.ContainerPort[] {
    return [{ internal, external, ip: profile.publishAddress, protocol: "tcp" }];
}

/** `KEY=value` for the docker provider's envs; a secret value keeps the whole entry secret. */
export function env(key: string, value: pulumi.Input<string | number>): pulumi.Output<string> {
    return pulumi.interpolate`${key}=${value}`;
}

/** A pinned image pulled once per stage and kept locally (a workshop rebuilds stages often). */
export function pullImage(name: string, ref: string, parent: pulumi.Resource): docker.RemoteImage {
    return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}
