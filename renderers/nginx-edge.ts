/**
 * Stage 4's edge hardening for nginx.conf: TLS termination, the HTTP-to-HTTPS redirect, security
 * headers and a per-client rate limit. Pure text fragments that renderNginxConf (nginx.ts) places;
 * every directive here exists in Debian's nginx 1.22 (the tests) and in the official nginx:1.28.
 */

/** The TLS port inside the container: unprivileged, so nginx runs as uid 101 without capabilities. */
export const NGINX_TLS_PORT = 8443;

/**
 * Writable paths for a read-only root filesystem with a tmpfs on /tmp. The temp dirs go straight
 * into /tmp: nginx creates client_temp, proxy_temp, ... itself, but not their parent.
 */
export const NGINX_READ_ONLY_ROOT_PATHS = { pid: "/tmp/nginx.pid", tempDir: "/tmp" } as const;

/**
 * The names the edge serves by default: the lab certificate's (builders/shared.ts edgeCertificate).
 * The first is canonical: the HTTP-to-HTTPS redirect names it.
 */
export const NGINX_SERVER_NAMES = ["localhost", "127.0.0.1"] as const;

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
    /**
     * Host names (or addresses) the edge serves, default NGINX_SERVER_NAMES; the first is canonical.
     * Any other Host is answered 421 by a default server: a redirect never copies a Host it got.
     */
    serverNames?: readonly string[];
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
    // The OWASP Secure Headers project's list: no powerful browser feature for this origin's pages,
    { header: "Permissions-Policy", variable: "lab_permissions", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=()" },
    // no window shared with another origin, and nothing embedded that has not opted in (the page
    // loads only its own resources, so require-corp costs it nothing),
    { header: "Cross-Origin-Opener-Policy", variable: "lab_coop", value: "same-origin" },
    { header: "Cross-Origin-Embedder-Policy", variable: "lab_coep", value: "require-corp" },
    { header: "Cross-Origin-Resource-Policy", variable: "lab_corp", value: "same-origin" },
    // no Flash/PDF cross-domain policy files, and nothing a cache keeps (the app sends its own).
    { header: "X-Permitted-Cross-Domain-Policies", variable: "lab_xpcdp", value: "none" },
    { header: "Cache-Control", variable: "lab_cache_control", value: "no-store" },
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
        "# Key exchange groups as Mozilla's intermediate profile pins them.",
        "ssl_ecdh_curve X25519:prime256v1:secp384r1;",
        "ssl_session_cache shared:lab_tls:10m;",
        "ssl_session_timeout 1d;",
        "# Ticket keys live as long as nginx does and would undo forward secrecy: resume from the cache.",
        "ssl_session_tickets off;",
    ];
    return lines.map((l) => `${indent}${l}\n`).join("");
}

/** The names the edge serves, validated; the first is canonical. */
export function serverNames(tls: NginxTlsOptions): string[] {
    const names = [...(tls.serverNames ?? NGINX_SERVER_NAMES)];
    if (names.length === 0) throw new Error("nginx tls.serverNames must name at least one host (e.g. localhost)");
    for (const n of names) {
        if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n)) throw new Error(`nginx tls.serverNames "${n}" must be a host name or an IPv4 address`);
    }
    return names;
}

/** The plain-HTTP server with TLS on: a redirect to HTTPS, and the health check the container uses. */
export function redirectServer(listen: string, tls: NginxTlsOptions, healthLocation: string): string {
    // The canonical name, never the Host the client sent ("Host: a@evil.example" must not become
    // the Location); the learner's HTTPS port is a host port.
    const host = serverNames(tls)[0];
    const target = tls.redirectPort === 443 ? `https://${host}$request_uri` : `https://${host}:${tls.redirectPort}$request_uri`;
    return `
    # Plain HTTP only sends browsers to HTTPS (301: permanent, so they remember).
    server {
        listen ${listen};
        server_name ${serverNames(tls).join(" ")};

${healthLocation}
        location / {
            return 301 ${target};
        }
    }
`;
}

/**
 * The default servers of both listeners: a Host the edge does not serve gets 421 (Misdirected
 * Request), never the app. The plain one still answers the health check, which probes by address.
 */
export function defaultServers(listen: string, tlsListen: string, tls: NginxTlsOptions, healthLocation: string, indent = "        "): string {
    // No Host at all (HTTP/1.0 allows it) lands here too: it is asked to name the edge.
    const refuse = `        location / {
            default_type application/json;
            if ($http_host = "") {
                return 400 '${errorJson("bad_request", `send a Host header naming ${serverNames(tls)[0]}`)}';
            }
            return 421 '${errorJson("misdirected_request", `this edge serves ${serverNames(tls)[0]} only`)}';
        }`;
    return `
    # Any other Host: refused, so nothing (a redirect, a log, the app) ever uses a name a client made up.
    server {
        listen ${listen} default_server;
        server_name _;

${healthLocation}
${refuse}
    }

    server {
        listen ${tlsListen} default_server;
        server_name _;

${tlsSettings(tls, indent)}
${securityHeaders(indent)}
${refuse}
    }
`;
}

/** nginx's own error answers, in the app's shape (app/src/errors.ts: {error, message}). */
const EDGE_ERRORS: { status: number; as?: number; error: string; message: string }[] = [
    { status: 400, error: "bad_request", message: "the request is not valid HTTP/1.1" },
    { status: 494, as: 400, error: "bad_request", message: "a header field or the request head is too large" },
    { status: 497, as: 400, error: "bad_request", message: "plain HTTP was sent to the HTTPS port" },
    { status: 404, error: "not_found", message: "no such page at the edge" },
    { status: 408, error: "request_timeout", message: "the request was not received in time" },
    { status: 413, error: "payload_too_large", message: "request body is larger than the edge accepts" },
    { status: 414, error: "uri_too_long", message: "the request line is longer than the edge accepts" },
    { status: 429, error: "too_many_requests", message: "too many requests from this address; slow down and retry" },
    { status: 500, error: "internal_error", message: "the edge failed to handle the request" },
    { status: 501, error: "not_implemented", message: "that transfer encoding or method is not supported" },
    { status: 502, error: "bad_gateway", message: "no app instance could answer; try again shortly" },
    { status: 503, error: "service_unavailable", message: "the service is unavailable; try again shortly" },
    { status: 504, error: "gateway_timeout", message: "no app instance answered in time; try again shortly" },
];

function errorJson(error: string, message: string): string {
    if (/['\\$"]/.test(error + message)) throw new Error(`nginx error text "${message}" must not hold quotes, backslashes or $`);
    return JSON.stringify({ error, message });
}

/**
 * error_page lines and the named locations they lead to, for a server block. Only nginx's own
 * answers: a status the app sent passes through untouched (proxy_intercept_errors stays off).
 * They get the server's add_header lines (their locations have none of their own).
 */
export function errorPages(limits: { bodyBytes: number; requestLineBytes: number }, indent = "        "): string {
    const lines: string[] = [];
    for (const e of EDGE_ERRORS) {
        const message = e.status === 413 ? `request body is larger than ${limits.bodyBytes} bytes`
            : e.status === 414 ? `the request line is longer than ${limits.requestLineBytes} bytes` : e.message;
        // A URI, not a named location: nginx refuses a named one for a request line it could not
        // parse (400, 414: "empty URI in redirect to named location"). `internal`: no client reaches it.
        lines.push(`error_page ${e.status} /.edge-error/${e.status};`);
        lines.push(`location = /.edge-error/${e.status} {`, "    internal;", "    default_type application/json;",
            `    return ${e.as ?? e.status} '${errorJson(e.error, message)}';`, "}");
    }
    return lines.map((l) => `${indent}${l}\n`).join("");
}
