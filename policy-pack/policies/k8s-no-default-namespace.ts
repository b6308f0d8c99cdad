import { previewSafe } from "./lib/known";
import { resourcePolicy, resourceRef } from "./lib/meta";
import { get, snapshot, typeToken, UNKNOWN } from "./lib/pods";

/** Kinds that live outside any namespace (the API's cluster-scoped resources). */
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "CustomResourceDefinition", "APIService", "PriorityClass", "RuntimeClass", "IngressClass",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration", "ComponentStatus",
]);

export const k8sNoDefaultNamespace = resourcePolicy({
    name: "k8s-no-default-namespace",
    description: "Namespaced Kubernetes objects name their namespace, and it is not \"default\".",
    from: 5,
    severity: "low",
    why: "Network segmentation: isolated zones per tier limit lateral movement, and the default namespace is the one zone that every careless object shares.",
    remediation: "Set metadata.namespace to the tier's namespace the program creates (e.g. the Namespace resource's metadata.name).",
    anchors: ["CKV_K8S_21", "Ky disallow-default-namespace"],
}, {
    validateResource: previewSafe((args, report) => {
        const token = typeToken(args.type);
        if (!token || CLUSTER_SCOPED.has(token.kind)) return args.notApplicable("the rule checks namespaced Kubernetes objects");
        const namespace = get(snapshot(() => args.props.metadata), "namespace");
        if (namespace === UNKNOWN) return;
        const where = resourceRef(args.type, args.name);
        if (namespace === undefined || namespace === "") {
            report(`${where}: metadata.namespace is not set, so it lands in whatever namespace the provider defaults to ` +
                `("default" unless configured); set metadata.namespace to its tier's namespace`);
        } else if (namespace === "default") {
            report(`${where}: metadata.namespace is "default", which every unlabelled object shares and no Pod Security ` +
                `label or default-deny guards; put it in its tier's namespace`);
        }
    }),
});
