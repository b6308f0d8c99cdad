/**
 * Stage 4's edge hardening for nginx.conf: TLS termination, the HTTP-to-HTTPS redirect, security
 * headers and a per-client rate limit. Pure text fragments that renderNginxConf (nginx.ts) places;
 * every directive here exists in Debian's nginx 1.22 (the tests) and in the official nginx:1.28.
 */

/** The TLS port inside the container: unprivileged, so nginx runs as uid 101 without capabilities. */
export const NGINX_TLS_PORT = 8443;

/** Where stage 4 mounts the certificate and key in the official image (readable by uid 101). */
export const NGINX_TLS_PATHS = {
    certificate: "/etc/nginx/tls/lab.crt",
    key: "/etc/nginx/tls/lab.key",
} as const;

/**
 * Writable paths for a read-only root filesystem with a tmpfs on /tmp. The temp dirs go straight
 * into /tmp: nginx creates client_temp, proxy_temp, ... itself, but not their parent.
 */
export const NGINX_READ_ONLY_ROOT_PATHS = { pid: "/tmp/nginx.pid", tempDir: "/tmp" } as const;

/** Stage 4: TLS at the edge. */
export interface NginxTlsOptions {
    certificatePath: string;
    keyPath: string;
    /** Default NGINX_TLS_PORT (8443), the port inside the container. */
    listenPort?: number;
    /**
     * The port the learner types after https://, i.e. the host port published for listenPort. The
     * redirect must name it: the container's own port means nothing on the host. 443 is left out.
     */
    redirectPort: number;
}

/** Stage 4: per-client rate limit (per source address). */
export interface NginxRateLimitOptions {
    /** Sustained requests per second per client, a whole number. */
    requestsPerSecond: number;
    /** Extra requests a client may send at once, served without delay; past it: 429. */
    burst: number;
    /** Optional cap on simultaneous connections per client (also answered with 429). */
    connectionsPerClient?: number;
}

const REQ_ZONE = "per_client";
const CONN_ZONE = "per_client_conn";

function whole(what: string, value: number, min: number): number {
    if (!Number.isInteger(value) || value < min) throw new Error(`nginx ${what} ${value} must be a whole number >= ${min}`);
    return value;
}

export function validateRateLimit(limit: NginxRateLimitOptions): void {
    whole("rateLimit.requestsPerSecond", limit.requestsPerSecond, 1);
    whole("rateLimit.burst", limit.burst, 0);
    if (limit.connectionsPerClient !== undefined) whole("rateLimit.connectionsPerClient", limit.connectionsPerClient, 1);
}

/** http-level zones and status. limit_req_status defaults to 503, which reads as "we are down". */
export function rateLimitZones(limit: NginxRateLimitOptions): string {
    const lines = [
        "",
        "    # Per-client rate limit (stage 4): one abusive client cannot starve the others. $binary_remote_addr",
        "    # is the compact key (4 bytes for IPv4); 10m of zone holds ~160k clients.",
        `    limit_req_zone $binary_remote_addr zone=${REQ_ZONE}:10m rate=${limit.requestsPerSecond}r/s;`,
        "    limit_req_status 429;",
        "    limit_req_log_level warn;",
    ];
    if (limit.connectionsPerClient !== undefined) {
        lines.push(`    limit_conn_zone $binary_remote_addr zone=${CONN_ZONE}:10m;`, "    limit_conn_status 429;");
    }
    return lines.join("\n") + "\n";
}

/** For the proxying location: limit what reaches the app, never the balancer's own health check. */
export function rateLimitRules(limit: NginxRateLimitOptions, indent: string): string {
    // nodelay: a burst within the allowance is served at once instead of being queued and slowed.
    const lines = [`limit_req zone=${REQ_ZONE} burst=${limit.burst} nodelay;`];
    if (limit.connectionsPerClient !== undefined) lines.push(`limit_conn ${CONN_ZONE} ${limit.connectionsPerClient};`);
    return lines.map((l) => `${indent}${l}\n`).join("");
}

/**
 * The edge's defaults for the headers the app may also set. The app knows its pages better (its
 * HTML page allows its one inline style by hash in its own CSP): a second, stricter CSP from the
 * edge would block that style, because a browser enforces every policy it gets. So the edge adds a
 * header only when the upstream response has none; nginx's own responses (429, 413, 502) get all.
 */
const EDGE_DEFAULTS = [
    { header: "X-Content-Type-Options", variable: "lab_nosniff", value: "nosniff" },
    { header: "X-Frame-Options", variable: "lab_frame_options", value: "DENY" },
    { header: "Referrer-Policy", variable: "lab_referrer_policy", value: "no-referrer" },
    { header: "Content-Security-Policy", variable: "lab_csp", value: "default-src 'self'; frame-ancestors 'none'" },
] as const;

/** http-level maps: the edge's value when the upstream sent none, else "" (nginx adds no empty header). */
export function securityHeaderMaps(): string {
    const maps = EDGE_DEFAULTS.map(({ header, variable, value }) => {
        const upstream = `$upstream_http_${header.toLowerCase().replace(/-/g, "_")}`;
        return `    map ${upstream} $${variable} {\n        ""      "${value}";\n        default "";\n    }`;
    });
    return `
    # Security headers (stage 4): the edge's defaults, used when the app did not send its own.
${maps.join("\n")}
`;
}

/**
 * add_header lines, for the TLS server and again for every location with an add_header of its own:
 * a level that has any add_header inherits none from above. `always`: error responses too.
 */
export function securityHeaders(indent: string): string {
    const lines = [
        // HTTPS only from now on, for a year, in this browser; set by the edge, which owns TLS.
        'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
        ...EDGE_DEFAULTS.map(({ header, variable }) => `add_header ${header} $${variable} always;`),
    ];
    return lines.map((l) => `${indent}${l}\n`).join("");
}

/** The TLS server's certificate and protocol settings (Mozilla's "intermediate" profile). */
export function tlsSettings(tls: NginxTlsOptions, indent: string): string {
    const lines = [
        `ssl_certificate     ${tls.certificatePath};`,
        `ssl_certificate_key ${tls.keyPath};`,
        "# TLS 1.0 and 1.1 are deprecated (RFC 8996): 1.2 and 1.3 only.",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "# Forward-secret AEAD suites only (TLS 1.2; 1.3 has its own, all strong).",
        "ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
            + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;",
        "# Every suite above is strong, so the client may pick the one its hardware runs fastest.",
        "ssl_prefer_server_ciphers off;",
        "ssl_session_cache shared:lab_tls:10m;",
        "ssl_session_timeout 1d;",
        "# Ticket keys live as long as nginx does and would undo forward secrecy: resume from the cache.",
        "ssl_session_tickets off;",
    ];
    return lines.map((l) => `${indent}${l}\n`).join("");
}

/** The plain-HTTP server with TLS on: a redirect to HTTPS, and the health check the container uses. */
export function redirectServer(listen: string, tls: NginxTlsOptions, healthLocation: string): string {
    // $host is the requested name without its port; the learner's HTTPS port is a host port.
    const target = tls.redirectPort === 443 ? "https://$host$request_uri" : `https://$host:${tls.redirectPort}$request_uri`;
    return `
    # Plain HTTP only sends browsers to HTTPS (301: permanent, so they remember).
    server {
        listen ${listen};

${healthLocation}
        location / {
            return 301 ${target};
        }
    }
`;
}
