/**
 * One name per thing, everywhere: tiers, services, labels and the app's environment contract.
 * Builders, renderers, policies, tests and docs import these instead of retyping them.
 */

/**
 * The names the policy pack judges the program by (project, stages, tiers, services, labels,
 * namespaces) are defined in the pack's folder, which the engine loads alone; re-exported here.
 */
export {
    KUBE_NAMESPACES, type KubeNamespace, LABELS, OPS_TIER, PROJECT, SERVICES, type ServiceName, SHARED_TIER,
    TIER_LABELS, TIERS, type Tier, type TierLabel,
} from "../policy-pack/contract";
import { PROJECT, type Tier } from "../policy-pack/contract";

/** Ports the servers listen on inside their containers. */
export const CONTAINER_PORTS = {
    app: 8080,
    postgres: 5432,
    redis: 6379,
    nginx: 8080,
} as const;

/**
 * What the program and the demo app must agree on (env keys, headers, database objects) lives in
 * the app's own contract module, so the app's image builds from app/ alone; it is re-exported here.
 */
export { APP_ENV, CACHE, DATABASE, HEADERS, HTTP_LIMITS, VAULT } from "../app/src/contract";

/**
 * Fixed subnets: stage 4's segmented networks, so pg_hba can name who may connect from where, and
 * stages 1-3's flat one, so Nginx can name every app instance by address. Pick other ones here if
 * they collide with a network on your machine ("Pool overlaps").
 */
export const SUBNETS: Record<Tier, string> = {
    edge: "10.213.1.0/24",
    app: "10.213.2.0/24",
    data: "10.213.3.0/24",
};
export const FLAT_SUBNET = "10.213.0.0/24";

/**
 * The app instances' fixed addresses where Nginx reaches them (the flat network, or stage 4's app
 * network), .32 onwards. Nginx's upstream names them by address: a name is resolved once, at start,
 * and Docker's DNS has no name for a stopped container, so one stopped instance kept Nginx from
 * starting at all ("host not found in upstream").
 */
export const APP_ADDRESSES = {
    flat: (i: number) => `10.213.0.${31 + i}`,
    segmented: (i: number) => `10.213.2.${31 + i}`,
} as const;

/**
 * Fixed addresses on the data network (stage 4): the app instances take 10.213.3.32 onwards, so
 * the app role's pg_hba line is one /27; the replica's replication line is one /32.
 */
export const DATA_ADDRESSES = {
    postgresPrimary: "10.213.3.10",
    postgresReplica: "10.213.3.11",
    redis: "10.213.3.12",
    vault: "10.213.3.13",
    vaultBootstrap: "10.213.3.14",
    appInstancesCidr: "10.213.3.32/27",
    appInstance: (i: number) => `10.213.3.${31 + i}`,
} as const;

/** Users the official images define, for running them as non-root (uid:gid). */
export const IMAGE_USERS = {
    app: "1000:1000",
    postgres: "999:999",
    redis: "999:1000",
    nginx: "101:101",
    vault: "100:1000",
} as const;

export const KUBERNETES = {
    /** The kind cluster's name (kind-config.yaml) and the context kind writes into the kubeconfig. */
    clusterName: PROJECT,
    /**
     * The pod network kind-config.yaml sets (kind's default). pg_hba admits the app and the replica
     * from it; which pod may really connect is the NetworkPolicies' job, not pg_hba's.
     */
    podCidr: "10.244.0.0/16",
    /** Pod Security admission's label keys; every namespace carries them with the profile's level. */
    podSecurityLabelKeys: {
        enforce: "pod-security.kubernetes.io/enforce",
        enforceVersion: "pod-security.kubernetes.io/enforce-version",
        warn: "pod-security.kubernetes.io/warn",
        audit: "pod-security.kubernetes.io/audit",
    },
    /** The cluster's DNS: kube-dns pods in kube-system (CoreDNS keeps the kube-dns label). */
    dns: { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" }, port: 53 },
    /** The name label every namespace gets from the API server (1.21+), for namespaceSelectors. */
    namespaceNameLabel: "kubernetes.io/metadata.name",
} as const;

/** Stage 6's observability: Nginx's stub_status (loopback only) and the exporter sidecar's port. */
export const METRICS_PORTS = {
    nginxStatus: 8081,
    nginxExporter: 9113,
    prometheus: 9090,
} as const;

/** Vault's API port (Docker and Kubernetes). */
export const VAULT_PORT = 8200;

/**
 * Where every container finds the secrets handed to it as files (Docker's convention; the same
 * paths on Kubernetes, where they are mounted Secrets). The environment holds only these paths.
 */
export const SECRETS_DIR = "/run/secrets";
export const SECRET_FILES = {
    /** The app's Vault token (stage 4 on): VAULT_TOKEN_FILE points here. */
    appVaultToken: `${SECRETS_DIR}/vault-token`,
    /** Vault's root token (dev mode's -dev-root-token-id), for the server and the bootstrap only. */
    vaultRootToken: `${SECRETS_DIR}/vault-root-token`,
} as const;
