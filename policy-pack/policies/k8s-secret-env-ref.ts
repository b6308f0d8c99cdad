import { secretLikeKey } from "./docker-no-plaintext-secret-env";
import { previewSafe } from "./lib/known";
import { resourcePolicy, resourceRef } from "./lib/meta";
import { containersOf, get, items, podSpecOf, snapshot, typeToken, UNKNOWN } from "./lib/pods";

export const k8sSecretEnvRef = resourcePolicy({
    name: "k8s-secret-env-ref",
    description: "Secret-like environment variables come from a Secret (secretKeyRef), and no ConfigMap holds a sensitive key.",
    from: 5,
    severity: "high",
    why: "Secrets management: securely store and access sensitive data (DB credentials, API keys) through a dedicated tool rather than hardcoding them.",
    remediation: "Keep the value in a Secret (created from a Pulumi secret, or read from Vault) and use env[].valueFrom.secretKeyRef, or mount the Secret as a file.",
    anchors: ["CKV_K8S_35", "Pol sensitiveContainerEnvVar"],
}, {
    validateResource: previewSafe((args, report) => {
        const token = typeToken(args.type);
        if (token?.kind === "ConfigMap" && token.group === "core") {
            const props = snapshot(() => args.props);
            for (const field of ["data", "binaryData"]) {
                const data = get(props, field);
                if (data === UNKNOWN || !data || typeof data !== "object") continue;
                for (const key of Object.keys(data).filter(secretLikeKey)) {
                    report(`${resourceRef(args.type, args.name)}: ${field}["${key}"] looks like a secret, and a ConfigMap is readable by ` +
                        `anyone who may read config and is stored unencrypted; move it to a Secret`);
                }
            }
            return;
        }
        const pod = podSpecOf(args);
        if (!pod) return args.notApplicable("the rule checks workloads' env and ConfigMaps");
        for (const c of containersOf(pod)) {
            for (const { item, index } of items(c.container, "env")) {
                const name = get(item, "name");
                if (typeof name !== "string" || !secretLikeKey(name)) continue;
                // Read directly, not with get(): an unknown value here is decided (a literal), not undecided.
                const value = (item as Record<string, unknown>).value;
                const where = `${c.ref}: ${c.path}.env[${index}] ${name}`;
                // A value built from a generated password is unknown at preview, but it is a literal all the same.
                if (value === UNKNOWN || (typeof value === "string" && value !== "")) {
                    report(`${where} holds a literal value, which anyone who may read the ${pod.kind} sees; ` +
                        `use valueFrom.secretKeyRef to a Secret`);
                } else if (get(item, "valueFrom", "configMapKeyRef") !== undefined) {
                    report(`${where} comes from a ConfigMap (valueFrom.configMapKeyRef), which stores it unencrypted; ` +
                        `keep it in a Secret and use valueFrom.secretKeyRef`);
                }
            }
        }
    }),
});
