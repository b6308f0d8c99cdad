/**
 * nginx.conf for the stage-3 L7 load balancer, and stage 4's hardened edge (TLS, redirect, security
 * headers, rate limit: nginx-edge.ts). Pure function, no Pulumi: the builder mounts the text as
 * /etc/nginx/nginx.conf of the official nginx image (1.27/1.29), and test/renderers/nginx*.test.ts run
 * Debian's nginx 1.22 with the same text, so only directives both know are used.
 */
import { CONTAINER_PORTS, HEADERS, HTTP_LIMITS } from "../program/names";
import {
    NGINX_SERVER_NAMES, NGINX_TLS_PORT, type NginxRateLimitOptions, type NginxTlsOptions, defaultServers, errorPages, rateLimitRules,
    rateLimitZones, redirectServer, securityHeaderMaps, securityHeaders, serverNames, tlsSettings, validateRateLimit,
} from "./nginx-edge";
import { type NginxWafOptions, wafDirectives, wafModules } from "./nginx-waf";

export {
    NGINX_READ_ONLY_ROOT_PATHS, NGINX_SERVER_NAMES, NGINX_TLS_PORT, type NginxRateLimitOptions, type NginxTlsOptions,
} from "./nginx-edge";

export interface NginxUpstream {
    /** The instance's name, written next to its server line (the header shows its address). */
    name: string;
    host: string;
    port: number;
    /**
     * Only used when every other server is down (stage 6's second region: failover at the edge).
     * A Kubernetes Service name resolves to one stable ClusterIP, so one line stands for a region.
     */
    backup?: boolean;
    /**
     * Default 1: one failed attempt takes the server out for fail_timeout. 0 never marks it down: a
     * Kubernetes Service stands for a whole region, and one refused connection (a pod being replaced)
     * must not send every request to the backup region; nginx still tries the backup for a request
     * the region cannot serve.
     */
    maxFails?: number;
}

/** Files nginx writes. Defaults suit the official image; tests point them into a temp dir. */
export interface NginxPaths {
    /** Default /tmp/nginx.pid: writable as root and as a non-root user (stage 4's read-only root fs mounts /tmp). */
    pid: string;
    /** Parent of client_temp, proxy_temp, ...; default /var/cache/nginx, which the image creates. */
    tempDir: string;
    /**
     * Default "stderr", nginx's own keyword for fd 2: opening /dev/stderr fails (ENXIO) when fd 2 is
     * a socket (as under Node's child_process), and the keyword works in the image too.
     */
    errorLog: string;
    /** Default /dev/stdout, one JSON object per line (`docker logs` and a log shipper read it). */
    accessLog: string;
}

export interface NginxConfOptions {
    /** Default 8080 (CONTAINER_PORTS.nginx): unprivileged, so stage 4 can drop root. */
    listenPort?: number;
    /** Default: every address. Tests use 127.0.0.1. */
    listenAddress?: string;
    upstreams: NginxUpstream[];
    paths?: Partial<NginxPaths>;
    /**
     * Worker user when the master starts as root (the official image does). Default "nginx", the
     * image's user; null leaves the directive out (non-root master, which ignores it anyway: stage 4
     * runs the image as uid 101 with paths NGINX_READ_ONLY_ROOT_PATHS).
     */
    user?: string | null;
    /**
     * Default: the app's own limit (HTTP_LIMITS.bodyBytes, "16k"). A bigger body is refused with 413
     * here, before any instance sees it. Never set it above the app's limit: the app would then
     * answer the body's headers and close while nginx still writes the body, and nginx counts that
     * broken connection against the instance (max_fails), so any client could empty the pool.
     */
    clientMaxBodySize?: string;
    /**
     * Default 10: seconds a client may take to send its head, or between two reads of its body,
     * before nginx closes the connection (nginx's own default is 60, which lets one address hold
     * connections with a few bytes a minute). Tests shorten it.
     */
    clientTimeoutSeconds?: number;
    /** Stage 4: HTTPS on tls.listenPort; listenPort then only redirects (and answers /nginx-health). */
    tls?: NginxTlsOptions;
    /** Stage 4: per-client limit on what reaches the app (requests, optionally connections). */
    rateLimit?: NginxRateLimitOptions;
    /**
     * Default true: reuse upstream connections. false on Kubernetes: kube-proxy picks a pod once per
     * connection, so keep-alive to a Service's one ClusterIP pins nearly every request to one pod
     * (and pods the autoscaler adds get nothing); a connection per request spreads them.
     */
    upstreamKeepalive?: boolean;
    /**
     * Default "auto" (a worker per CPU). A number caps them to what the container's CPU and memory
     * limits hold: 16 workers on a 16-core laptop are not what a quarter CPU and 64 MB were sized for.
     */
    workerProcesses?: number;
    /**
     * Stage 6: stub_status (connections and requests, for the Prometheus exporter sidecar) on this
     * port of 127.0.0.1 only: the sidecar shares the pod's loopback, nothing else reaches it.
     */
    statusPort?: number;
    /**
     * Stage 4: ModSecurity with the OWASP CRS in front of the app (nginx-waf.ts): the connector
     * loaded, and on in the server that proxies to the app.
     */
    waf?: NginxWafOptions;
}

const DEFAULT_PATHS: NginxPaths = {
    pid: "/tmp/nginx.pid",
    tempDir: "/var/cache/nginx",
    errorLog: "stderr",
    accessLog: "/dev/stdout",
};

const WORD = /^[^\s;{}"'#$\\]+$/;
function word(what: string, value: string): string {
    if (!WORD.test(value)) throw new Error(`nginx ${what} "${value}" must be one word without ; { } quotes # $ or \\`);
    return value;
}
function port(what: string, value: number): number {
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`nginx ${what} ${value} is not a TCP port`);
    return value;
}

/** nginx's large header buffers: the head HTTP_LIMITS allows after its first 1k buffer, one field per buffer at most. */
function headerBuffers(): number {
    const { headerBytes, headerFieldBytes, requestLineBytes } = HTTP_LIMITS;
    if (requestLineBytes !== headerFieldBytes || (headerBytes - 1024) % headerFieldBytes !== 0) {
        throw new Error("HTTP_LIMITS: nginx bounds the request line and a header field with one buffer size; headerBytes must be 1k plus whole buffers");
    }
    return (headerBytes - 1024) / headerFieldBytes;
}

/** How many upstreams one request may try, and for how long in total. */
const MAX_TRIES = 3;

export function renderNginxConf(opts: NginxConfOptions): string {
    if (opts.upstreams.length === 0) throw new Error("nginx needs at least one upstream");
    if (opts.upstreams.every((u) => u.backup)) throw new Error("nginx needs at least one upstream that is not a backup");
    const paths = { ...DEFAULT_PATHS, ...opts.paths };
    for (const [key, value] of Object.entries(paths)) word(`path ${key}`, value);
    const listenPort = port("listenPort", opts.listenPort ?? CONTAINER_PORTS.nginx);
    const listen = opts.listenAddress ? `${word("listenAddress", opts.listenAddress)}:${listenPort}` : String(listenPort);
    const user = opts.user === undefined ? "nginx" : opts.user;
    if (user !== null && !/^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$/i.test(user)) {
        throw new Error(`nginx user "${user}" must be "user" or "user group"`);
    }
    const bodySize = opts.clientMaxBodySize ?? `${HTTP_LIMITS.bodyBytes / 1024}k`;
    const clientTimeout = opts.clientTimeoutSeconds ?? 10;
    if (!Number.isInteger(clientTimeout) || clientTimeout < 1 || clientTimeout > 60) {
        throw new Error(`nginx clientTimeoutSeconds ${clientTimeout} must be a whole number of seconds from 1 to 60`);
    }
    if (!/^[0-9]+[kmg]?$/i.test(bodySize)) throw new Error(`nginx clientMaxBodySize "${bodySize}" must look like 64k`);

    // A name resolves once, when nginx starts (open-source `resolve` needs >= 1.27.3 and Debian has
    // 1.22), and a name that does not resolve stops nginx from starting: the Docker builder passes
    // the instances' fixed addresses, the Kubernetes one a Service name, which always resolves.
    const servers = opts.upstreams.map((u) => {
        const address = `${word("upstream host", u.host)}:${port("upstream port", u.port)}`;
        // Passive health check: one failed attempt takes the server out for 5s (nginx's default
        // is 10s, long for a lab where an instance comes back in a second).
        const maxFails = u.maxFails ?? 1;
        if (!Number.isInteger(maxFails) || maxFails < 0) throw new Error(`nginx upstream ${u.name}: maxFails ${maxFails} must be a whole number >= 0`);
        return `        server ${address} max_fails=${maxFails} fail_timeout=5s${u.backup ? " backup" : ""};  # ${word("upstream name", u.name)}`;
    });
    const workers = opts.workerProcesses === undefined ? "auto" : String(opts.workerProcesses);
    if (opts.workerProcesses !== undefined && !(Number.isInteger(opts.workerProcesses) && opts.workerProcesses >= 1)) {
        throw new Error(`nginx workerProcesses ${opts.workerProcesses} must be a whole number >= 1`);
    }
    const tries = Math.min(opts.upstreams.length, MAX_TRIES);

    const { tls, rateLimit } = opts;
    if (rateLimit) validateRateLimit(rateLimit);
    let tlsListen = "";
    if (tls) {
        word("tls.certificatePath", tls.certificatePath);
        word("tls.keyPath", tls.keyPath);
        port("tls.redirectPort", tls.redirectPort);
        const tlsPort = port("tls.listenPort", tls.listenPort ?? NGINX_TLS_PORT);
        if (tlsPort === listenPort) throw new Error(`nginx tls.listenPort ${tlsPort} must differ from listenPort (the redirect)`);
        tlsListen = `${opts.listenAddress ? `${opts.listenAddress}:` : ""}${tlsPort} ssl`;
    }
    const health = `        # Answered by nginx itself: "is the balancer up", whatever the app instances do.
        location = /nginx-health {
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }
`;
    // Probes and scrapes are for the platform, not the world: stage 4's edge does not serve the app's
    // /readyz (dependency states, replica lag) or /metrics (versions, heap); Prometheus and the
    // orchestrator reach the instances directly.
    const internalOnly = `        location ~ ^/(readyz|metrics)(/.*)?$ {
            default_type application/json;
            return 404 '{"error":"not_found","message":"/readyz and /metrics are served to the platform only, not through the edge"}';
        }
`;
    const waf = opts.waf ? wafDirectives(opts.waf, "        ") : "";
    const proxyServer = tls
        ? `${defaultServers(listen, tlsListen, tls, health)}${redirectServer(listen, tls, health)}
    # HTTPS: TLS ends here; the app tier behind it is reached over the internal network.
    server {
        listen ${tlsListen};
        server_name ${serverNames(tls).join(" ")};
        client_max_body_size ${bodySize};

${tlsSettings(tls, "        ")}
${securityHeaders("        ")}
        # On nginx's own answers too (its 502 says which instances it tried); empty, so absent, otherwise.
        add_header ${HEADERS.upstream} $upstream_addr always;
        # The id the access log, the WAF's audit line and the app's log all carry: quote it to find them.
        add_header ${HEADERS.requestId} $request_id always;
${waf}${errorPages(HTTP_LIMITS)}
${internalOnly}`
        : `
    server {
        listen ${listen};
        # Not a filter (this is the only server): the name $host falls back to for an HTTP/1.0
        # request without Host, so the app still gets one.
        server_name ${NGINX_SERVER_NAMES[0]};
        client_max_body_size ${bodySize};
${waf}`;

    const status = opts.statusPort === undefined ? "" : `
    # Stage 6: counters for the exporter sidecar, on the pod's loopback only.
    server {
        listen 127.0.0.1:${port("statusPort", opts.statusPort)};
        access_log off;
        location = /stub_status {
            stub_status;
        }
    }
`;
    if (opts.statusPort !== undefined && [listenPort, tls?.listenPort ?? (tls ? NGINX_TLS_PORT : -1)].includes(opts.statusPort)) {
        throw new Error(`nginx statusPort ${opts.statusPort} must differ from the other listen ports`);
    }

    return `# devsecops-journey: ${tls || rateLimit ? "stage-4 hardened edge" : "stage-3 L7 load balancer"}. Rendered; do not edit.
${opts.waf ? wafModules(opts.waf) : ""}${user === null ? "" : `user ${user};\n`}worker_processes ${workers};
pid ${paths.pid};
error_log ${paths.errorLog} notice;

events {
    worker_connections 1024;
}

http {
    server_tokens off;
    default_type application/octet-stream;

    client_body_temp_path ${paths.tempDir}/client_temp;
    proxy_temp_path       ${paths.tempDir}/proxy_temp;
    fastcgi_temp_path     ${paths.tempDir}/fastcgi_temp;
    uwsgi_temp_path       ${paths.tempDir}/uwsgi_temp;
    scgi_temp_path        ${paths.tempDir}/scgi_temp;

    # The path without the query: a query string may carry what no log should keep.
    map $request_uri $lab_log_path {
        "~^(?<lab_path>[^?]*)" $lab_path;
    }
    # One JSON object per request, keyed by the id the app logs too (X-Request-Id); no header, cookie or query in it.
    log_format lab_json escape=json '{"time":"$time_iso8601","request_id":"$request_id",'
        '"remote_addr":"$remote_addr","method":"$request_method","path":"$lab_log_path",'
        '"status":$status,"bytes":$body_bytes_sent,"request_time":$request_time,'
        '"upstream":"$upstream_addr","upstream_status":"$upstream_status",'
        '"upstream_time":"$upstream_response_time"}';
    access_log ${paths.accessLog} lab_json;

    # The request head the app accepts (HTTP_LIMITS, shared with the app): a request line or a
    # header over ${HTTP_LIMITS.headerFieldBytes / 1024}k, or a head over ${HTTP_LIMITS.headerBytes / 1024}k in all, is refused here (414, 400).
    client_header_buffer_size 1k;
    large_client_header_buffers ${headerBuffers()} ${HTTP_LIMITS.headerFieldBytes / 1024}k;
    # A slow client holds a connection ${clientTimeout} s at most while sending its head or between body
    # chunks (nginx's default is 60 s), and an idle keep-alive connection 15 s.
    client_header_timeout ${clientTimeout}s;
    client_body_timeout ${clientTimeout}s;
    send_timeout ${clientTimeout}s;
    keepalive_timeout 15s;
    reset_timedout_connection on;
${rateLimit ? rateLimitZones(rateLimit) : ""}${tls ? securityHeaderMaps() : ""}${status}
    upstream app {
        # Shared memory, so every worker sees the same failures (else each learns them alone).
        zone app 64k;
${servers.join("\n")}
${opts.upstreamKeepalive === false ? `        # A connection per request: the balancer behind each server (kube-proxy) picks once per connection.
` : `        # Reuse connections to the app instead of a TCP handshake per request.
        keepalive 16;
        # Below Node's default 5s keep-alive: nginx closes an idle connection before the app does,
        # so a request is never written into a socket the app is closing.
        keepalive_timeout 4s;
`}    }
${proxyServer}
${health}
        location / {
${rateLimit ? rateLimitRules(rateLimit, "            ") : ""}            proxy_pass http://app;
            # The whole body is read (and held to client_max_body_size) before an instance is
            # chosen: a slow or oversized upload never ties up or breaks an upstream connection.
            proxy_request_buffering on;
            # HTTP/1.1 and an empty Connection header are what upstream keepalive needs.
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header ${HEADERS.requestId} $request_id;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;

            # A dead instance refuses at once; a hung one must not hold the request for 60s.
            proxy_connect_timeout 1s;
            proxy_send_timeout 10s;
            proxy_read_timeout 10s;

            # Try the next instance when one fails, a bounded number of times. nginx never retries
            # POST/PATCH once the request was sent (we do not add non_idempotent): the instance may
            # already have written the row, and a retry would write it twice. A refused connection
            # is still retried, because then nothing was sent.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries ${tries};
            proxy_next_upstream_timeout 5s;

            # Which instance answered (all addresses tried, comma-separated); always, so 5xx too.
            add_header ${HEADERS.upstream} $upstream_addr always;
            add_header ${HEADERS.requestId} $request_id always;
${tls ? `            # This location has an add_header of its own, so it inherits none: repeat the edge's.\n${securityHeaders("            ")}` : ""}        }
    }
}
`;
}
