import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBE_NAMESPACES, LABELS, OPS_TIER, SERVICES } from "../../program/names";
import { CHAOS_ENV, renderChaosScript } from "../../renderers/chaos";
import { KubeContext, SCRIPT_MODE, configMap, inLab, meta, podSpec, resources, restrictedContainer, scratch, serviceAccount } from "./common";

const CHAOS_USER = "65534:65534";
const SCRIPT_DIR = "/opt/chaos";

/** The chaos Role's rules: exactly what the script does, on pods, in the app's namespace. */
export const CHAOS_RULES = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }];

/**
 * Stage 6's chaos engineering: a CronJob that deletes one random app pod on a schedule. Its
 * ServiceAccount (in the ops namespace) is bound to a Role in the app's namespace that may get,
 * list and delete pods there and nothing else; it is the only pod of the lab with an API token.
 */
export class Chaos extends pulumi.ComponentResource {
    constructor(name: string, ctx: KubeContext, schedule: string, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Chaos", name, {}, opts);
        const { profile } = ctx.lab;
        const ns = KUBE_NAMESPACES.ops;
        const target = KUBE_NAMESPACES.app;
        const service = SERVICES.chaos;
        const sa = serviceAccount(ctx, this, service, ns, OPS_TIER);
        const role = new k8s.rbac.v1.Role(`${target}-chaos`, {
            metadata: meta(profile, "chaos-delete-app-pods", target, "app"),
            rules: CHAOS_RULES,
        }, inLab(ctx, this));
        const binding = new k8s.rbac.v1.RoleBinding(`${target}-chaos`, {
            metadata: meta(profile, "chaos-delete-app-pods", target, "app"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
        }, inLab(ctx, this));
        const script = configMap(ctx, this, "chaos-script", ns, OPS_TIER, { "chaos.sh": renderChaosScript() });
        const tmp = scratch("tmp", "/tmp");
        new k8s.batch.v1.CronJob(`${ns}-chaos`, {
            metadata: meta(profile, service, ns, OPS_TIER, service),
            spec: {
                schedule,
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels: meta(profile, service, ns, OPS_TIER, service).labels },
                    spec: {
                        backoffLimit: 0,
                        activeDeadlineSeconds: 120,
                        template: {
                            metadata: { labels: meta(profile, service, ns, OPS_TIER, service).labels },
                            spec: podSpec({
                                serviceAccountName: sa.metadata.name,
                                user: CHAOS_USER,
                                // The one pod that needs the API: its token is bound to the Role above only.
                                apiToken: true,
                                restartPolicy: "Never",
                                containers: [{
                                    name: service,
                                    image: ctx.lab.images.kubectl,
                                    imagePullPolicy: "IfNotPresent",
                                    command: ["/bin/sh", `${SCRIPT_DIR}/chaos.sh`],
                                    env: [
                                        { name: CHAOS_ENV.namespace, value: target },
                                        { name: CHAOS_ENV.selector, value: `${LABELS.service}=${SERVICES.app}` },
                                        // kubectl keeps a discovery cache under $HOME: the writable scratch.
                                        { name: "HOME", value: "/tmp" },
                                    ],
                                    resources: resources("10m", "32Mi", "200m", "128Mi"),
                                    securityContext: restrictedContainer(CHAOS_USER),
                                    volumeMounts: [tmp.mount, { name: "script", mountPath: SCRIPT_DIR, readOnly: true }],
                                }],
                                volumes: [tmp.volume, { name: "script", configMap: { name: script.metadata.name, defaultMode: SCRIPT_MODE } }],
                            }),
                        },
                    },
                },
            },
        }, inLab(ctx, this, [binding]));
        this.registerOutputs({});
    }
}
