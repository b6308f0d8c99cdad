import { KUBE_NAMESPACES, SERVICES } from "../contract";
import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forKinds, get, items, listed, UNKNOWN } from "./lib/pods";

export interface ServiceExposureConfig {
    /** Services ("name" or "namespace/name") that may be NodePort: the lab's edge. */
    nodePortServices?: string[];
}

export const k8sServiceExposure = resourcePolicy({
    name: "k8s-service-exposure",
    description: "No Service is a LoadBalancer or has externalIPs, and only the allowed ones are NodePort.",
    from: 5,
    severity: "high",
    why: "Network design with a single entry point: only the edge faces outside, and everything behind it is reachable only through it.",
    remediation: "Make internal Services ClusterIP (the default) and remove externalIPs; expose the edge alone as a NodePort listed in nodePortServices.",
    anchors: ["Ky restrict-node-port", "GK block-nodeport"],
}, {
    // The CLI fills this default into the config; the SDK does not, so a missing list allows no NodePort.
    configSchema: {
        properties: {
            nodePortServices: {
                type: "array",
                items: { type: "string" },
                default: [`${KUBE_NAMESPACES.edge}/${SERVICES.nginx}`],
                description: "Services (name or namespace/name) that may be of type NodePort: the lab's edge, which kind maps to a host port.",
            },
        },
    },
    validateResource: previewSafe(forKinds(["Service"], (service, ref, args, report) => {
        const type = get(service, "spec", "type");
        if (type === "LoadBalancer") {
            report(`${ref}: spec.type is LoadBalancer, so the cloud opens it to the internet beside the edge; make it ClusterIP ` +
                `and reach it through the edge`);
        }
        const externalIPs = items(service, "spec", "externalIPs");
        if (externalIPs.length > 0) {
            report(`${ref}: spec.externalIPs (${externalIPs.map((i) => String(i.item)).join(", ")}) makes every node answer for ` +
                `those addresses; remove spec.externalIPs`);
        }
        const name = get(service, "metadata", "name") ?? args.name;
        if (type === "NodePort" && name !== UNKNOWN) {
            const allowed = args.getConfig<ServiceExposureConfig>().nodePortServices;
            if (!listed(allowed, name, get(service, "metadata", "namespace"))) {
                report(`${ref}: spec.type is NodePort, so every node publishes it, and only ${allowed?.length ? allowed.join(", ") : "no Service"} ` +
                    `may be; make it ClusterIP, or list it in nodePortServices if it is the entry point`);
            }
        }
    })),
});
