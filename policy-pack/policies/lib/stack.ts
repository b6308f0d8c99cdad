/** The Docker side of a stack, for stack policies: containers, their networks and their images. */
import * as docker from "@pulumi/docker";
import { PolicyResource } from "@pulumi/policy";
import { ContainerRole, imageKind, isDataStoreImage, isImageId, labelMap, roleOf, tierOf } from "./docker";
import { known, knownItems } from "./known";

/** Resources that generate a secret, by type token, and the outputs that hold it (the SDKs' additionalSecretOutputs). */
export const GENERATED_SECRETS: Readonly<Record<string, readonly string[]>> = {
    "random:index/randomPassword:RandomPassword": ["result"],
    "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
};
export const isGeneratedSecret = (r: PolicyResource) => r.type in GENERATED_SECRETS;

export class DockerStack {
    readonly containers: PolicyResource[];
    readonly networks: PolicyResource[];
    private readonly remoteImages: PolicyResource[];
    private filled?: Map<string, { seed: PolicyResource; file: string; content?: string }[]>;

    constructor(resources: readonly PolicyResource[]) {
        this.containers = resources.filter((r) => r.isType(docker.Container));
        this.networks = resources.filter((r) => r.isType(docker.Network));
        this.remoteImages = resources.filter((r) => r.isType(docker.RemoteImage));
    }

    /** Containers in these roles (see roleOf: seeds never start, jobs run once). */
    containersIn(...roles: ContainerRole[]): PolicyResource[] {
        return this.containers.filter((c) => roles.includes(roleOf(c.props)));
    }

    labels(r: PolicyResource): Record<string, string> {
        return labelMap(() => r.props.labels);
    }

    /** The docker.Network of this stack a `networksAdvanced[].name` refers to (by name, or by id). */
    network(container: PolicyResource, nameOrId: string): PolicyResource | undefined {
        const byName = this.networks.find((n) => known(() => n.props.name) === nameOrId);
        if (byName) return byName;
        // A program may pass network.id: a Docker id names whichever stack network the container depends on.
        if (!/^[0-9a-f]{12,64}$/.test(nameOrId)) return undefined;
        return container.dependencies.find((d) => d.isType(docker.Network) && this.networks.includes(d));
    }

    /** The container's networks as `networksAdvanced[i]` and name (known ones only). */
    attachments(container: PolicyResource): { index: number; name: string }[] {
        return knownItems<any>(() => container.props.networksAdvanced)
            .map(({ item, index }) => ({ index, name: known(() => item.name) as string | undefined }))
            .filter((a): a is { index: number; name: string } => typeof a.name === "string");
    }

    /**
     * The image reference a container runs. The builder passes RemoteImage.imageId (a sha256 id,
     * unknown at preview) or a built image's name: an id is traced back to its RemoteImage, by value
     * once known, else through the container's dependency on it.
     */
    imageOf(container: PolicyResource): string | undefined {
        const image = known(() => container.props.image) as string | undefined;
        if (image && !isImageId(image)) return image;
        const pulled = (image && this.remoteImages.find((r) => known(() => r.props.imageId) === image))
            || container.dependencies.find((d) => d.isType(docker.RemoteImage));
        return pulled ? known(() => pulled.props.name) : undefined;
    }

    /**
     * The files a container sees, with their content (undefined: unknown at preview): its own
     * uploads, and those a seed container put into a volume it mounts (stage 4 hands read-only
     * config to containers that way, since a read-only root filesystem refuses uploads).
     */
    filesOf(container: PolicyResource): { file: string; content?: string }[] {
        const files = uploadsOf(container);
        for (const mount of volumesOf(container)) {
            for (const { seed, file, content } of this.volumeFiles().get(mount.volumeName) ?? []) {
                if (seed !== container) files.push({ file: mount.containerPath + file, content });
            }
        }
        return files;
    }

    /** Per volume, the files containers upload into it (paths relative to the volume's root). */
    private volumeFiles(): Map<string, { seed: PolicyResource; file: string; content?: string }[]> {
        if (this.filled) return this.filled;
        this.filled = new Map();
        for (const seed of this.containers) {
            const uploads = uploadsOf(seed);
            if (uploads.length === 0) continue;
            for (const { volumeName, containerPath } of volumesOf(seed)) {
                const inside = uploads.filter((u) => u.file.startsWith(`${containerPath}/`))
                    .map((u) => ({ seed, file: u.file.slice(containerPath.length), content: u.content }));
                this.filled.set(volumeName, [...(this.filled.get(volumeName) ?? []), ...inside]);
            }
        }
        return this.filled;
    }

    /** Databases, caches and secret stores: labelled tier=data, or running a data store's image. */
    isDataService(container: PolicyResource): boolean {
        if (tierOf(this.labels(container)) === "data") return true;
        const image = this.imageOf(container);
        return image !== undefined && isDataStoreImage(image);
    }

    /** "postgres", "redis", ... for messages; "data service" when only the label says so. */
    kindOf(container: PolicyResource): string {
        const image = this.imageOf(container);
        return image ? imageKind(image) : "data service";
    }
}

function uploadsOf(c: PolicyResource): { file: string; content?: string }[] {
    return knownItems<any>(() => c.props.uploads).flatMap(({ item }) => {
        const file = known(() => item.file) as string | undefined;
        return file ? [{ file, content: known(() => item.content) as string | undefined }] : [];
    });
}

function volumesOf(c: PolicyResource): { volumeName: string; containerPath: string }[] {
    return knownItems<any>(() => c.props.volumes).flatMap(({ item }) => {
        const volumeName = known(() => item.volumeName) as string | undefined;
        const containerPath = known(() => item.containerPath) as string | undefined;
        return volumeName && containerPath ? [{ volumeName, containerPath: containerPath.replace(/\/+$/, "") }] : [];
    });
}
