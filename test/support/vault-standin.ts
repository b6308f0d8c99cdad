/**
 * A Vault stand-in: a small HTTP server speaking exactly the parts of Vault's API the lab uses (the
 * bootstrap script and the app's client), because Vault has no Debian package to test against.
 * A stand-in, not Vault: tests that use it say so in their names.
 *
 *   startVaultStandIn({ rootToken }) -> { addr, stop(), secrets, tokens, policies }
 *
 *   GET  /v1/sys/health                 200 (no token needed)
 *   GET  /v1/secret/data/<path>         KV v2 read: { data: { data, metadata } }, 404 when absent
 *   POST|PUT /v1/secret/data/<path>     KV v2 write of { data }: a new version
 *   POST|PUT /v1/sys/policies/acl/<name>  { policy: "<hcl>" } -> 204
 *   POST /v1/auth/token/create          { id?, policies, no_default_policy, ttl, renewable, display_name }
 *   POST /v1/auth/token/lookup          { token } -> { data }, 403 "bad token" when unknown
 *   GET  /v1/auth/token/lookup-self
 *
 * Every call but health needs X-Vault-Token. The root token may do everything; another token only
 * what its policies grant (`path "<p>" { capabilities = [...] }`, a trailing * as a prefix; GET
 * needs read, POST/PUT update or create); otherwise 403 {"errors":["permission denied"]}, as Vault.
 * An id in token/create needs root; a duplicate id is refused (400), as Vault does.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInToken {
    id: string;
    policies: string[];
    displayName: string;
    ttl: string;
    renewable: boolean;
}

export interface VaultStandIn {
    /** http://127.0.0.1:<port> */
    readonly addr: string;
    stop(): Promise<void>;
    /** KV v2 secrets by "<mount>/<path>" (what `vault kv get` names), latest version. */
    readonly secrets: Map<string, Record<string, unknown>>;
    readonly tokens: Map<string, StandInToken>;
    /** Policy HCL by name ("default" is built in, as in Vault). */
    readonly policies: Map<string, string>;
}

type Rule = { path: string; capabilities: string[] };

/** The minimal HCL the lab writes: path blocks with a capabilities list. */
export function parsePolicy(hcl: string): Rule[] {
    const text = hcl.replace(/#.*$/gm, "");
    const rules = [...text.matchAll(/path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g)]
        .map((m) => ({ path: m[1], capabilities: [...m[2].matchAll(/"([^"]+)"/g)].map((c) => c[1]) }));
    if (rules.length === 0 && text.trim() !== "") throw new Error("policy has no path blocks the stand-in understands");
    return rules;
}

const DEFAULT_POLICY = `path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }`;

export async function startVaultStandIn(opts: { rootToken: string }): Promise<VaultStandIn> {
    const secrets = new Map<string, Record<string, unknown>>();
    const versions = new Map<string, number>();
    const policies = new Map<string, string>([["default", DEFAULT_POLICY]]);
    const tokens = new Map<string, StandInToken>([
        [opts.rootToken, { id: opts.rootToken, policies: ["root"], displayName: "root", ttl: "0s", renewable: false }],
    ]);

    const allowed = (token: StandInToken, path: string, method: string): boolean => {
        if (token.policies.includes("root")) return true;
        const needs = method === "GET" ? ["read"] : ["update", "create"];
        return token.policies.flatMap((name) => parsePolicy(policies.get(name) ?? "")).some((rule) =>
            (rule.path.endsWith("*") ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path)
            && rule.capabilities.some((c) => needs.includes(c)));
    };
    const lookup = (t: StandInToken) => ({
        id: t.id, policies: t.policies, display_name: t.displayName, renewable: t.renewable, ttl: t.ttl,
        path: t.policies.includes("root") ? "auth/token/root" : "auth/token/create", type: "service",
    });

    const handle = (method: string, path: string, token: StandInToken, body: Record<string, unknown>): [number, unknown?] => {
        const kv = /^secret\/data\/(.+)$/.exec(path);
        if (kv) {
            const key = `secret/${kv[1]}`;
            if (method === "GET") {
                const data = secrets.get(key);
                return data ? [200, { data: { data, metadata: { version: versions.get(key) } } }] : [404, { errors: [] }];
            }
            if (typeof body.data !== "object" || body.data === null) return [400, { errors: ["no data provided"] }];
            versions.set(key, (versions.get(key) ?? 0) + 1);
            secrets.set(key, body.data as Record<string, unknown>);
            return [200, { data: { version: versions.get(key) } }];
        }
        const policy = /^sys\/policies\/acl\/([\w.-]+)$/.exec(path);
        if (policy && method !== "GET") {
            if (typeof body.policy !== "string") return [400, { errors: ["'policy' parameter not supplied or empty"] }];
            try { parsePolicy(body.policy); } catch (e) { return [400, { errors: [(e as Error).message] }]; }
            policies.set(policy[1], body.policy);
            return [204];
        }
        if (path === "auth/token/create" && method !== "GET") {
            const id = typeof body.id === "string" && body.id !== "" ? body.id : `s.${Math.random().toString(36).slice(2)}`;
            if (body.id !== undefined && !token.policies.includes("root")) return [400, { errors: ["root or sudo privileges required to specify token id"] }];
            if (body.id !== undefined && id.includes(".")) return [400, { errors: ["custom token ID cannot have a '.' in the value"] }];
            if (tokens.has(id)) return [400, { errors: ["cannot create a token with a duplicate ID"] }];
            const requested = Array.isArray(body.policies) ? (body.policies as string[]) : [];
            const created: StandInToken = {
                id, policies: body.no_default_policy === true ? requested : [...requested, "default"],
                displayName: `token-${String(body.display_name ?? "")}`, ttl: String(body.ttl ?? "768h"), renewable: body.renewable !== false,
            };
            tokens.set(id, created);
            return [200, { auth: { client_token: id, policies: created.policies, renewable: created.renewable } }];
        }
        if (path === "auth/token/lookup" && method !== "GET") {
            const found = tokens.get(String(body.token ?? ""));
            return found ? [200, { data: lookup(found) }] : [403, { errors: ["bad token"] }];
        }
        if (path === "auth/token/lookup-self") return [200, { data: lookup(token) }];
        return [404, { errors: [] }];
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const send = ([status, payload]: [number, unknown?]) => {
                res.writeHead(status, payload === undefined ? {} : { "content-type": "application/json" });
                res.end(payload === undefined ? undefined : JSON.stringify(payload));
            };
            const method = req.method ?? "GET";
            const path = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/v1\//, "");
            if (path === "sys/health") return send([200, { initialized: true, sealed: false, standby: false }]);
            const token = tokens.get(String(req.headers["x-vault-token"] ?? ""));
            if (!token || !allowed(token, path, method)) return send([403, { errors: ["permission denied"] }]);
            let body: Record<string, unknown> = {};
            try {
                if (chunks.length > 0) body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
            } catch {
                return send([400, { errors: ["failed to parse JSON input"] }]);
            }
            send(handle(method, path, token, body));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        addr: `http://127.0.0.1:${port}`, secrets, tokens, policies,
        stop: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
    };
}
