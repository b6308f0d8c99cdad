import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBE_NAMESPACES, LABELS, PROJECT, SERVICES, TIER_LABELS } from "../../program/names";
import { STAGE_NUMBERS, StageNumber } from "../../profiles/profile";
import { labLabels, objectOptions } from "./common";

/** The policy's and its binding's name: what `kubectl get validatingadmissionpolicy` shows. */
export const ADMISSION_POLICY = "devsecops-lab-core";

/** Pods that may mount an API token: the pack's k8s-sa-hygiene default, namespace/serviceAccount. */
const TOKEN_ACCOUNTS = [`${KUBE_NAMESPACES.ops}/${SERVICES.chaos}`];

const list = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(", ")}]`;

/**
 * The pack's core rules for pods, in the cluster's own words (CEL), each naming the policy it
 * mirrors. The pack refuses a program that breaks them before anything is deployed; this refuses a
 * pod that breaks them whoever sends it (`kubectl apply`, a Helm chart, a controller), at admission.
 */
export const ADMISSION_VALIDATIONS: readonly { readonly policy: string; readonly expression: string; readonly message: string }[] = [
    {
        policy: "k8s-image-tag",
        // A colon after the last slash is a tag (one before it is a registry's port).
        expression: "variables.containers.all(c, c.image.matches('@sha256:[0-9a-f]{64}$') || (c.image.matches(':[^/:@]+$') && !c.image.endsWith(':latest')))",
        message: "every container's image names a version tag other than latest, or a digest (the pack's k8s-image-tag)",
    },
    {
        policy: "k8s-resources",
        expression: "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests && 'memory' in c.resources.requests && has(c.resources.limits) && 'memory' in c.resources.limits)",
        message: "every container requests CPU and memory and limits its memory (the pack's k8s-resources)",
    },
    {
        policy: "k8s-sa-hygiene",
        expression: "has(object.spec.serviceAccountName) && object.spec.serviceAccountName != 'default' && " +
            "((has(object.spec.automountServiceAccountToken) && object.spec.automountServiceAccountToken == false) || " +
            `(namespaceObject.metadata.name + '/' + object.spec.serviceAccountName) in ${list(TOKEN_ACCOUNTS)})`,
        message: "every pod runs as its own ServiceAccount and mounts no API token unless it is the chaos job (the pack's k8s-sa-hygiene)",
    },
    {
        policy: "ownership-labels",
        expression: `has(object.metadata.labels) && '${LABELS.project}' in object.metadata.labels && object.metadata.labels['${LABELS.project}'] == '${PROJECT}' && ` +
            `'${LABELS.stage}' in object.metadata.labels && object.metadata.labels['${LABELS.stage}'] in ${list(STAGE_NUMBERS.map(String))} && ` +
            `'${LABELS.tier}' in object.metadata.labels && object.metadata.labels['${LABELS.tier}'] in ${list(TIER_LABELS)}`,
        message: `every pod carries the lab's ${LABELS.project}, ${LABELS.stage} and ${LABELS.tier} labels (the pack's ownership-labels)`,
    },
];

/** Every container of a pod, init containers included (ephemeral ones come through a subresource the policy does not match). */
export const CONTAINERS_VARIABLE = "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])";

/**
 * A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1, GA since Kubernetes 1.30: no extra
 * component) and its binding to the lab's namespaces, denying what breaks a rule. `binding` is what
 * the lab's pods wait for, so each of them is admitted by it.
 */
export class AdmissionPolicy extends pulumi.ComponentResource {
    readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;

    constructor(name: string, args: { readonly stage: StageNumber }, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:AdmissionPolicy", name, {}, opts);
        const labels = labLabels(args.stage, "shared");
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-policy`, {
            metadata: { name: ADMISSION_POLICY, labels },
            spec: {
                failurePolicy: "Fail",
                matchConstraints: {
                    resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
                },
                variables: [{ name: "containers", expression: CONTAINERS_VARIABLE }],
                validations: ADMISSION_VALIDATIONS.map((v) => ({ expression: v.expression, message: v.message, reason: "Forbidden" })),
            },
        }, objectOptions(this));
        this.binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-binding`, {
            metadata: { name: ADMISSION_POLICY, labels },
            spec: {
                policyName: policy.metadata.name,
                validationActions: ["Deny"],
                matchResources: { namespaceSelector: { matchLabels: { [LABELS.project]: PROJECT } } },
            },
        }, objectOptions(this, [policy]));
        this.registerOutputs({});
    }
}
