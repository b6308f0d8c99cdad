import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, DATABASE, IMAGE_USERS, LABELS, SECRETS_DIR, SERVICES } from "../../program/names";
import {
    BACKUP_ENV, BACKUP_PATHS, DRILL_ENV, renderBaseBackupScript, renderRestoreDrillScript, renderRestoreScript,
} from "../../renderers/postgres-backup";
import { POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { baseOf, dirOf } from "../shared";
import {
    Place, SCRIPT_MODE, SECRET_MODE, configMap, containerSecurity, inLab, labLabels, meta, podSpec, resources, scratch, serviceAccount,
} from "./common";

/** The folder both the archive and the base backups live under, on the backup volume. */
export const BACKUP_ROOT = dirOf(BACKUP_PATHS.archiveDir);
const SCRIPTS_DIR = "/usr/local/lab/backup";
const SCRIPTS = { backup: `${SCRIPTS_DIR}/backup.sh`, restore: `${SCRIPTS_DIR}/restore.sh`, drill: `${SCRIPTS_DIR}/drill.sh` } as const;
/** The restored copy's data: an emptyDir, gone with the drill's pod. */
const DRILL_DATA = "/var/lib/postgresql/restore";

export interface BackupSchedule {
    readonly schedule: string;
    readonly keep: number;
    readonly archiveTimeoutSeconds: number;
}

/** The backup volume: its own claim, so losing the primary's data volume leaves the backups. */
export function backupClaim(at: Place): k8s.core.v1.PersistentVolumeClaim {
    return new k8s.core.v1.PersistentVolumeClaim(`${at.prefix}-postgres-backup`, {
        metadata: meta(at.scope.stage, SERVICES.postgresBackup, at.namespace, at.tier, SERVICES.postgresBackup),
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } },
    }, inLab(at.scope, at.parent));
}

export interface BackupJobsArgs {
    readonly at: Place;
    readonly image: string;
    readonly schedule: BackupSchedule;
    readonly claim: k8s.core.v1.PersistentVolumeClaim;
    readonly primaryHost: string;
    /** The replicator's password alone: base backups use the replication protocol. */
    readonly replicationSecret: k8s.core.v1.Secret;
    /** The owner's and the app's: the drill logs in to its copy as the owner and reads the primary as the app. */
    readonly drillSecret: k8s.core.v1.Secret;
    /** The role the drill reads the live primary as, and where its password file is. */
    readonly app: { readonly user: string; readonly passwordFile: string };
    readonly dependsOn: pulumi.Resource[];
}

/**
 * Two CronJobs beside the primary: base backups on the schedule, and the restore drill, suspended,
 * which a learner starts (`kubectl create job --from=cronjob/postgres-restore-drill`, or the lab's
 * `drill 6 restore`). Both share the primary's ReadWriteOnce backup volume, so they run on its
 * node (pod affinity); a cluster with several nodes and shared storage could drop that.
 */
export function backupJobs(args: BackupJobsArgs): void {
    const { at, schedule } = args;
    const { scope } = at;
    const scripts = configMap(at, "postgres-backup-scripts", {
        [baseOf(SCRIPTS.backup)]: renderBaseBackupScript(),
        [baseOf(SCRIPTS.restore)]: renderRestoreScript(),
        [baseOf(SCRIPTS.drill)]: renderRestoreDrillScript(),
    });
    const env = (name: string, value: string | number) => ({ name, value: String(value) });
    const tmp = scratch("tmp", "/tmp");
    const run = scratch("run", "/var/run/postgresql");
    const besidePrimary: k8s.types.input.core.v1.Affinity = {
        podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{
                labelSelector: { matchLabels: { [LABELS.service]: SERVICES.postgresPrimary } },
                topologyKey: "kubernetes.io/hostname",
            }],
        },
    };
    const job = (service: string, spec: {
        readonly schedule: string; readonly suspend: boolean; readonly deadline: number;
        readonly command: string[]; readonly env: { name: string; value: string }[];
        readonly secret: k8s.core.v1.Secret; readonly backupReadOnly: boolean;
        readonly extraVolumes?: { volume: k8s.types.input.core.v1.Volume; mount: k8s.types.input.core.v1.VolumeMount }[];
    }) => {
        const sa = serviceAccount(at, service);
        const labels = labLabels(scope.stage, at.tier, service);
        const extra = spec.extraVolumes ?? [];
        return new k8s.batch.v1.CronJob(`${at.prefix}-${service}`, {
            metadata: meta(scope.stage, service, at.namespace, at.tier, service),
            spec: {
                schedule: spec.schedule,
                suspend: spec.suspend,
                concurrencyPolicy: "Forbid",
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels },
                    spec: {
                        backoffLimit: 0,
                        activeDeadlineSeconds: spec.deadline,
                        template: {
                            metadata: { labels },
                            spec: podSpec(scope, {
                                serviceAccountName: sa.metadata.name,
                                user: IMAGE_USERS.postgres,
                                restartPolicy: "Never",
                                affinity: besidePrimary,
                                containers: [{
                                    name: service,
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    command: spec.command,
                                    env: spec.env,
                                    resources: resources(scope, "50m", "128Mi", "500m", "512Mi"),
                                    ...containerSecurity(scope, IMAGE_USERS.postgres),
                                    volumeMounts: [
                                        tmp.mount, run.mount, ...extra.map((v) => v.mount),
                                        { name: "backup", mountPath: BACKUP_ROOT, readOnly: spec.backupReadOnly },
                                        { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
                                        { name: "passwords", mountPath: SECRETS_DIR, readOnly: true },
                                    ],
                                }],
                                volumes: [
                                    tmp.volume, run.volume, ...extra.map((v) => v.volume),
                                    { name: "backup", persistentVolumeClaim: { claimName: args.claim.metadata.name, readOnly: spec.backupReadOnly } },
                                    { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: SCRIPT_MODE } },
                                    { name: "passwords", secret: { secretName: spec.secret.metadata.name, defaultMode: SECRET_MODE } },
                                ],
                            }),
                        },
                    },
                },
            },
        }, inLab(scope, at.parent, args.dependsOn));
    };

    // The password is read into the script's own environment at start, never into the pod spec.
    job(SERVICES.postgresBackup, {
        schedule: schedule.schedule, suspend: false, deadline: 1800, backupReadOnly: false, secret: args.replicationSecret,
        command: ["/bin/sh", "-c", `PGPASSWORD="$(cat ${POSTGRES_SECRET_PATHS.replicationPassword})" exec /bin/sh ${SCRIPTS.backup}`],
        env: [
            env(BACKUP_ENV.primaryHost, args.primaryHost), env("PGPORT", CONTAINER_PORTS.postgres), env("PGUSER", DATABASE.replicationUser),
            env(BACKUP_ENV.backupDir, BACKUP_PATHS.backupDir), env(BACKUP_ENV.keep, schedule.keep),
        ],
    });
    const data = { volume: { name: "restore", emptyDir: { sizeLimit: "2Gi" } }, mount: { name: "restore", mountPath: DRILL_DATA } };
    job(SERVICES.postgresRestoreDrill, {
        // Never fires by itself (suspended): a learner starts it. The schedule is required, not used.
        schedule: "0 0 1 1 *", suspend: true, deadline: 1800, backupReadOnly: true, secret: args.drillSecret,
        command: ["/bin/sh", SCRIPTS.drill],
        extraVolumes: [data],
        env: [
            env("PGDATA", `${DRILL_DATA}/pgdata`),
            env(BACKUP_ENV.backupDir, BACKUP_PATHS.backupDir), env(BACKUP_ENV.archiveDir, BACKUP_PATHS.archiveDir),
            env(DRILL_ENV.restoreScript, SCRIPTS.restore), env(DRILL_ENV.socketDir, "/var/run/postgresql"),
            env(DRILL_ENV.ownerPasswordFile, POSTGRES_SECRET_PATHS.ownerPassword),
            env(DRILL_ENV.primaryHost, args.primaryHost), env(DRILL_ENV.primaryPort, CONTAINER_PORTS.postgres),
            env(DRILL_ENV.appUser, args.app.user), env(DRILL_ENV.appPasswordFile, args.app.passwordFile),
        ],
    });
}
