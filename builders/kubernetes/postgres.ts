import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, DATABASE, IMAGE_USERS, KUBERNETES, KUBE_NAMESPACES, SECRETS_DIR, SERVICES } from "../../program/names";
import {
    POSTGRES_IMAGE_ENV, POSTGRES_PATHS, postgresArgs, postgresSettings, renderPrimaryInitScript, renderReplicaEntrypoint,
} from "../../renderers/postgres";
import { archiveSettings, BACKUP_PATHS } from "../../renderers/postgres-backup";
import { APP_DB_USER, LEAST_PRIVILEGE_ENV, POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { BACKUP_ROOT, BackupSchedule, backupClaim, backupJobs } from "./backup";
import { Login, baseOf, dirOf, generatedSecret, replicaEnvironment } from "../shared";
import {
    KubeScope, Place, SCRIPT_MODE, SECRET_MODE, clusterService, configMap, containerSecurity, inLab, labLabels, meta, podSpec, resources,
    scratch, secret, selectorOf, serviceAccount, serviceHost,
} from "./common";

/** PGDATA one level below the volume's root: a fresh volume holds lost+found, which initdb refuses. */
const PGDATA = `${POSTGRES_PATHS.dataDir}/pgdata`;

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export interface PostgresClusterArgs {
    readonly scope: KubeScope;
    readonly image: string;
    /** A streaming replica that clones itself from the primary (the profile's `database.replica`). */
    readonly replica: boolean;
    /** The app gets a DML-only role (the profile's `leastPrivilege`); else it logs in as the owner. */
    readonly leastPrivilege: boolean;
    /** WAL archiving, scheduled base backups and the restore drill (the profile's `kubernetes.backup`). */
    readonly backup?: BackupSchedule;
}

/**
 * Postgres primary and streaming replica as StatefulSets, each with a volume claim template and a
 * headless Service (a stable DNS name per pod). The primary runs the rendered init script (with
 * least privilege: roles split, scram-sha-256, pg_hba); the replica runs the rendered entrypoint,
 * which clones the primary into its empty volume and then starts as a standby: no manual step.
 * Scripts come from ConfigMaps, passwords from Secrets, both mounted as files.
 */
export class PostgresCluster extends pulumi.ComponentResource {
    readonly ownerPassword: pulumi.Output<string>;
    readonly appLogin: Login;
    readonly primaryHost = serviceHost(SERVICES.postgresPrimary, KUBE_NAMESPACES.data);
    readonly replicaHost?: string;
    readonly primary: k8s.apps.v1.StatefulSet;
    readonly replica?: k8s.apps.v1.StatefulSet;

    constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:PostgresCluster", name, {}, opts);
        const { scope, leastPrivilege: lp } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.data, tier: "data" };
        const password = (id: string) => generatedSecret(`${name}-${id}`, this);
        this.ownerPassword = password("owner-password");
        const replicationPassword = args.replica ? password("replication-password") : undefined;
        this.appLogin = lp ? { user: APP_DB_USER, password: password("app-password") } : { user: DATABASE.ownerUser, password: this.ownerPassword };

        const passwords = secret(at, "postgres-passwords", {
            [baseOf(POSTGRES_SECRET_PATHS.ownerPassword)]: this.ownerPassword,
            ...(lp ? { [baseOf(POSTGRES_SECRET_PATHS.appPassword)]: this.appLogin.password } : {}),
            ...(replicationPassword ? { [baseOf(POSTGRES_SECRET_PATHS.replicationPassword)]: replicationPassword } : {}),
        });
        // Pod addresses are not known in advance: pg_hba admits the pod network, and the
        // NetworkPolicies decide which pods really reach port 5432 (only the app and the replica).
        const scripts = configMap(at, "postgres-scripts", {
            [baseOf(POSTGRES_PATHS.primaryInitScript)]: renderPrimaryInitScript({
                replicationCidr: KUBERNETES.podCidr,
                replication: args.replica,
                ...(lp ? { leastPrivilege: { appUser: APP_DB_USER, appCidr: KUBERNETES.podCidr } } : {}),
            }),
            ...(args.replica ? { [baseOf(POSTGRES_PATHS.replicaEntrypoint)]: renderReplicaEntrypoint() } : {}),
        });

        const tmp = scratch("tmp", "/tmp");
        const run = scratch("run", "/var/run/postgresql");
        const env = (key: string, value: string | number): EnvVar => ({ name: key, value: String(value) });
        const ready = { exec: { command: ["pg_isready", "-q", "-h", "127.0.0.1", "-U", DATABASE.ownerUser, "-d", DATABASE.name] } };
        const container = (role: "primary" | "replica", extra: { command?: string[]; env: EnvVar[]; volumeMounts: VolumeMount[]; settings?: Record<string, string> }): Container => ({
            name: "postgres",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            ...(extra.command ? { command: extra.command } : {}),
            ports: [{ name: "postgres", containerPort: CONTAINER_PORTS.postgres, protocol: "TCP" }],
            startupProbe: { ...ready, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 },
            readinessProbe: { ...ready, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
            livenessProbe: { ...ready, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
            resources: resources(scope, "100m", "256Mi", "1", "512Mi"),
            ...containerSecurity(scope, IMAGE_USERS.postgres),
            env: [env(POSTGRES_IMAGE_ENV.dataDir, PGDATA), ...extra.env],
            volumeMounts: [{ name: "data", mountPath: POSTGRES_PATHS.dataDir }, tmp.mount, run.mount, ...extra.volumeMounts],
            args: ["postgres", ...postgresArgs({ ...postgresSettings(role), ...extra.settings })],
        });
        const statefulSet = (service: string, c: Container, volumes: Volume[], dependsOn: pulumi.Resource[]) => {
            const sa = serviceAccount(at, service);
            const headless = clusterService(at, service, service, [{ name: "postgres", port: CONTAINER_PORTS.postgres }], true);
            return new k8s.apps.v1.StatefulSet(`${name}-${service}`, {
                metadata: meta(scope.stage, service, at.namespace, at.tier, service),
                spec: {
                    serviceName: headless.metadata.name,
                    replicas: 1,
                    selector: { matchLabels: selectorOf(service) },
                    template: {
                        metadata: { labels: labLabels(scope.stage, at.tier, service) },
                        spec: podSpec(scope, { serviceAccountName: sa.metadata.name, user: IMAGE_USERS.postgres, containers: [c], volumes: [tmp.volume, run.volume, ...volumes] }),
                    },
                    volumeClaimTemplates: [{
                        metadata: { name: "data", labels: labLabels(scope.stage, at.tier) },
                        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
                    }],
                },
            }, inLab(scope, this, dependsOn));
        };
        const fromScripts = (volume: string, path: string): Volume =>
            ({ name: volume, configMap: { name: scripts.metadata.name, defaultMode: SCRIPT_MODE, items: [{ key: baseOf(path), path: baseOf(path) }] } });

        // The archive goes to a volume of its own: losing the data volume leaves it (and the base backups).
        const claim = args.backup && backupClaim(at);
        this.primary = statefulSet(SERVICES.postgresPrimary, container("primary", {
            ...(args.backup ? { settings: archiveSettings({ archiveDir: BACKUP_PATHS.archiveDir, timeoutSeconds: args.backup.archiveTimeoutSeconds }) } : {}),
            env: [
                env(POSTGRES_IMAGE_ENV.user, DATABASE.ownerUser),
                env(POSTGRES_IMAGE_ENV.database, DATABASE.name),
                env(LEAST_PRIVILEGE_ENV.ownerPasswordFile, POSTGRES_SECRET_PATHS.ownerPassword),
                ...(lp ? [env(LEAST_PRIVILEGE_ENV.appPasswordFile, POSTGRES_SECRET_PATHS.appPassword)] : []),
                ...(replicationPassword ? [env(LEAST_PRIVILEGE_ENV.replicationPasswordFile, POSTGRES_SECRET_PATHS.replicationPassword)] : []),
            ],
            volumeMounts: [
                { name: "init", mountPath: dirOf(POSTGRES_PATHS.primaryInitScript), readOnly: true },
                { name: "passwords", mountPath: SECRETS_DIR, readOnly: true },
                ...(claim ? [{ name: "backup", mountPath: BACKUP_ROOT }] : []),
            ],
        }), [
            fromScripts("init", POSTGRES_PATHS.primaryInitScript),
            { name: "passwords", secret: { secretName: passwords.metadata.name, defaultMode: SECRET_MODE } },
            ...(claim ? [{ name: "backup", persistentVolumeClaim: { claimName: claim.metadata.name } }] : []),
        ], claim ? [claim] : []);

        if (replicationPassword) {
            // The replica gets its own Secret: the replication password and nothing else.
            const replicaPasswords = secret(at, "postgres-replication-password", {
                [baseOf(POSTGRES_SECRET_PATHS.replicationPassword)]: replicationPassword,
            });
            this.replicaHost = serviceHost(SERVICES.postgresReplica, KUBE_NAMESPACES.data);
            this.replica = statefulSet(SERVICES.postgresReplica, container("replica", {
                // The same entrypoint as on Docker: clone once, then the image's own entrypoint.
                command: ["/bin/sh", POSTGRES_PATHS.replicaEntrypoint, "docker-entrypoint.sh"],
                env: replicaEnvironment(this.primaryHost, { file: POSTGRES_SECRET_PATHS.replicationPassword })
                    .map(([key, value]) => ({ name: key, value })),
                volumeMounts: [
                    { name: "entrypoint", mountPath: dirOf(POSTGRES_PATHS.replicaEntrypoint), readOnly: true },
                    { name: "passwords", mountPath: SECRETS_DIR, readOnly: true },
                ],
            }), [
                fromScripts("entrypoint", POSTGRES_PATHS.replicaEntrypoint),
                { name: "passwords", secret: { secretName: replicaPasswords.metadata.name, defaultMode: SECRET_MODE } },
            ], [this.primary]);
            if (args.backup && claim) {
                // The drill's Secret: the owner's password (its copy keeps the primary's pg_hba: owner
                // over the socket) and the app's (it reads the live primary as the app), nothing else.
                const drillPasswords = secret(at, "postgres-drill-passwords", {
                    [baseOf(POSTGRES_SECRET_PATHS.ownerPassword)]: this.ownerPassword,
                    ...(lp ? { [baseOf(POSTGRES_SECRET_PATHS.appPassword)]: this.appLogin.password } : {}),
                });
                backupJobs({
                    at, image: args.image, schedule: args.backup, claim, primaryHost: this.primaryHost,
                    replicationSecret: replicaPasswords, drillSecret: drillPasswords,
                    app: { user: this.appLogin.user, passwordFile: lp ? POSTGRES_SECRET_PATHS.appPassword : POSTGRES_SECRET_PATHS.ownerPassword },
                    dependsOn: [this.primary],
                });
            }
        }
        this.registerOutputs({});
    }
}
