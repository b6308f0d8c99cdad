/**
 * Who is calling (stage 4 on): writes to the API carry a bearer JWT (RFC 6750), reads stay public;
 * the HTML form carries a token bound to the visitor's session cookie instead (a browser posting a
 * plain form has no bearer token to send, and a forged cross-site post has no cookie-bound token).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AUTH } from "./contract";
import type { ErrorBody } from "./errors";
import { TokenError, verifyJwt } from "./jwt";
import type { ApiKeys } from "./keys";

const REALM = "devsecops-journey";

/** Where a learner gets a token, named in every 401. */
export const TOKEN_HINT = "npm run lab -- token 4";

/**
 * A 401 in the app's error shape with its RFC 6750 §3 challenge. A request without a token gets the
 * bare challenge (§3.1: no error code when no authentication was attempted); a refused token gets
 * error="invalid_token" and the same sentence as the body's message.
 */
export function unauthorized(reply: FastifyReply, error: TokenError): ErrorBody {
    const description = error.message.replace(/["\\]/g, "'");
    reply.code(401).header("WWW-Authenticate", error.problem === "missing"
        ? `Bearer realm="${REALM}"`
        : `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`);
    return { error: "unauthorized", message: error.message };
}

/** The bearer token of a request, or a TokenError("missing"). */
function bearer(request: FastifyRequest): string {
    const header = request.headers.authorization;
    if (typeof header !== "string" || header.trim() === "") {
        throw new TokenError("missing", `writing needs a bearer token: send Authorization: Bearer <token> (get one with ${TOKEN_HINT})`);
    }
    const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
    if (!m) throw new TokenError("missing", `the Authorization header must be "Bearer <token>" (get one with ${TOKEN_HINT})`);
    return m[1];
}

/** An onRequest hook for the API's writes: a valid token, or a 401 before the body is even read. */
export function requireBearer(keys: ApiKeys) {
    return async function checkBearer(request: FastifyRequest, reply: FastifyReply) {
        if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return;
        try {
            const token = bearer(request);
            const now = () => Math.floor(Date.now() / 1000);
            let claims;
            try {
                claims = verifyJwt(token, (kid) => keys.find(kid), now());
            } catch (err) {
                // A kid the app does not know yet: the key may have rotated a moment ago. Read once, try again.
                if (!(err instanceof TokenError && err.problem === "unknown-key") || !(await keys.refreshIfStale())) throw err;
                claims = verifyJwt(token, (kid) => keys.find(kid), now());
            }
            request.log.info({ sub: String(claims.sub ?? "").slice(0, 64) }, "authenticated write");
        } catch (err) {
            if (!(err instanceof TokenError)) throw err;
            request.log.info({ problem: err.problem }, "refused a write without a valid token");
            return reply.send(unauthorized(reply, err));
        }
    };
}

// ------------------------------------------------------------------ the form's session-bound token

/** A secret of its own for form tokens, derived from a signing key: a form token is never a JWT signature. */
function formSecret(key: { secret: string }): Buffer {
    return createHmac("sha256", key.secret).update("devsecops-journey form token v1").digest();
}

function formToken(key: { secret: string }, session: string): string {
    return createHmac("sha256", formSecret(key)).update(session).digest("base64url");
}

const SESSION = /^[A-Za-z0-9_-]{43}$/;

/** The session id in the request's cookie, when it has a well-formed one. */
export function sessionOf(request: FastifyRequest): string | undefined {
    const cookies = String(request.headers.cookie ?? "").split(";").map((c) => c.trim());
    const value = cookies.find((c) => c.startsWith(`${AUTH.sessionCookie}=`))?.slice(AUTH.sessionCookie.length + 1);
    return value && SESSION.test(value) ? value : undefined;
}

/**
 * For GET /: the visitor's session (a new one, set as a __Host- cookie: Secure, HttpOnly,
 * SameSite=Strict, Path=/) and the form token bound to it, for the page's hidden field.
 */
export function issueFormToken(keys: ApiKeys, request: FastifyRequest, reply: FastifyReply): string {
    let session = sessionOf(request);
    if (!session) {
        session = randomBytes(32).toString("base64url");
        reply.header("Set-Cookie", `${AUTH.sessionCookie}=${session}; Path=/; Secure; HttpOnly; SameSite=Strict`);
    }
    return formToken(keys.current, session);
}

/** For POST /: why the form's token does not match its session cookie, or undefined when it does. */
export function formTokenProblem(keys: ApiKeys, request: FastifyRequest, given: unknown): string | undefined {
    const session = sessionOf(request);
    if (!session) return "the page's session cookie is missing";
    if (typeof given !== "string" || given === "") return "the form's session token is missing";
    const ok = keys.valid().some((key) => {
        const expected = Buffer.from(formToken(key, session));
        const actual = Buffer.from(given);
        return expected.length === actual.length && timingSafeEqual(expected, actual);
    });
    return ok ? undefined : "the form's session token does not match this session";
}
