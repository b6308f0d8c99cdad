import { previewSafe, undecided } from "./lib/known";
import { K8S, LabelSelector, isEmptySelector, nameOf, namespaceOf, read } from "./lib/kubernetes";
import { stackPolicy } from "./lib/meta";

interface NetworkPolicySpec {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: unknown[];
    egress?: unknown[];
}

/** The directions a policy denies for every pod: empty selector, the type listed, no rule allowing anything. */
function deniedDirections(spec: NetworkPolicySpec): string[] {
    if (!isEmptySelector(spec.podSelector)) return [];
    // Kubernetes' default when policyTypes is absent: Ingress, plus Egress if egress rules exist.
    const types = spec.policyTypes ?? ["Ingress", ...(spec.egress ? ["Egress"] : [])];
    return [
        ...(types.includes("Ingress") && !spec.ingress?.length ? ["Ingress"] : []),
        ...(types.includes("Egress") && !spec.egress?.length ? ["Egress"] : []),
    ];
}

/** Kubernetes only (stage 5 on): a stack without namespaces, like the Docker stages, is not applicable. */
export const defaultDenyNetworkPolicy = stackPolicy({
    name: "default-deny-network-policy",
    description: "Every namespace of the stack has a default-deny NetworkPolicy for ingress and egress.",
    from: 5,
    severity: "high",
    why: "Minimize the blast radius and move towards Zero Trust: pods reach only the flows that are explicitly allowed, so a breach cannot go anywhere else.",
    remediation: "Add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and no rules to each namespace, then allow each needed flow explicitly.",
    anchors: ["Ky add-network-policy", "CKV2_K8S_6", "KS pod-networkpolicy"],
}, {
    validateStack: previewSafe((args, report) => {
        const namespaces = args.resources.filter((r) => r.type === K8S.namespace);
        if (namespaces.length === 0) args.notApplicable("the stack has no Kubernetes namespaces");
        const policies = args.resources.filter((r) => r.type === K8S.networkPolicy);
        for (const ns of namespaces) {
            const name = nameOf(ns);
            const specs = policies.filter((p) => namespaceOf(p) === name).map((p) => read(p, (props) => props.spec) as NetworkPolicySpec | undefined);
            if (specs.some((s) => s === undefined)) {
                undecided(`namespace "${name}": a NetworkPolicy's spec is unknown until up`);
                continue;
            }
            const denied = new Set(specs.flatMap((s) => deniedDirections(s!)));
            const missing = ["Ingress", "Egress"].filter((d) => !denied.has(d));
            if (missing.length > 0) {
                report(`namespace "${name}": no NetworkPolicy denies ${missing.join(" and ")} by default, so its pods ` +
                    `${missing.length === 2 ? "accept and open" : missing[0] === "Ingress" ? "accept" : "open"} connections ` +
                    `anyone allows; add one with podSelector: {}, policyTypes: [${missing.join(", ")}] and no rules`, ns.urn);
            }
        }
    }),
});
