/**
 * The edge's web application firewall (stage 4 on): ModSecurity v3 with the OWASP Core Rule Set 3.3
 * in blocking mode, and the lab's own exclusions. Two pure renderers: the ModSecurity file
 * (renderModSecurityConf) and the nginx directives that load and switch it on (nginx.ts places them).
 *
 * What runs where, honestly:
 * - On a laptop the edge image is the CRS project's `owasp/modsecurity-crs:3.3.10-nginx-202608131208`
 *   (coreruleset/modsecurity-crs-docker, its "previous-lts" line: CRS 3.3.10, libmodsecurity 3.0.16,
 *   ModSecurity-nginx 1.0.4, on nginxinc/nginx-unprivileged 1.30). Rules in /opt/owasp-crs/rules,
 *   the connector in /etc/nginx/modules; it runs as nginx (uid 101) and its entrypoint writes into
 *   /etc (its templates and its copy of the ModSecurity config), which a read-only root refuses: the builders
 *   start nginx directly with this config instead, and none of the image's MODSEC_* variables apply.
 * - The tests here run Debian bookworm's packages: nginx 1.22.1, libnginx-mod-http-modsecurity 1.0.3,
 *   libmodsecurity 3.0.9 and modsecurity-crs 3.3.4-1+deb12u3 (3.3.4 with the fixes of CVE-2023-38199,
 *   CVE-2026-21876 and CVE-2026-33691 backported). CRS 3.3.10's rule files cannot be tested here:
 *   they need libmodsecurity >= 3.0.16 (their CHANGES), Debian has 3.0.9. Same rule ids, paranoia
 *   levels and scoring (the 3.3 line only takes fixes); the image's release is newer by its security
 *   fixes. Only directives and rule ids both have are used here (a test reads Debian's rule files).
 */
import { HTTP_LIMITS } from "../program/names";

/** The paranoia level the edge blocks at: 1, the CRS default, made for few false positives. */
export const WAF_PARANOIA_LEVEL = 1;
/** Inbound anomaly score at which a request is refused (CRS default: one critical match is 5). */
export const WAF_INBOUND_THRESHOLD = 5;
/** The methods the app serves (app/src/routes): CRS 3.3 allows only GET HEAD POST OPTIONS by default. */
export const WAF_ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"] as const;

/**
 * The lab's rule exclusions, each with its reason. Every one is a rule id of CRS 3.3 (920350 exists
 * in 3.3.4 and 3.3.10 alike); a test proves each is needed by a legitimate request of the lab.
 */
export const WAF_EXCLUSIONS: readonly { readonly directive: string; readonly reason: string }[] = [
    {
        directive: "SecRuleRemoveById 920350",
        reason: "\"Host header is a numeric IP address\": the edge serves https://127.0.0.1:8443 on purpose (its certificate " +
            "names 127.0.0.1) and answers 421 itself to any Host other than localhost or 127.0.0.1, before the WAF is asked",
    },
];

/** Where the edge image keeps the connector and the rules. */
export interface WafLayout {
    /** load_module paths (the connector, and what it needs first), in order. */
    readonly modules: readonly string[];
    /** The CRS rules folder: REQUEST-901-INITIALIZATION.conf ... RESPONSE-980-CORRELATION.conf. */
    readonly crsRulesDir: string;
}

/** owasp/modsecurity-crs:3.3.10-nginx-* (the Dockerfile's COPY of /etc/nginx/modules/*.so and /opt/owasp-crs). */
export const WAF_IMAGE_LAYOUT: WafLayout = {
    modules: ["/etc/nginx/modules/ngx_http_modsecurity_module.so"],
    crsRulesDir: "/opt/owasp-crs/rules",
};

/** Debian bookworm's libnginx-mod-http-modsecurity and modsecurity-crs (what the tests run). */
export const WAF_DEBIAN_LAYOUT: WafLayout = {
    modules: ["/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"],
    crsRulesDir: "/usr/share/modsecurity-crs/rules",
};

export interface ModSecurityOptions {
    readonly layout: WafLayout;
    /**
     * Default /dev/stdout: one JSON object per matched request, where `docker logs` and `kubectl logs`
     * find it. Its unique_id is nginx's $request_id (modsecurity_transaction_id), the X-Request-Id
     * the client gets back and the app logs.
     */
    readonly auditLog?: string;
    /** Default /tmp (the edge's tmpfs): ModSecurity's temp and data files. */
    readonly tmpDir?: string;
}

/** What nginx.conf needs to run the WAF: the modules and the path of the rendered ModSecurity file. */
export interface NginxWafOptions {
    readonly layout: WafLayout;
    readonly rulesFile: string;
}

const PATH = /^\/[A-Za-z0-9._/-]+$/;
function path(what: string, value: string): string {
    if (!PATH.test(value)) throw new Error(`WAF ${what} "${value}" must be an absolute path of letters, digits, . _ / -`);
    return value;
}

/**
 * The ModSecurity file the edge loads: the engine's settings (after ModSecurity's
 * modsecurity.conf-recommended), the CRS setup (what crs-setup.conf would say), the rules, then the
 * lab's exclusions (a removal must follow the rule it removes).
 */
export function renderModSecurityConf(o: ModSecurityOptions): string {
    const rules = path("crsRulesDir", o.layout.crsRulesDir);
    const auditLog = path("auditLog", o.auditLog ?? "/dev/stdout");
    const tmp = path("tmpDir", o.tmpDir ?? "/tmp");
    return `# devsecops-journey: the edge's web application firewall, ModSecurity v3 + OWASP CRS 3.3. Rendered; do not edit.

# ---- engine: blocking mode
SecRuleEngine On
# Bodies are read and inspected; nginx already refuses one over ${HTTP_LIMITS.bodyBytes} bytes (413) before this.
SecRequestBodyAccess On
SecRequestBodyLimit ${HTTP_LIMITS.bodyBytes}
SecRequestBodyNoFilesLimit ${HTTP_LIMITS.bodyBytes}
SecRequestBodyLimitAction Reject
# JSON bodies are parsed as JSON (else their fields are never seen as arguments), and one that does
# not parse is refused: it could not be inspected.
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,deny,status:400,nolog,auditlog,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
# The app answers JSON and one HTML page without stack traces: its answers are not buffered for inspection.
SecResponseBodyAccess Off
SecTmpDir ${tmp}
SecDataDir ${tmp}
SecArgumentSeparator &
SecCookieFormat 0
# Never reports home (the recommended file's On sends a DNS query with the versions).
SecStatusEngine Off

# ---- audit: one JSON line per request a rule matched, to the container's log
SecAuditEngine RelevantOnly
# Rule matches only, not every 4xx the app itself answers.
SecAuditLogRelevantStatus "^$"
# A (who, when, the request line, unique_id = nginx's $request_id), H (the rules that matched), Z.
# Never B, C, I, E, F: request and response headers and bodies hold Authorization, cookies, passwords.
SecAuditLogParts AHZ
SecAuditLogFormat JSON
SecAuditLogType Serial
SecAuditLog ${auditLog}

# ---- CRS setup (in place of crs-setup.conf, the same on the image and on Debian)
# Detection rules only add to the anomaly score and write to the audit log; the blocking evaluation
# (949110) refuses and writes one error-log line.
SecDefaultAction "phase:1,nolog,auditlog,pass"
SecDefaultAction "phase:2,nolog,auditlog,pass"
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${WAF_PARANOIA_LEVEL}"
SecAction "id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=${WAF_INBOUND_THRESHOLD},setvar:tx.outbound_anomaly_score_threshold=4"
SecAction "id:900200,phase:1,nolog,pass,t:none,setvar:'tx.allowed_methods=${WAF_ALLOWED_METHODS.join(" ")}'"
SecAction "id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=330"

Include ${rules}/*.conf

# ---- the lab's exclusions
${WAF_EXCLUSIONS.map((e) => `# ${e.reason}\n${e.directive}`).join("\n")}
`;
}

/** load_module lines, for the main context of nginx.conf. */
export function wafModules(waf: NginxWafOptions): string {
    return waf.layout.modules.map((m) => `load_module ${path("module", m)};\n`).join("");
}

/** For the server that proxies to the app: the WAF on, its log keyed by nginx's request id. */
export function wafDirectives(waf: NginxWafOptions, indent: string): string {
    return [
        `# Web application firewall (ModSecurity + OWASP CRS, paranoia level ${WAF_PARANOIA_LEVEL}, blocking): 403 before the app is asked.`,
        "modsecurity on;",
        `modsecurity_rules_file ${path("rulesFile", waf.rulesFile)};`,
        "# Its audit line's unique_id is the X-Request-Id the client gets and the app logs.",
        'modsecurity_transaction_id "$request_id";',
    ].map((l) => `${indent}${l}\n`).join("");
}
