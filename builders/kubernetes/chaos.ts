import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBE_NAMESPACES, LABELS, OPS_TIER, SERVICES } from "../../program/names";
import { CHAOS_ENV, renderChaosScript } from "../../renderers/chaos";
import {
    KubeScope, Place, SCRIPT_MODE, configMap, containerSecurity, inLab, labLabels, meta, podSpec, resources, scratch, serviceAccount,
} from "./common";

const CHAOS_USER = "65534:65534";
const SCRIPT_DIR = "/opt/chaos";

/** The chaos Role's rules: exactly what the script does, on pods, in the app's namespace. */
export const CHAOS_RULES = [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }];

export interface ChaosArgs {
    readonly scope: KubeScope;
    /** A shell and kubectl, pinned. */
    readonly image: string;
    /** Cron syntax: when to delete one random app pod. */
    readonly schedule: string;
    /** The app's Deployments: the job must not fire while they are still rolling out. */
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Stage 6's chaos engineering: a CronJob that deletes one random app pod on a schedule. Its
 * ServiceAccount (in the ops namespace) is bound to a Role in the app's namespace that may get,
 * list and delete pods there and nothing else; it is the only pod of the lab with an API token.
 */
export class Chaos extends pulumi.ComponentResource {
    constructor(name: string, args: ChaosArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:Chaos", name, {}, opts);
        const { scope } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.ops, tier: OPS_TIER };
        const ns = at.namespace;
        const target = KUBE_NAMESPACES.app;
        const service = SERVICES.chaos;
        const sa = serviceAccount(at, service);
        const role = new k8s.rbac.v1.Role(`${name}-role`, {
            metadata: meta(scope.stage, "chaos-delete-app-pods", target, "app"),
            rules: CHAOS_RULES,
        }, inLab(scope, this));
        const binding = new k8s.rbac.v1.RoleBinding(`${name}-role-binding`, {
            metadata: meta(scope.stage, "chaos-delete-app-pods", target, "app"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
        }, inLab(scope, this));
        const script = configMap(at, "chaos-script", { "chaos.sh": renderChaosScript() });
        const tmp = scratch("tmp", "/tmp");
        const labels = labLabels(scope.stage, OPS_TIER, service);
        new k8s.batch.v1.CronJob(`${name}-cronjob`, {
            metadata: meta(scope.stage, service, ns, OPS_TIER, service),
            spec: {
                schedule: args.schedule,
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels },
                    spec: {
                        backoffLimit: 0,
                        // Long enough for the first pull of the kubectl image on a slow laptop network:
                        // the deadline counts from the Job's start, pulling included.
                        activeDeadlineSeconds: 600,
                        template: {
                            metadata: { labels },
                            spec: podSpec(scope, {
                                serviceAccountName: sa.metadata.name,
                                user: CHAOS_USER,
                                // The one pod that needs the API: its token is bound to the Role above only.
                                apiToken: true,
                                restartPolicy: "Never",
                                containers: [{
                                    name: service,
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    command: ["/bin/sh", `${SCRIPT_DIR}/chaos.sh`],
                                    env: [
                                        { name: CHAOS_ENV.namespace, value: target },
                                        { name: CHAOS_ENV.selector, value: `${LABELS.service}=${SERVICES.app}` },
                                        // kubectl keeps a discovery cache under $HOME: the writable scratch.
                                        { name: "HOME", value: "/tmp" },
                                    ],
                                    resources: resources(scope, "10m", "32Mi", "200m", "128Mi"),
                                    ...containerSecurity(scope, CHAOS_USER),
                                    volumeMounts: [tmp.mount, { name: "script", mountPath: SCRIPT_DIR, readOnly: true }],
                                }],
                                volumes: [tmp.volume, { name: "script", configMap: { name: script.metadata.name, defaultMode: SCRIPT_MODE } }],
                            }),
                        },
                    },
                },
            },
        }, inLab(scope, this, [binding, ...args.dependsOn]));
        this.registerOutputs({});
    }
}
