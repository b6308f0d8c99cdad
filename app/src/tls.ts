/**
 * Encryption in flight from the app (stage 4 on): with TLS_CA_FILE set, the app speaks TLS to
 * Postgres and Redis and trusts exactly the lab CA in that file (not the system's roots), and checks
 * that each server's certificate names the host it dialled: what libpq calls sslmode=verify-full.
 * Node's tls.connect does both by default once it has `ca` (rejectUnauthorized, checkServerIdentity).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";

/** What config.ts keeps: the CA's file and its PEM text, read once at start-up. */
export interface ClientTls {
    caFile: string;
    ca: string;
}

/** Reads and checks the CA file; a problem in words (for a ConfigError), or the CA. */
export function readCaFile(caFile: string): ClientTls | { problem: string } {
    let ca: string;
    try {
        ca = readFileSync(caFile, "utf8");
    } catch (err) {
        return { problem: `names ${caFile}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(ca)) {
        return { problem: `names ${caFile}, which holds no PEM certificate` };
    }
    return { caFile, ca };
}

/**
 * The options a TLS connection to `host` takes: the lab CA only, the name checked. A server name
 * (SNI) is sent for DNS names only: Node refuses an IP address there, and checks it against the
 * certificate's IP SANs instead.
 */
export function tlsOptions(tls: ClientTls, host: string): ConnectionOptions {
    return { ca: tls.ca, rejectUnauthorized: true, minVersion: "TLSv1.2", ...(isIP(host) === 0 ? { servername: host } : {}) };
}
