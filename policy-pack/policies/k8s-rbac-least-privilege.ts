import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { forKinds, get, items } from "./lib/pods";

export const k8sRbacLeastPrivilege = resourcePolicy({
    name: "k8s-rbac-least-privilege",
    description: "Roles grant no \"*\" verbs or resources, and no binding grants cluster-admin.",
    from: 5,
    severity: "high",
    why: "Least privilege: things only have the minimum permission needed for them to function, written as policies assigned to custom roles.",
    remediation: "List the exact verbs and resources the subject needs (e.g. verbs: [list, delete] on pods) in a Role of its namespace; bind that Role, never cluster-admin.",
    anchors: ["CKV_K8S_49", "Ky restrict-wildcard-verbs"],
}, {
    validateResource: previewSafe(forKinds(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"], (object, ref, args, report) => {
        if (args.type.endsWith("Binding")) {
            if (get(object, "roleRef", "kind") === "ClusterRole" && get(object, "roleRef", "name") === "cluster-admin") {
                report(`${ref}: roleRef is ClusterRole "cluster-admin", which lets its subjects do anything anywhere in the cluster; ` +
                    `bind a Role that lists only what they need`);
            }
            return;
        }
        for (const { item: rule, index } of items(object, "rules")) {
            for (const field of ["verbs", "resources"] as const) {
                if (items(rule, field).some(({ item }) => item === "*")) {
                    report(`${ref}: rules[${index}].${field} contains "*", which grants ${field === "verbs" ? "every verb, escalate and impersonate included" : "every resource of its API groups, Secrets included"}, ` +
                        `and whatever the API adds later; list the ${field} it needs`);
                }
            }
        }
    })),
});
