/**
 * JSON Web Tokens (RFC 7519) with node:crypto only: HS256 signatures (RFC 7518 §3.2) and the
 * claims a resource server must check (RFC 8725, "JWT Best Current Practices"). No dependency:
 * what a token library would add is the algorithm agility this API must not have.
 *
 * - One algorithm, fixed by the server: HS256. The token's `alg` is compared with it, never used to
 *   choose how to verify, so `alg: none` and algorithm confusion (a public key used as an HMAC
 *   secret) cannot happen (RFC 8725 §2.1, §3.1). HMAC because the lab's key lives in Vault and is
 *   shared by the app and the lab's `token` command; a deployment whose verifiers must not be able
 *   to mint would pick ES256 and give the app only the public key.
 * - `kid` selects among the keys the API holds (the current one and, during the rotation overlap,
 *   the previous one); an unknown kid is refused, not tried against every key.
 * - `exp` is required, `nbf` honoured, both with a small clock skew; `aud` and `iss` must name this
 *   API and the lab (RFC 8725 §3.8, §3.9). The signature is checked before any claim is trusted,
 *   with a constant-time comparison.
 *
 * The lab's CLI and the tests mint with signJwt from this same module: one definition of the format.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { AUTH } from "./contract";

export const JWT_ALGORITHM = "HS256";

/** A signing key: its id (the JOSE header's kid) and its secret. */
export interface SigningKey {
    readonly kid: string;
    readonly secret: string;
}

export interface JwtClaims {
    readonly iss: string;
    readonly aud: string | string[];
    readonly sub: string;
    readonly exp: number;
    readonly nbf?: number;
    readonly iat?: number;
    readonly [claim: string]: unknown;
}

/** Why a token was refused; `message` is what the client reads (one sentence, names the case). */
export type TokenProblem = "missing" | "malformed" | "algorithm" | "unknown-key" | "signature" | "expired" | "not-yet-valid" | "audience" | "issuer";

export class TokenError extends Error {
    constructor(readonly problem: TokenProblem, message: string) {
        super(message);
        this.name = "TokenError";
    }
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function hmac(secret: string, data: string): Buffer {
    return createHmac("sha256", secret).update(data).digest();
}

/** Mints a token: the lab's `token` command and the tests. Times in seconds since the epoch. */
export function signJwt(key: SigningKey, claims: JwtClaims): string {
    const head = b64url(JSON.stringify({ alg: JWT_ALGORITHM, typ: "JWT", kid: key.kid }));
    const body = b64url(JSON.stringify(claims));
    return `${head}.${body}.${b64url(hmac(key.secret, `${head}.${body}`))}`;
}

/** The claims of a token the lab issues for `sub`, valid for `ttlSeconds` from `now` (seconds). */
export function labClaims(sub: string, now: number, ttlSeconds: number): JwtClaims {
    return { iss: AUTH.issuer, aud: AUTH.audience, sub, iat: now, nbf: now, exp: now + ttlSeconds };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function part(text: string, what: string): Record<string, unknown> {
    try {
        const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
        if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
        // falls through to the one message below
    }
    throw new TokenError("malformed", `the bearer token's ${what} is not a base64url JSON object`);
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Verifies a compact JWS and its claims, or throws a TokenError naming what is wrong. `keys` finds a
 * key by kid (undefined: not one of the API's keys); `now` in seconds.
 */
export function verifyJwt(token: string, keys: (kid: string) => SigningKey | undefined, now: number): JwtClaims {
    const parts = token.split(".");
    if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) {
        throw new TokenError("malformed", "the bearer token is not a JWT (three base64url parts: header.payload.signature)");
    }
    const [head, body, signature] = parts;
    const header = part(head, "header");
    if (header.alg !== JWT_ALGORITHM) {
        throw new TokenError("algorithm", `the token's algorithm ${JSON.stringify(String(header.alg ?? "(none)")).slice(0, 40)} is not allowed: this API accepts ${JWT_ALGORITHM} only`);
    }
    if (header.crit !== undefined) throw new TokenError("malformed", "the token has critical header parameters (crit) this API does not understand");
    if (typeof header.kid !== "string" || header.kid === "") throw new TokenError("unknown-key", "the token has no key id (kid)");
    const key = keys(header.kid);
    if (!key) throw new TokenError("unknown-key", `the token's key id ${JSON.stringify(header.kid.slice(0, 40))} is not one of this API's signing keys (rotated out?)`);
    const expected = hmac(key.secret, `${head}.${body}`);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new TokenError("signature", "the token's signature does not verify");
    }
    const claims = part(body, "payload");
    const skew = AUTH.clockSkewSeconds;
    if (typeof claims.exp !== "number") throw new TokenError("malformed", "the token has no expiry (exp)");
    if (now - skew >= claims.exp) throw new TokenError("expired", `the token expired at ${iso(claims.exp)}`);
    if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || now + skew < claims.nbf)) {
        throw new TokenError("not-yet-valid", `the token is not valid before ${typeof claims.nbf === "number" ? iso(claims.nbf) : "(nbf is not a number)"}`);
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(AUTH.audience)) throw new TokenError("audience", `the token's audience is not this API (aud must be "${AUTH.audience}")`);
    if (claims.iss !== AUTH.issuer) throw new TokenError("issuer", `the token's issuer is not the lab (iss must be "${AUTH.issuer}")`);
    return claims as unknown as JwtClaims;
}
