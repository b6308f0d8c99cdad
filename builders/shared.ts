/**
 * What both builders (Docker, Kubernetes) create the same way: generated secrets, the edge's
 * certificate, and the logins one component hands to another. Target-specific code stays in
 * builders/docker/ and builders/kubernetes/.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

/** A login one component hands to another (the database's to the app, the cache's to Vault). */
export interface Login {
    readonly user: string;
    readonly password: pulumi.Output<string>;
}

/** What Vault hands to the app from stage 4 on. */
export interface AppCredentials {
    readonly dbUser: string;
    readonly dbPassword: pulumi.Output<string>;
    readonly redisUser: string;
    readonly redisPassword: pulumi.Output<string>;
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
export function edgeCertificate(parent: pulumi.Resource): { keyPem: pulumi.Output<string>; certPem: pulumi.Output<string> } {
    const key = new tls.PrivateKey("edge-tls-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const cert = new tls.SelfSignedCert("edge-tls-certificate", {
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
