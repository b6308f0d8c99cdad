/**
 * Encryption in flight behind the edge (stage 4 on): what Postgres, the replica and Redis need to
 * speak TLS with certificates signed by the lab CA, and where those files sit in every container.
 * Pure functions, no Pulumi: the builders hand the files over (uploads on Docker, Secrets on
 * Kubernetes) and test/renderers/*-tls.test.ts run Debian's Postgres 15 and Redis 7.0 with the
 * very same settings.
 */

/**
 * One folder per container for its TLS files: the lab CA's certificate (every client verifies
 * against it, and only it), and a server's own certificate and key. Never the CA's key: it stays
 * in the Pulumi state.
 */
export const TLS_PATHS = {
    dir: "/run/tls",
    ca: "/run/tls/ca.crt",
    certificate: "/run/tls/tls.crt",
    key: "/run/tls/tls.key",
} as const;

/** What the lab's TLS accepts at least, on every hop (Mozilla's intermediate profile). */
export const TLS_MIN_VERSION = "TLSv1.2";

/**
 * Postgres serves TLS with its own certificate. Postgres refuses a key file others may read: it
 * must be 0600 or less owned by the server's user, or 0640 or less owned by root with the server's
 * group (src/backend/libpq/be-secure-common.c, check_ssl_key_file_permissions); the builders hand
 * it over as 0440 root:postgres. No ssl_ca_file: clients authenticate with scram, not certificates.
 */
export function postgresTlsSettings(paths: { certificate: string; key: string } = TLS_PATHS): Record<string, string> {
    return {
        ssl: "on",
        ssl_cert_file: paths.certificate,
        ssl_key_file: paths.key,
        ssl_min_protocol_version: TLS_MIN_VERSION,
    };
}

/**
 * libpq's own environment for the replica: pg_isready, pg_basebackup and (through the
 * primary_conninfo that `pg_basebackup -R` writes from its connection's options, fe_utils/
 * recovery_gen.c) the walreceiver all verify the primary's certificate against the lab CA and its
 * name against the host they dial: sslmode=verify-full. No entrypoint change is needed for it.
 */
export function replicaTlsEnvironment(caPath: string = TLS_PATHS.ca): [string, string][] {
    return [["PGSSLMODE", "verify-full"], ["PGSSLROOTCERT", caPath]];
}

export interface RedisTlsOptions {
    /** The TLS port; the plaintext port is closed (port 0). */
    port: number;
    certificate?: string;
    key?: string;
    ca?: string;
}

/**
 * redis.conf lines for TLS only: `port 0` closes plaintext, `tls-port` serves TLS. Clients prove
 * who they are with their ACL user's password, as before: `tls-auth-clients no`, so the app needs
 * no client certificate of its own (one more secret to hand out and rotate, for a check the ACL
 * password already makes). tls-ca-cert-file is still required by Redis to start TLS at all.
 */
export function redisTlsLines(opts: RedisTlsOptions): string[] {
    return [
        "# Encryption in flight (stage 4): TLS only, with the lab CA's certificate; no plaintext port.",
        "port 0",
        `tls-port ${opts.port}`,
        `tls-cert-file ${opts.certificate ?? TLS_PATHS.certificate}`,
        `tls-key-file ${opts.key ?? TLS_PATHS.key}`,
        `tls-ca-cert-file ${opts.ca ?? TLS_PATHS.ca}`,
        "tls-auth-clients no",
        `tls-protocols "TLSv1.2 TLSv1.3"`,
    ];
}

/** redis-cli's flags to speak TLS and verify the server against the lab CA. */
export function redisCliTlsFlags(caPath: string = TLS_PATHS.ca): string[] {
    return ["--tls", "--cacert", caPath];
}
