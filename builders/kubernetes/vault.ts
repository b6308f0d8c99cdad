import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_USERS, KUBE_NAMESPACES, SERVICES, VAULT_PORT } from "../../program/names";
import { VAULT_BOOTSTRAP_COMMAND, VAULT_BOOTSTRAP_PATHS, renderVaultBootstrap, vaultBootstrapEnv } from "../../renderers/vault";
import { AppCredentials, baseOf, dirOf, generatedSecret } from "../shared";
import {
    KubeContext, SCRIPT_MODE, SECRET_MODE, clusterService, configMap, inLab, meta, podSpec, resources, restrictedContainer, scratch,
    secret, selectorOf, serviceAccount, serviceHost,
} from "./common";

const ROOT_TOKEN_DIR = "/run/secrets";
const ROOT_TOKEN_FILE = "vault-root-token";

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

    constructor(name: string, ctx: KubeContext, credentials: AppCredentials, opts?: pulumi.ComponentResourceOptions) {
        super("devsecops:kubernetes:SecretStore", name, {}, opts);
        const { profile } = ctx.lab;
        const ns = KUBE_NAMESPACES.data;
        const tier = "data";
        const token = (id: string) => generatedSecret(id, this, 40);
        const rootToken = token("vault-root-token");
        this.appToken = token("vault-app-token");
        const tmp = scratch("tmp", "/tmp");
        const home = scratch("home", "/home/vault");

        const rootSecret = secret(ctx, this, "vault-root-token", ns, tier, { [ROOT_TOKEN_FILE]: rootToken });
        const sa = serviceAccount(ctx, this, SERVICES.vault, ns, tier);
        const health = { httpGet: { path: "/v1/sys/health", port: VAULT_PORT, scheme: "HTTP" } };
        const server = new k8s.apps.v1.Deployment(`${ns}-vault`, {
            metadata: meta(profile, SERVICES.vault, ns, tier, SERVICES.vault),
            spec: {
                replicas: 1,
                // In memory: two pods would be two empty Vaults. Recreate, never two at once.
                strategy: { type: "Recreate" },
                selector: { matchLabels: selectorOf(SERVICES.vault) },
                template: {
                    metadata: { labels: meta(profile, SERVICES.vault, ns, tier, SERVICES.vault).labels },
                    spec: podSpec({
                        serviceAccountName: sa.metadata.name,
                        user: IMAGE_USERS.vault,
                        containers: [{
                            name: SERVICES.vault,
                            image: ctx.lab.images.vault,
                            imagePullPolicy: "IfNotPresent",
                            // The root token from a file, not VAULT_DEV_ROOT_TOKEN_ID: nothing secret in the environment.
                            command: ["/bin/sh", "-c",
                                `exec vault server -dev -dev-no-store-token -dev-listen-address=0.0.0.0:${VAULT_PORT} ` +
                                `-dev-root-token-id="$(cat ${ROOT_TOKEN_DIR}/${ROOT_TOKEN_FILE})"`],
                            env: [{ name: "HOME", value: "/home/vault" }, { name: "SKIP_SETCAP", value: "true" }],
                            ports: [{ name: "http", containerPort: VAULT_PORT, protocol: "TCP" }],
                            readinessProbe: { ...health, periodSeconds: 5, timeoutSeconds: 2 },
                            livenessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                            resources: resources("50m", "128Mi", "500m", "256Mi"),
                            securityContext: restrictedContainer(IMAGE_USERS.vault),
                            volumeMounts: [tmp.mount, home.mount, { name: "root-token", mountPath: ROOT_TOKEN_DIR, readOnly: true }],
                        }],
                        volumes: [tmp.volume, home.volume, { name: "root-token", secret: { secretName: rootSecret.metadata.name, defaultMode: SECRET_MODE } }],
                    }),
                },
            },
        }, inLab(ctx, this));
        clusterService(ctx, this, SERVICES.vault, ns, tier, SERVICES.vault, [{ name: "http", port: VAULT_PORT }]);

        const p = VAULT_BOOTSTRAP_PATHS;
        const script = configMap(ctx, this, "vault-bootstrap-script", ns, tier, { [baseOf(p.script)]: renderVaultBootstrap() });
        const files = secret(ctx, this, "vault-bootstrap-secrets", ns, tier, {
            [baseOf(p.rootTokenFile)]: rootToken,
            [baseOf(p.appTokenFile)]: this.appToken,
            [baseOf(p.dbPasswordFile)]: credentials.dbPassword,
            [baseOf(p.redisPasswordFile)]: credentials.redisPassword,
        });
        const jobSa = serviceAccount(ctx, this, SERVICES.vaultBootstrap, ns, tier);
        // A Job: Pulumi waits for it to complete, and the app's Deployment waits for Pulumi.
        this.bootstrap = new k8s.batch.v1.Job(`${ns}-vault-bootstrap`, {
            metadata: meta(profile, SERVICES.vaultBootstrap, ns, tier, SERVICES.vaultBootstrap),
            spec: {
                backoffLimit: 6,
                activeDeadlineSeconds: 600,
                template: {
                    metadata: { labels: meta(profile, SERVICES.vaultBootstrap, ns, tier, SERVICES.vaultBootstrap).labels },
                    spec: podSpec({
                        serviceAccountName: jobSa.metadata.name,
                        user: IMAGE_USERS.vault,
                        restartPolicy: "OnFailure",
                        containers: [{
                            name: SERVICES.vaultBootstrap,
                            image: ctx.lab.images.vault,
                            imagePullPolicy: "IfNotPresent",
                            command: [...VAULT_BOOTSTRAP_COMMAND],
                            env: Object.entries(vaultBootstrapEnv({
                                addr: this.address, dbUser: credentials.dbUser, redisUser: credentials.redisUser, waitSeconds: 120,
                            })).map(([name, value]) => ({ name, value })),
                            resources: resources("10m", "16Mi", "250m", "64Mi"),
                            securityContext: restrictedContainer(IMAGE_USERS.vault),
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
        }, inLab(ctx, this, [server]));
        this.registerOutputs({});
    }
}
