import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_USERS, KUBE_NAMESPACES, SECRET_FILES, SERVICES, VAULT_PORT } from "../../program/names";
import {
    VAULT_BOOTSTRAP_COMMAND, VAULT_BOOTSTRAP_PATHS, VAULT_DEV_SERVER_COMMAND, renderVaultBootstrap, vaultBootstrapEnv,
} from "../../renderers/vault";
import { AppCredentials, baseOf, dirOf, generatedSecret } from "../shared";
import {
    KubeScope, Place, SCRIPT_MODE, SECRET_MODE, clusterService, configMap, containerSecurity, inLab, labLabels, meta, podSpec, resources,
    scratch, secret, serviceAccount, serviceHost, workload,
} from "./common";

export interface SecretStoreArgs {
    readonly scope: KubeScope;
    readonly image: string;
    /** What Vault holds for the app. */
    readonly credentials: AppCredentials;
}

/**
 * Vault as in stage 4: dev mode (in memory, unsealed) with a root token the program generates and
 * hands over as a file; a Job runs the same rendered bootstrap (the app's credentials, a policy that
 * reads only them, the app's token with an id the program chose). The app gets that token, never a
 * password. A restarted Vault pod is empty until the Job runs again: `npm run lab -- reset <stage>`.
 */
export class SecretStore extends pulumi.ComponentResource {
    readonly address = `http://${serviceHost(SERVICES.vault, KUBE_NAMESPACES.data)}:${VAULT_PORT}`;
    readonly appToken: pulumi.Output<string>;
    readonly bootstrap: k8s.batch.v1.Job;

    constructor(name: string, args: SecretStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:SecretStore", name, {}, opts);
        const { scope, credentials } = args;
        const at: Place = { scope, parent: this, prefix: name, namespace: KUBE_NAMESPACES.data, tier: "data" };
        const token = (id: string) => generatedSecret(`${name}-${id}`, this, 40);
        const rootToken = token("root-token");
        this.appToken = token("app-token");
        const tmp = scratch("tmp", "/tmp");
        const home = scratch("home", "/home/vault");

        const rootSecret = secret(at, "vault-root-token", { [baseOf(SECRET_FILES.vaultRootToken)]: rootToken });
        const health = { httpGet: { path: "/v1/sys/health", port: VAULT_PORT, scheme: "HTTP" } };
        const server = workload(at, {
            service: SERVICES.vault,
            replicas: 1,
            // In memory: two pods would be two empty Vaults. Recreate, never two at once.
            strategy: { type: "Recreate" },
            pod: {
                user: IMAGE_USERS.vault,
                containers: [{
                    name: SERVICES.vault,
                    image: args.image,
                    imagePullPolicy: "IfNotPresent",
                    command: [...VAULT_DEV_SERVER_COMMAND],
                    env: [{ name: "HOME", value: "/home/vault" }, { name: "SKIP_SETCAP", value: "true" }],
                    ports: [{ name: "http", containerPort: VAULT_PORT, protocol: "TCP" }],
                    readinessProbe: { ...health, periodSeconds: 5, timeoutSeconds: 2 },
                    livenessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                    resources: resources(scope, "50m", "128Mi", "500m", "256Mi"),
                    ...containerSecurity(scope, IMAGE_USERS.vault),
                    volumeMounts: [tmp.mount, home.mount, { name: "root-token", mountPath: dirOf(SECRET_FILES.vaultRootToken), readOnly: true }],
                }],
                volumes: [tmp.volume, home.volume, { name: "root-token", secret: { secretName: rootSecret.metadata.name, defaultMode: SECRET_MODE } }],
            },
        });
        clusterService(at, SERVICES.vault, SERVICES.vault, [{ name: "http", port: VAULT_PORT }]);

        const p = VAULT_BOOTSTRAP_PATHS;
        const script = configMap(at, "vault-bootstrap-script", { [baseOf(p.script)]: renderVaultBootstrap() });
        const files = secret(at, "vault-bootstrap-secrets", {
            [baseOf(p.rootTokenFile)]: rootToken,
            [baseOf(p.appTokenFile)]: this.appToken,
            [baseOf(p.dbPasswordFile)]: credentials.db.password,
            ...(credentials.redis ? { [baseOf(p.redisPasswordFile)]: credentials.redis.password } : {}),
        });
        const jobSa = serviceAccount(at, SERVICES.vaultBootstrap);
        // A Job: Pulumi waits for it to complete, and the app's Deployment waits for Pulumi.
        this.bootstrap = new k8s.batch.v1.Job(`${name}-${SERVICES.vaultBootstrap}`, {
            metadata: meta(scope.stage, SERVICES.vaultBootstrap, at.namespace, at.tier, SERVICES.vaultBootstrap),
            spec: {
                backoffLimit: 6,
                activeDeadlineSeconds: 600,
                template: {
                    metadata: { labels: labLabels(scope.stage, at.tier, SERVICES.vaultBootstrap) },
                    spec: podSpec(scope, {
                        serviceAccountName: jobSa.metadata.name,
                        user: IMAGE_USERS.vault,
                        restartPolicy: "OnFailure",
                        containers: [{
                            name: SERVICES.vaultBootstrap,
                            image: args.image,
                            imagePullPolicy: "IfNotPresent",
                            command: [...VAULT_BOOTSTRAP_COMMAND],
                            env: Object.entries(vaultBootstrapEnv({
                                addr: this.address, dbUser: credentials.db.user, redisUser: credentials.redis?.user, waitSeconds: 120,
                            })).map(([key, value]) => ({ name: key, value })),
                            resources: resources(scope, "10m", "16Mi", "250m", "64Mi"),
                            ...containerSecurity(scope, IMAGE_USERS.vault),
                            volumeMounts: [
                                tmp.mount,
                                { name: "script", mountPath: dirOf(p.script), readOnly: true },
                                { name: "secrets", mountPath: dirOf(p.rootTokenFile), readOnly: true },
                            ],
                        }],
                        volumes: [
                            tmp.volume,
                            { name: "script", configMap: { name: script.metadata.name, defaultMode: SCRIPT_MODE } },
                            { name: "secrets", secret: { secretName: files.metadata.name, defaultMode: SECRET_MODE } },
                        ],
                    }),
                },
            },
        }, inLab(scope, this, [server]));
        this.registerOutputs({});
    }
}
