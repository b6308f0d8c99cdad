/** Questions tests ask of a recorded program: which containers, what env, which image, which ports. */
import { LABELS } from "../../program/names";
import { ProgramRun, RecordedResource } from "./mocks";

export const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    image: "docker:index/image:Image",
    password: "random:index/randomPassword:RandomPassword",
} as const;

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

export const containers = (run: ProgramRun) => ofType(run, TYPES.container);

export function resource(run: ProgramRun, type: string, name: string): RecordedResource {
    const found = run.resources.find((r) => r.type === type && r.name === name);
    if (!found) {
        const names = ofType(run, type).map((r) => r.name).join(", ");
        throw new Error(`no ${type} named ${name} (there are: ${names || "none"})`);
    }
    return found;
}

/**
 * A container by its service ("postgres-primary", "app-2", "nginx"): the name Docker gives it
 * (devsecops-sN-<service>), which is what a learner types, whatever its component calls it.
 */
export function container(run: ProgramRun, service: string): RecordedResource {
    const found = containers(run).filter((c) => new RegExp(`^devsecops-s\\d+-${service}$`).test(c.inputs.name));
    if (found.length !== 1) {
        const names = containers(run).map((c) => c.inputs.name).join(", ");
        throw new Error(`${found.length} containers for the service ${service} (there are: ${names || "none"})`);
    }
    return found[0];
}

/** The service a container is (its Docker name without the stage's prefix): "postgres-primary", "app-2". */
export const serviceOf = (c: RecordedResource): string => String(c.inputs.name).replace(/^devsecops-s\d+-/, "");

/** Whether a container waits for the container of a service (an explicit or input dependency). */
export function dependsOnService(run: ProgramRun, c: RecordedResource, service: string): boolean {
    return c.dependsOn.includes(container(run, service).name);
}

/** Services of the app instances, in order. */
export function appInstances(run: ProgramRun): string[] {
    return containers(run).map(serviceOf).filter((n) => /^app-\d+$/.test(n)).sort();
}

/** A container's env as a map. */
export function envOf(c: RecordedResource): Record<string, string> {
    const entries = (c.inputs.envs ?? []) as string[];
    return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** The env keys whose entries are Pulumi secrets. */
export function secretEnvKeys(c: RecordedResource): string[] {
    const entries = (c.inputs.envs ?? []) as string[];
    return c.secretPaths
        .filter((p) => /^envs\.\d+$/.test(p))
        .map((p) => entries[Number(p.split(".")[1])].split("=")[0]);
}

/** The image reference a container runs: a pulled RemoteImage's name, or the built image's name. */
export function imageOf(run: ProgramRun, c: RecordedResource): string {
    const pulled = ofType(run, TYPES.remoteImage).find((img) => img.state.imageId === c.inputs.image);
    return pulled ? pulled.inputs.name : c.inputs.image;
}

/** Host ports a container publishes, as "ip:external->internal". */
export function publishedPorts(c: RecordedResource): string[] {
    return ((c.inputs.ports ?? []) as { ip: string; external: number; internal: number }[])
        .map((p) => `${p.ip}:${p.external}->${p.internal}`);
}

/** The network aliases of a container, per network name. */
export function aliasesOf(c: RecordedResource): string[] {
    return ((c.inputs.networksAdvanced ?? []) as { aliases?: string[] }[]).flatMap((n) => n.aliases ?? []);
}

export function labelsOf(r: RecordedResource): Record<string, string> {
    return Object.fromEntries(((r.inputs.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]));
}

export const tierOf = (r: RecordedResource) => labelsOf(r)[LABELS.tier];
