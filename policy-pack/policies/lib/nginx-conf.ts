/**
 * Just enough of nginx.conf to judge the edge: each `server { }` block's listen ports (and whether
 * they speak TLS), whether it redirects to https or refuses (a default server for unknown Hosts),
 * and whether it serves content. Upstream `server`
 * lines end with ";" and are not blocks, so they are not mistaken for virtual servers.
 */

export interface NginxServer {
    readonly listens: readonly { port: number; ssl: boolean }[];
    /** `return 301|302|307|308 https://...` */
    readonly redirectsToHttps: boolean;
    /** `return 4xx ...`: refuses requests (e.g. 421 for a Host it does not serve). */
    readonly refuses: boolean;
    /** Directives that hand out content (proxy_pass, root, ...): what a redirect-only server lacks. */
    readonly serves: readonly string[];
}

const SERVING = /\b(proxy_pass|fastcgi_pass|uwsgi_pass|scgi_pass|grpc_pass|root|alias)\s/g;

export function nginxServers(conf: string): NginxServer[] {
    const text = conf.split("\n").map((line) => line.replace(/(^|\s)#.*$/, "$1")).join("\n");
    const servers: NginxServer[] = [];
    const opening = /\bserver\s*\{/g;
    for (let match = opening.exec(text); match; match = opening.exec(text)) {
        const body = blockBody(text, match.index + match[0].length);
        servers.push({
            listens: [...body.matchAll(/\blisten\s+([^;]+);/g)].flatMap((m) => listen(m[1])),
            redirectsToHttps: /\breturn\s+30[1278]\s+"?https:\/\//.test(body),
            refuses: /\breturn\s+4\d\d\b/.test(body),
            serves: [...new Set([...body.matchAll(SERVING)].map((m) => m[1]))],
        });
        opening.lastIndex = match.index + match[0].length + body.length;
    }
    return servers;
}

/** The text up to the brace that closes the block opened just before `start`. */
function blockBody(text: string, start: number): string {
    let depth = 1;
    for (let i = start; i < text.length; i++) {
        if (text[i] === "{") depth++;
        else if (text[i] === "}" && --depth === 0) return text.slice(start, i);
    }
    return text.slice(start);
}

/** `listen 8443 ssl;`, `listen 127.0.0.1:8080;`, `listen [::]:443 ssl http2;` (a unix socket has no port). */
function listen(value: string): { port: number; ssl: boolean }[] {
    const [address, ...flags] = value.trim().split(/\s+/);
    if (address.startsWith("unix:")) return [];
    const port = /^\d+$/.test(address) ? Number(address) : Number(/:(\d+)$/.exec(address)?.[1] ?? 80);
    return [{ port, ssl: flags.includes("ssl") }];
}
