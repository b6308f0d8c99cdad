/**
 * What both builders (Docker, Kubernetes) create or wire the same way: generated secrets, the
 * edge's certificate and nginx.conf, the app's environment, and the logins one component hands to
 * another. Target-specific code stays in builders/docker/ and builders/kubernetes/.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { APP_ENV, CONTAINER_PORTS, DATABASE, SECRET_FILES, VAULT } from "../program/names";
import { NGINX_READ_ONLY_ROOT_PATHS, NGINX_TLS_PORT, NginxUpstream, renderNginxConf } from "../renderers/nginx";
import { LEAST_PRIVILEGE_ENV, REPLICA_ENV } from "../renderers/postgres";
import { REDIS_HEALTH_USER, REDIS_USERS, redisAppUser, redisHealthCheckCommand, renderRedisConf } from "../renderers/redis";

/** A login one component hands to another (the database's to the app, the cache's to Vault). */
export interface Login {
    readonly user: string;
    readonly password: pulumi.Output<string>;
}

/** What Vault holds for the app: its database login, and its Redis login where Redis has ACL users. */
export interface AppCredentials {
    readonly db: Login;
    readonly redis?: Login;
}

/** How the app gets its credentials: in its environment (stages 1-3), or from Vault (stage 4 on). */
export type AppCredentialSource =
    | { readonly from: "env"; readonly db: Login }
    | { readonly from: "vault"; readonly address: string };

/** Where the app finds the servers it uses. */
export interface AppWiring {
    readonly primaryHost: string;
    readonly replicaHost?: string;
    readonly cacheHost?: string;
    readonly credentials: AppCredentialSource;
}

/**
 * The app's environment, the same on both targets (the instance's own name is the builder's: a
 * container name on Docker, the pod's name on Kubernetes). Stages 1-3 hand the password over in
 * plain env (the pack's advisory, stage 4's lesson); from stage 4 an address and the path of a token
 * file, and the passwords stay in Vault.
 */
export function appEnvironment(w: AppWiring): [string, pulumi.Input<string>][] {
    const c = w.credentials;
    return [
        [APP_ENV.port, String(CONTAINER_PORTS.app)],
        [APP_ENV.dbPrimaryHost, w.primaryHost],
        [APP_ENV.dbPrimaryPort, String(CONTAINER_PORTS.postgres)],
        ...(w.replicaHost ? [[APP_ENV.dbReplicaHost, w.replicaHost], [APP_ENV.dbReplicaPort, String(CONTAINER_PORTS.postgres)]] as [string, string][] : []),
        [APP_ENV.dbName, DATABASE.name],
        ...(w.cacheHost ? [[APP_ENV.redisHost, w.cacheHost], [APP_ENV.redisPort, String(CONTAINER_PORTS.redis)]] as [string, string][] : []),
        ...(c.from === "env"
            ? [[APP_ENV.dbUser, c.db.user], [APP_ENV.dbPassword, c.db.password]] as [string, pulumi.Input<string>][]
            : [[VAULT.env.addr, c.address], [VAULT.env.tokenFile, SECRET_FILES.appVaultToken]] as [string, string][]),
    ];
}

/**
 * The replica's environment for the rendered entrypoint, the same on both targets: where the
 * primary is, whom to stream as, and the password as a file (or, stages 2-3, as a value).
 */
export function replicaEnvironment(primaryHost: string, password: { file: string } | { value: pulumi.Input<string> }): [string, pulumi.Input<string>][] {
    return [
        [REPLICA_ENV.primaryHost, primaryHost],
        [REPLICA_ENV.primaryPort, String(CONTAINER_PORTS.postgres)],
        [REPLICA_ENV.replicationUser, DATABASE.replicationUser],
        [REPLICA_ENV.replicationSlot, DATABASE.replicationSlot],
        "file" in password
            ? [LEAST_PRIVILEGE_ENV.replicationPasswordFile, password.file]
            : [REPLICA_ENV.replicationPassword, password.value],
    ];
}

/**
 * Redis's config and health check, the same on both targets. With ACL users the default user is
 * off and the app's user may run only its commands on its keys; the rendered file then holds only
 * a hash of the password, but it is derived from a secret, so it stays one.
 */
export function redisSetup(name: string, parent: pulumi.Resource, aclUsers: boolean): {
    conf: pulumi.Input<string>; healthCheck: string[]; appLogin?: Login;
} {
    if (!aclUsers) {
        return {
            conf: renderRedisConf({ port: CONTAINER_PORTS.redis }),
            healthCheck: ["redis-cli", "-p", String(CONTAINER_PORTS.redis), "ping"],
        };
    }
    const appLogin = { user: REDIS_USERS.app, password: generatedSecret(`${name}-app-password`, parent) };
    return {
        conf: appLogin.password.apply((pw) => renderRedisConf({ port: CONTAINER_PORTS.redis, users: [redisAppUser(pw), REDIS_HEALTH_USER] })),
        healthCheck: redisHealthCheckCommand(CONTAINER_PORTS.redis),
        appLogin,
    };
}

/** The edge's folder in the Nginx container: the rendered config next to the certificate and key. */
export const EDGE_FILES = {
    dir: "/etc/nginx/lab",
    conf: "nginx.conf",
    certificate: "tls.crt",
    key: "tls.key",
} as const;

export interface EdgeConfArgs {
    readonly upstreams: NginxUpstream[];
    /** HTTPS on NGINX_TLS_PORT, plain HTTP redirecting to this host port; absent: plain HTTP only. */
    readonly tls?: { readonly redirectPort: number };
    readonly rateLimit: boolean;
    /**
     * Hardened: a read-only root filesystem and a non-root master (no `user` switch, pid and temp
     * files in /tmp), and one worker, which is what its quarter CPU and 64 MB hold.
     */
    readonly readOnlyRoot: boolean;
    /** false on Kubernetes: a connection per request, so kube-proxy spreads them over the pods. */
    readonly upstreamKeepalive?: boolean;
    /** Stage 6: stub_status on this loopback port, for the exporter sidecar. */
    readonly statusPort?: number;
}

/** The edge's nginx.conf, the same on both targets (files under EDGE_FILES.dir). */
export function edgeConf(a: EdgeConfArgs): string {
    return renderNginxConf({
        listenPort: CONTAINER_PORTS.nginx,
        upstreams: a.upstreams,
        ...(a.readOnlyRoot ? { user: null, paths: NGINX_READ_ONLY_ROOT_PATHS, workerProcesses: 1 } : {}),
        ...(a.upstreamKeepalive === false ? { upstreamKeepalive: false } : {}),
        ...(a.tls ? {
            tls: {
                certificatePath: `${EDGE_FILES.dir}/${EDGE_FILES.certificate}`,
                keyPath: `${EDGE_FILES.dir}/${EDGE_FILES.key}`,
                listenPort: NGINX_TLS_PORT,
                redirectPort: a.tls.redirectPort,
            },
        } : {}),
        ...(a.rateLimit ? { rateLimit: EDGE_RATE_LIMIT } : {}),
        ...(a.statusPort !== undefined ? { statusPort: a.statusPort } : {}),
    });
}

/**
 * A generated password or token, a Pulumi secret. Letters and digits only: it travels through
 * shell scripts, JSON bodies and connection strings without quoting (the Vault bootstrap refuses
 * anything else).
 */
export function generatedSecret(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
    return new random.RandomPassword(name, { length, special: false }, { parent }).result;
}

/**
 * The edge's key and self-signed certificate for localhost (stage 4 on). A real deployment gets
 * its certificate from a CA; the lab generates one so TLS works offline on the first `pulumi up`.
 */
export function edgeCertificate(name: string, parent: pulumi.Resource): { keyPem: pulumi.Output<string>; certPem: pulumi.Output<string> } {
    const key = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const cert = new tls.SelfSignedCert(`${name}-tls-certificate`, {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: "localhost", organization: "devsecops-journey lab" },
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
        validityPeriodHours: 24 * 90,
        earlyRenewalHours: 24 * 14,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    }, { parent });
    return { keyPem: key.privateKeyPem, certPem: cert.certPem };
}

/** The folder and the file name of a path, as container mounts need them. */
export const dirOf = (path: string) => path.slice(0, path.lastIndexOf("/"));
export const baseOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/**
 * Requests per second per client, and the burst served at once, before the edge answers 429; and
 * requests in progress at once per client (a browser opens at most 6 connections per host), so one
 * address cannot hold the edge's connections with slow uploads.
 */
export const EDGE_RATE_LIMIT = { requestsPerSecond: 10, burst: 20, connectionsPerClient: 10 } as const;

/** The repository root: the app image's build context (the npm workspace's lock file lives there). */
export const REPO_ROOT = path.resolve(__dirname, "..");
export const APP_IMAGE_REPOSITORY = "devsecops-journey/app";

/** A short content hash of everything the app image is built from. */
export function appSourceHash(root = REPO_ROOT): string {
    const hash = createHash("sha256");
    const files = ["package.json", "package-lock.json", "app/package.json", "app/tsconfig.json", "app/Dockerfile"];
    const walk = (dir: string): string[] =>
        fs.readdirSync(path.join(root, dir), { withFileTypes: true })
            .flatMap((entry) => entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]);
    for (const file of [...files, ...walk("app/src").sort()]) {
        const full = path.join(root, file);
        if (!fs.existsSync(full)) continue;
        hash.update(file).update("\0").update(fs.readFileSync(full)).update("\0");
    }
    return hash.digest("hex").slice(0, 12);
}
