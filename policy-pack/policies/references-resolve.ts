import { PolicyResource } from "@pulumi/policy";
import { previewSafe, undecided } from "./lib/known";
import { K8S, LabelSelector, Workload, isEmptySelector, isKubernetes, nameOf, namespaceOf, read, selects, workloads } from "./lib/kubernetes";
import { stackPolicy } from "./lib/meta";

const show = (s: LabelSelector) => JSON.stringify(s.matchLabels ?? s);

/** Kubernetes only (stage 5 on): a stack without Kubernetes objects is not applicable. */
export const referencesResolve = stackPolicy({
    name: "references-resolve",
    description: "Services select workloads, NetworkPolicies select pods, and HPAs target workloads that exist.",
    from: 5,
    severity: "medium",
    why: "Infrastructure as code only helps if it is consistent: a Service or a policy that selects nothing is a silent outage or a rule that protects nothing.",
    remediation: "Make the selector match the pod template's labels (or the HPA's scaleTargetRef the workload's kind and name), in the same namespace.",
    anchors: ["KS service-targets-pod", "KS networkpolicy-targets-pod"],
}, {
    validateStack: previewSafe((args, report) => {
        if (!args.resources.some(isKubernetes)) args.notApplicable("the stack has no Kubernetes resources");
        const all = workloads(args.resources);
        /** Workloads of a namespace, or undefined while one's pod labels are unknown (preview). */
        const podsIn = (ns: string): Workload[] | undefined => {
            const here = all.filter((w) => w.namespace === ns);
            return here.some((w) => !w.podLabels) ? undefined : here;
        };
        const check = (r: PolicyResource, what: string, selector: LabelSelector | undefined) => {
            const ns = namespaceOf(r);
            const pods = podsIn(ns);
            if (!selector || isEmptySelector(selector)) return;
            if (!pods) return undecided(`${what} "${nameOf(r)}" (namespace ${ns}): a workload's pod labels are unknown until up`);
            if (!pods.some((w) => selects(selector, w.podLabels!))) {
                report(`${what} "${nameOf(r)}" (namespace ${ns}) selects ${show(selector)}, which no workload's pods carry; ` +
                    `match a pod template's labels`, r.urn);
            }
        };
        for (const r of args.resources) {
            if (r.type === K8S.service && read(r, (p) => p.spec?.type) !== "ExternalName") {
                const selector = read(r, (p) => p.spec?.selector) as Record<string, string> | undefined;
                check(r, "service", selector && { matchLabels: selector });
            } else if (r.type === K8S.networkPolicy) {
                check(r, "network policy", read(r, (p) => p.spec?.podSelector));
            } else if ((K8S.hpa as readonly string[]).includes(r.type)) {
                const ref = read(r, (p) => p.spec?.scaleTargetRef) as { kind?: string; name?: string } | undefined;
                const ns = namespaceOf(r);
                if (ref && !all.some((w) => w.namespace === ns && w.kind === ref.kind && w.name === ref.name)) {
                    report(`horizontal pod autoscaler "${nameOf(r)}" (namespace ${ns}) targets ${ref.kind} "${ref.name}", ` +
                        `which the stack does not define there; point scaleTargetRef at the workload's kind and name`, r.urn);
                }
            }
        }
    }),
});
