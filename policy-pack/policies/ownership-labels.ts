import * as docker from "@pulumi/docker";
import { LABELS, PROJECT, STAGE_NUMBERS, TIER_LABELS } from "../contract";
import { known, knownPlain, previewSafe } from "./lib/known";
import { resourcePolicy, resourceRef } from "./lib/meta";

/** The docker provider's resources that take labels (RemoteImage, Image and RandomPassword do not). */
const LABELLED = [docker.Container, docker.Network, docker.Volume, docker.Service, docker.Secret, docker.ServiceConfig];

const ALLOWED: Record<string, readonly string[]> = {
    [LABELS.project]: [PROJECT],
    [LABELS.stage]: STAGE_NUMBERS.map(String),
    // A resource that spans tiers (the flat network of stages 1-3) is labelled "shared".
    [LABELS.tier]: TIER_LABELS,
};

/** The resource's labels, "unknown" at preview, or undefined when its type carries none. */
function labelsOf(args: { type: string; props: Record<string, any>; isType: (c: any) => boolean }) {
    if (LABELLED.some((type) => args.isType(type))) {
        const list = knownPlain(() => args.props.labels as { label: string; value: string }[] | undefined);
        if (list === undefined && "labels" in args.props) return { field: "labels", labels: "unknown" as const };
        return { field: "labels", labels: Object.fromEntries((list ?? []).map((l) => [l.label, l.value])) };
    }
    if (args.type.startsWith("kubernetes:") && known(() => args.props.apiVersion) !== undefined) {
        const labels = knownPlain(() => args.props.metadata?.labels as Record<string, string> | undefined);
        if (labels === undefined && known(() => args.props.metadata) !== undefined && "labels" in args.props.metadata) {
            return { field: "metadata.labels", labels: "unknown" as const };
        }
        return { field: "metadata.labels", labels: labels ?? {} };
    }
    return undefined;
}

export const ownershipLabels = resourcePolicy({
    name: "ownership-labels",
    description: "Every resource that takes labels carries the lab's project, stage and tier labels.",
    from: 1,
    severity: "low",
    why: "Document every step and decision so that if something goes wrong or needs to be duplicated it can be: every object says which project, stage and tier it belongs to.",
    remediation: `Label it with ${LABELS.project}, ${LABELS.stage} and ${LABELS.tier} (the builders' labLabels() does).`,
    anchors: ["Pulumi required-tags example"],
}, {
    validateResource: previewSafe((args, report) => {
        const found = labelsOf(args);
        if (!found) return args.notApplicable(`${args.type} carries no labels`);
        if (found.labels === "unknown") return;
        const { field, labels } = found;
        const where = resourceRef(args.type, args.name);
        for (const [label, allowed] of Object.entries(ALLOWED)) {
            const value = labels[label];
            if (value === undefined) {
                report(`${where}: ${field} lack ${label}; add it (one of ${allowed.join(", ")}), as the builders' labLabels() does`);
            } else if (!allowed.includes(value)) {
                report(`${where}: ${field} ${label} is "${value}"; use one of ${allowed.join(", ")}`);
            }
        }
    }),
});
