import { previewSafe } from "./lib/known";
import { resourcePolicy } from "./lib/meta";
import { containersOf, forPodSpecs, get, items } from "./lib/pods";

/** The pod fields that share a node namespace, and what sharing it gives away. */
const HOST_NAMESPACES = {
    hostNetwork: "the node's network stack (every interface and port, and the kubelet on localhost)",
    hostPID: "the node's processes",
    hostIPC: "the node's shared memory",
} as const;

export const k8sHostIsolation = resourcePolicy({
    name: "k8s-host-isolation",
    description: "Pods share no node namespace, bind no host port and mount no hostPath.",
    from: 5,
    severity: "high",
    why: "Minimize the blast radius: a pod in the node's namespaces or with the node's files sees and reaches what the node does, so isolation is gone.",
    remediation: "Remove hostNetwork/hostPID/hostIPC, hostPort and hostPath volumes; expose through a Service and keep data in a PersistentVolumeClaim or an emptyDir.",
    anchors: ["PSS baseline", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "CKV_K8S_26"],
}, {
    validateResource: previewSafe(forPodSpecs((pod, _args, report) => {
        for (const [field, what] of Object.entries(HOST_NAMESPACES)) {
            if (get(pod.spec, field) === true) {
                report(`${pod.ref}: ${pod.path}.${field} is true, so the pod shares ${what}; remove it`);
            }
        }
        for (const { item, index } of items(pod.spec, "volumes")) {
            const hostPath = get(item, "hostPath", "path");
            if (get(item, "hostPath") !== undefined) {
                report(`${pod.ref}: ${pod.path}.volumes[${index}].hostPath mounts the node's ${typeof hostPath === "string" ? `"${hostPath}"` : "files"}, ` +
                    `which outlives the pod and escapes its isolation; use a PersistentVolumeClaim, an emptyDir or a projected volume`);
            }
        }
        for (const c of containersOf(pod)) {
            for (const { item, index } of items(c.container, "ports")) {
                const hostPort = get(item, "hostPort");
                if (typeof hostPort === "number" && hostPort !== 0) {
                    report(`${c.ref}: ${c.path}.ports[${index}].hostPort is ${hostPort}, so the node itself listens on it; ` +
                        `remove hostPort and expose the port through a Service`);
                }
            }
        }
    })),
});
