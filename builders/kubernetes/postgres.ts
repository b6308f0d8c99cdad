import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORTS, DATABASE, IMAGE_USERS, KUBERNETES, KUBE_NAMESPACES, SERVICES } from "../../program/names";
import {
    POSTGRES_IMAGE_ENV, POSTGRES_PATHS, REPLICA_ENV, postgresArgs, postgresSettings, renderPrimaryInitScript, renderReplicaEntrypoint,
} from "../../renderers/postgres";
import { APP_DB_USER, LEAST_PRIVILEGE_ENV, POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { Login, baseOf, dirOf, generatedSecret } from "../shared";
import {
    KubeContext, SCRIPT_MODE, SECRET_MODE, clusterService, configMap, inLab, meta, podSpec, resources, restrictedContainer, scratch,
    secret, selectorOf, serviceAccount, serviceHost,
} from "./common";

const SECRETS_DIR = "/run/secrets";
/** PGDATA one level below the volume's root: a fresh volume holds lost+found, which initdb refuses. */
const PGDATA = `${POSTGRES_PATHS.dataDir}/pgdata`;

/**
 * Postgres primary and streaming replica as StatefulSets, each with a volume claim template and a
 * headless Service (a stable DNS name per pod). The primary runs stage 4's rendered init script
 * (roles split, scram-sha-256, pg_hba); the replica runs stage 4's rendered entrypoint, which
 * clones the primary into its empty volume and then starts as a standby: no manual step.
 * Scripts come from ConfigMaps, passwords from Secrets, both mounted as files.
 */
export class PostgresCluster extends pulumi.ComponentResource {
    readonly ownerPassword: pulumi.Output<string>;
    readonly appLogin: Login;
    readonly primaryHost = serviceHost(SERVICES.postgresPrimary, KUBE_NAMESPACES.data);
    readonly replicaHost = serviceHost(SERVICES.postgresReplica, KUBE_NAMESPACES.data);
    readonly primary: k8s.apps.v1.StatefulSet;
    readonly replica: k8s.apps.v1.StatefulSet;

    constructor(name: string, ctx: KubeContext, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:PostgresCluster", name, {}, opts);
        const { profile } = ctx.lab;
        const ns = KUBE_NAMESPACES.data;
        const tier = "data";
        const password = (id: string) => generatedSecret(id, this);
        this.ownerPassword = password("postgres-owner-password");
        const replicationPassword = password("postgres-replication-password");
        this.appLogin = { user: APP_DB_USER, password: password("postgres-app-password") };

        const passwords = secret(ctx, this, "postgres-passwords", ns, tier, {
            [baseOf(POSTGRES_SECRET_PATHS.ownerPassword)]: this.ownerPassword,
            [baseOf(POSTGRES_SECRET_PATHS.appPassword)]: this.appLogin.password,
            [baseOf(POSTGRES_SECRET_PATHS.replicationPassword)]: replicationPassword,
        });
        const replicaPasswords = secret(ctx, this, "postgres-replication-password", ns, tier, {
            [baseOf(POSTGRES_SECRET_PATHS.replicationPassword)]: replicationPassword,
        });
        // Pod addresses are not known in advance: pg_hba admits the pod network, and the
        // NetworkPolicies decide which pods really reach port 5432 (only the app and the replica).
        const scripts = configMap(ctx, this, "postgres-scripts", ns, tier, {
            [baseOf(POSTGRES_PATHS.primaryInitScript)]: renderPrimaryInitScript({
                replicationCidr: KUBERNETES.podCidr,
                replication: true,
                leastPrivilege: { appUser: APP_DB_USER, appCidr: KUBERNETES.podCidr },
            }),
            [baseOf(POSTGRES_PATHS.replicaEntrypoint)]: renderReplicaEntrypoint({ passwordFile: true }),
        });

        const tmp = scratch("tmp", "/tmp");
        const run = scratch("run", "/var/run/postgresql");
        const env = (name: string, value: string | number) => ({ name, value: String(value) });
        const ready = { exec: { command: ["pg_isready", "-q", "-h", "127.0.0.1", "-U", DATABASE.ownerUser, "-d", DATABASE.name] } };
        const container = (role: "primary" | "replica", extra: Partial<k8s.types.input.core.v1.Container>): k8s.types.input.core.v1.Container => ({
            name: "postgres",
            image: ctx.lab.images.postgres,
            imagePullPolicy: "IfNotPresent",
            ports: [{ name: "postgres", containerPort: CONTAINER_PORTS.postgres, protocol: "TCP" }],
            startupProbe: { ...ready, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 3 },
            readinessProbe: { ...ready, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
            livenessProbe: { ...ready, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 3 },
            resources: resources("100m", "256Mi", "1", "512Mi"),
            securityContext: restrictedContainer(IMAGE_USERS.postgres),
            ...extra,
            env: [env(POSTGRES_IMAGE_ENV.dataDir, PGDATA), ...(extra.env as any[] ?? [])],
            volumeMounts: [
                { name: "data", mountPath: POSTGRES_PATHS.dataDir },
                tmp.mount, run.mount,
                ...(extra.volumeMounts as any[] ?? []),
            ],
            args: ["postgres", ...postgresArgs(postgresSettings(role))],
        });
        const statefulSet = (service: string, c: k8s.types.input.core.v1.Container, volumes: k8s.types.input.core.v1.Volume[], dependsOn: pulumi.Resource[]) => {
            const sa = serviceAccount(ctx, this, service, ns, tier);
            const headless = clusterService(ctx, this, service, ns, tier, service, [{ name: "postgres", port: CONTAINER_PORTS.postgres }], true);
            return new k8s.apps.v1.StatefulSet(`${ns}-${service}`, {
                metadata: meta(profile, service, ns, tier, service),
                spec: {
                    serviceName: headless.metadata.name,
                    replicas: 1,
                    selector: { matchLabels: selectorOf(service) },
                    template: {
                        metadata: { labels: meta(profile, service, ns, tier, service).labels },
                        spec: podSpec({ serviceAccountName: sa.metadata.name, user: IMAGE_USERS.postgres, containers: [c], volumes: [tmp.volume, run.volume, ...volumes] }),
                    },
                    volumeClaimTemplates: [{
                        metadata: { name: "data", labels: meta(profile, "data", undefined, tier).labels },
                        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
                    }],
                },
            }, inLab(ctx, this, dependsOn));
        };

        this.primary = statefulSet(SERVICES.postgresPrimary, container("primary", {
            env: [
                env(POSTGRES_IMAGE_ENV.user, DATABASE.ownerUser),
                env(POSTGRES_IMAGE_ENV.database, DATABASE.name),
                env(LEAST_PRIVILEGE_ENV.ownerPasswordFile, POSTGRES_SECRET_PATHS.ownerPassword),
                env(LEAST_PRIVILEGE_ENV.appPasswordFile, POSTGRES_SECRET_PATHS.appPassword),
                env(LEAST_PRIVILEGE_ENV.replicationPasswordFile, POSTGRES_SECRET_PATHS.replicationPassword),
            ],
            volumeMounts: [
                { name: "init", mountPath: dirOf(POSTGRES_PATHS.primaryInitScript), readOnly: true },
                { name: "passwords", mountPath: SECRETS_DIR, readOnly: true },
            ],
        }), [
            { name: "init", configMap: { name: scripts.metadata.name, defaultMode: SCRIPT_MODE, items: [{ key: baseOf(POSTGRES_PATHS.primaryInitScript), path: baseOf(POSTGRES_PATHS.primaryInitScript) }] } },
            { name: "passwords", secret: { secretName: passwords.metadata.name, defaultMode: SECRET_MODE } },
        ], []);

        this.replica = statefulSet(SERVICES.postgresReplica, container("replica", {
            // The same entrypoint as on Docker: clone once, then the image's own entrypoint.
            command: ["/bin/sh", POSTGRES_PATHS.replicaEntrypoint, "docker-entrypoint.sh"],
            env: [
                env(REPLICA_ENV.primaryHost, this.primaryHost),
                env(REPLICA_ENV.primaryPort, CONTAINER_PORTS.postgres),
                env(REPLICA_ENV.replicationUser, DATABASE.replicationUser),
                env(REPLICA_ENV.replicationSlot, DATABASE.replicationSlot),
                env(LEAST_PRIVILEGE_ENV.replicationPasswordFile, POSTGRES_SECRET_PATHS.replicationPassword),
            ],
            volumeMounts: [
                { name: "entrypoint", mountPath: dirOf(POSTGRES_PATHS.replicaEntrypoint), readOnly: true },
                { name: "passwords", mountPath: SECRETS_DIR, readOnly: true },
            ],
        }), [
            { name: "entrypoint", configMap: { name: scripts.metadata.name, defaultMode: SCRIPT_MODE, items: [{ key: baseOf(POSTGRES_PATHS.replicaEntrypoint), path: baseOf(POSTGRES_PATHS.replicaEntrypoint) }] } },
            { name: "passwords", secret: { secretName: replicaPasswords.metadata.name, defaultMode: SECRET_MODE } },
        ], [this.primary]);
        this.registerOutputs({});
    }
}
