import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { APP_ADDRESSES, FLAT_SUBNET, SHARED_TIER, SUBNETS, TIERS, Tier } from "../../program/names";
import { StageNumber } from "../../profiles/profile";
import { dockerName, labLabels } from "./common";

/** The address Docker's default IPAM gives a subnet's gateway: its first host address (10.213.1.0/24 -> 10.213.1.1). */
export function gatewayOf(subnet: string): string {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet);
    if (!m || Number(m[5]) > 30) throw new Error(`${subnet} is not an IPv4 subnet with room for a gateway`);
    const base = m.slice(1, 5).map(Number).reduce((a, o) => (a << 8) + o, 0) >>> 0;
    const first = (base + 1) >>> 0;
    return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join(".");
}

/** How a container joins a tier's network: its DNS names there, and a fixed address if it needs one. */
export interface Attachment {
    readonly tier: Tier;
    readonly aliases: string[];
    readonly ipv4Address?: string;
}

export interface TiersArgs {
    readonly stage: StageNumber;
    /** One network per tier (the profile's `segmentation`), or one flat network for all. */
    readonly segmented: boolean;
}

/**
 * Where the tiers live. Stages 1-3: one flat network, every container reaches every other. Stage 4:
 * one network per tier (the roadmap's "isolated network zones"); app and data are `internal`, so
 * nothing there reaches the outside, and only Nginx, on the edge, can be published. The Kubernetes
 * builder's Tiers are namespaces with NetworkPolicies.
 */
export class Tiers extends pulumi.ComponentResource {
    private readonly byTier: Record<Tier, docker.Network>;
    readonly segmented: boolean;

    constructor(name: string, args: TiersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:docker:Tiers", name, {}, opts);
        this.segmented = args.segmented;
        if (!args.segmented) {
            const flat = new docker.Network(`${name}-flat`, {
                name: dockerName(args.stage, "network"),
                // Fixed, so the app instances keep fixed addresses (APP_ADDRESSES); gateway as below.
                ipamConfigs: [{ subnet: FLAT_SUBNET, gateway: gatewayOf(FLAT_SUBNET) }],
                // Said, not left to the provider: a computed value is unknown at preview, and the pack
                // could not tell the flat network's lesson (data on a network with a way out) until up.
                internal: false,
                labels: labLabels(args.stage, SHARED_TIER),
            }, { parent: this });
            this.byTier = { edge: flat, app: flat, data: flat };
        } else {
            const networks = TIERS.map((tier) => new docker.Network(`${name}-${tier}`, {
                name: dockerName(args.stage, `${tier}-network`),
                // The edge must reach the host to publish a port; app and data never leave the machine.
                internal: tier !== "edge",
                // The gateway Docker picks anyway (the subnet's first address), declared: left out, Docker
                // writes it back after a daemon restart, and the provider, whose ipam_config forces a
                // replacement on any change, then plans to replace every network of the stage.
                ipamConfigs: [{ subnet: SUBNETS[tier], gateway: gatewayOf(SUBNETS[tier]) }],
                labels: labLabels(args.stage, tier),
            }, { parent: this }));
            this.byTier = { edge: networks[0], app: networks[1], data: networks[2] };
        }
        this.registerOutputs({});
    }

    /** App instance i's fixed address on the network Nginx reaches it on. */
    appInstanceAddress(i: number): string {
        return this.segmented ? APP_ADDRESSES.segmented(i) : APP_ADDRESSES.flat(i);
    }

    /**
     * The networksAdvanced entries for a container. On the flat network all attachments fold into
     * one entry: aliases merged, and the one fixed address that lies in the flat subnet, if any.
     */
    attach(attachments: Attachment[]): docker.types.input.ContainerNetworksAdvanced[] {
        if (!this.segmented) {
            const aliases = [...new Set(attachments.flatMap((a) => a.aliases))];
            const prefix = FLAT_SUBNET.slice(0, FLAT_SUBNET.lastIndexOf(".") + 1);
            const address = attachments.map((a) => a.ipv4Address).find((ip) => ip?.startsWith(prefix));
            return [{ name: this.byTier.app.name, aliases, ...(address ? { ipv4Address: address } : {}) }];
        }
        return attachments.map((a) => ({
            name: this.byTier[a.tier].name,
            aliases: a.aliases,
            ...(a.ipv4Address ? { ipv4Address: a.ipv4Address } : {}),
        }));
    }

    network(tier: Tier): docker.Network {
        return this.byTier[tier];
    }
}
