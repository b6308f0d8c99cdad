/**
 * Stage 4's "API that knows who is calling", against the real app and a real Postgres, with the
 * signing keys in the Vault stand-in (read by the app's own Vault client): every refused token is a
 * 401 with its one message and RFC 6750 challenge, a good token writes, reads stay public, the form
 * needs its session-bound token, and a rotated key is picked up without a restart.
 */
import * as assert from "node:assert/strict";
import { AUTH } from "../../app/src/contract";
import { createLogger } from "../../app/src/log";
import { ApiKeys } from "../../app/src/keys";
import { type LabServers, NEEDS_LAB, type RunningApp, call, labConfig, startApp, startLabServers } from "../support/app";
import { type KeyStore, bearer, makeKey, startKeyStore, tokenFor } from "../support/auth";
import { skipUnless } from "../support/servers";

/** A form post as a browser sends it, the 303 not followed. */
async function postForm(url: string, fields: Record<string, string>, cookie?: string) {
    const response = await fetch(url, {
        method: "POST", redirect: "manual", body: new URLSearchParams(fields).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("app: bearer tokens for writes (stage 4), keys in a Vault stand-in", function () {
    let servers: LabServers;
    let store: KeyStore;
    let keys: ApiKeys;
    let app: RunningApp;
    const v1 = makeKey("v1");
    // The app's clock for the keys (overlap, refresh rate): the test moves it instead of waiting.
    let offsetMs = 0;
    const post = (headers: Record<string, string>, json: unknown = { name: "authed" }) =>
        call(app.url("/api/items"), { method: "POST", json, headers });

    before(async function () {
        skipUnless(this, NEEDS_LAB);
        [servers, store] = await Promise.all([startLabServers({ replica: false, redis: false }), startKeyStore(v1)]);
        keys = await ApiKeys.load(store.source, createLogger("silent"), { now: () => Date.now() + offsetMs, budgetMs: 2000 });
        const config = labConfig(servers);
        config.auth = "jwt";
        app = await startApp(config, { keys });
    });
    after(async () => {
        await app?.close();
        await Promise.all([servers?.close(), store?.stop()]);
    });

    it("writes with a valid token: 201", async () => {
        const reply = await post(bearer(tokenFor(v1)));
        assert.equal(reply.status, 201, reply.text);
        assert.equal(reply.json.name, "authed");
    });

    it("reads stay public: GET /api/items and the page answer without a token", async () => {
        assert.equal((await call(app.url("/api/items"))).status, 200);
        assert.equal((await call(app.url("/"))).status, 200);
    });

    it("a write without a token is a 401 with the bare Bearer challenge (RFC 6750 §3.1) and how to get one", async () => {
        const reply = await post({});
        assert.equal(reply.status, 401);
        assert.equal(reply.headers.get("www-authenticate"), `Bearer realm="devsecops-journey"`);
        assert.deepEqual(Object.keys(reply.json).sort(), ["error", "message"]);
        assert.equal(reply.json.error, "unauthorized");
        assert.match(reply.json.message, /needs a bearer token.*npm run lab -- token 4/);
    });

    it("refuses before reading the body: an invalid body without a token is a 401, not a 400", async () => {
        const reply = await post({}, { nope: true });
        assert.equal(reply.status, 401);
    });

    it("PUT and DELETE need a token too", async () => {
        const { json: created } = await post(bearer(tokenFor(v1)));
        const put = await call(app.url(`/api/items/${created.id}`), { method: "PUT", json: { name: "x" } });
        const del = await call(app.url(`/api/items/${created.id}`), { method: "DELETE" });
        assert.deepEqual([put.status, del.status], [401, 401]);
        const authed = await call(app.url(`/api/items/${created.id}`), { method: "DELETE", headers: bearer(tokenFor(v1)) });
        assert.equal(authed.status, 204);
    });

    const now = () => Math.floor(Date.now() / 1000);
    const refusals: [string, () => Record<string, string>, RegExp][] = [
        ["another scheme (Basic)", () => ({ authorization: "Basic dXNlcjpwYXNz" }), /must be "Bearer <token>"/],
        ["a malformed token", () => bearer("not-a-jwt"), /not a JWT \(three base64url parts/],
        ["alg none (unsigned)", () => bearer(`${b64({ alg: "none", kid: "v1" })}.${b64({ iss: AUTH.issuer, aud: AUTH.audience, exp: now() + 60 })}.`), /not a JWT/],
        ["alg none with a signature part", () => bearer(`${b64({ alg: "none", kid: "v1" })}.${b64({ exp: now() + 60 })}.AAAA`), /algorithm "none" is not allowed: this API accepts HS256 only/],
        ["another algorithm (HS512)", () => bearer(`${b64({ alg: "HS512", kid: "v1" })}.${b64({ exp: now() + 60 })}.AAAA`), /algorithm "HS512" is not allowed/],
        ["an expired token", () => bearer(tokenFor(v1, { exp: now() - 120 })), /the token expired at \d{4}-/],
        ["a token not yet valid", () => bearer(tokenFor(v1, { nbf: now() + 600 })), /not valid before \d{4}-/],
        ["a forged signature (another key, same kid)", () => bearer(tokenFor({ kid: "v1", secret: "AttackerKey0123456789" })), /signature does not verify/],
        ["a tampered payload", () => {
            const [h, , s] = tokenFor(v1).split(".");
            return bearer(`${h}.${b64({ iss: AUTH.issuer, aud: AUTH.audience, sub: "admin", exp: now() + 600 })}.${s}`);
        }, /signature does not verify/],
        ["the wrong audience", () => bearer(tokenFor(v1, { aud: "another-api" })), /audience is not this API/],
        ["the wrong issuer", () => bearer(tokenFor(v1, { iss: "someone-else" })), /issuer is not the lab/],
        ["no expiry", () => bearer(tokenFor(v1, { exp: undefined })), /has no expiry \(exp\)/],
        ["an unknown key id", () => bearer(tokenFor(makeKey("v9"))), /key id "v9" is not one of this API's signing keys/],
    ];
    for (const [what, headers, message] of refusals) {
        it(`refuses ${what}: 401 invalid_token with one clear message`, async () => {
            const reply = await post(headers());
            assert.equal(reply.status, 401, reply.text);
            assert.equal(reply.json.error, "unauthorized");
            assert.match(reply.json.message, message);
            const challenge = reply.headers.get("www-authenticate") ?? "";
            if (!/Bearer/.test(String(headers().authorization)) || /must be "Bearer/.test(reply.json.message)) {
                assert.equal(challenge, `Bearer realm="devsecops-journey"`);
            } else {
                assert.match(challenge, /^Bearer realm="devsecops-journey", error="invalid_token", error_description="[^"]+"$/);
                assert.ok(challenge.includes(reply.json.message.replace(/"/g, "'")), challenge);
            }
        });
    }

    describe("the HTML form's session-bound token", () => {
        const formPost = (fields: Record<string, string>, cookie?: string) => postForm(app.url("/"), fields, cookie);
        async function visit(cookie?: string): Promise<{ cookie: string; token: string; setCookie: string | null }> {
            const page = await call(app.url("/"), { headers: cookie ? { cookie } : {} });
            const setCookie = page.headers.get("set-cookie");
            const token = new RegExp(`name="${AUTH.formField}" value="([^"]+)"`).exec(page.text)?.[1];
            assert.ok(token, "the form carries a hidden token");
            return { cookie: cookie ?? setCookie!.split(";")[0], token, setCookie };
        }

        it("GET / sets a __Host- session cookie (Secure, HttpOnly, SameSite=Strict) and the form carries its token", async () => {
            const { setCookie } = await visit();
            assert.match(setCookie ?? "", new RegExp(`^${AUTH.sessionCookie}=[A-Za-z0-9_-]{43}; Path=/; Secure; HttpOnly; SameSite=Strict$`));
        });

        it("a post with the session's cookie and token writes (303 to the item)", async () => {
            const { cookie, token } = await visit();
            const reply = await formPost({ name: "from the form", [AUTH.formField]: token }, cookie);
            assert.equal(reply.status, 303, reply.text);
            assert.match(reply.headers.get("location") ?? "", /^\/\?id=\d+$/);
        });

        it("a returning visitor keeps the session: no new cookie, the same token", async () => {
            const first = await visit();
            const again = await visit(first.cookie);
            assert.equal(again.setCookie, null);
            assert.equal(again.token, first.token);
        });

        it("refuses a post without the cookie, without the token, or with another session's token: 403, nothing written", async () => {
            const a = await visit();
            const b = await visit();
            const before = (await call(app.url("/api/items?limit=100"))).json.items.length;
            const replies = await Promise.all([
                formPost({ name: "no cookie", [AUTH.formField]: a.token }),
                formPost({ name: "no token" }, a.cookie),
                formPost({ name: "crossed", [AUTH.formField]: b.token }, a.cookie),
            ]);
            assert.deepEqual(replies.map((r) => r.status), [403, 403, 403]);
            assert.match(replies[0].text, /session cookie is missing/);
            assert.match(replies[1].text, /session token is missing/);
            assert.match(replies[2].text, /does not match this session/);
            assert.equal((await call(app.url("/api/items?limit=100"))).json.items.length, before);
        });
    });

    describe("rotation without a restart", () => {
        const v2 = makeKey("v2");
        after(() => store.write(v1));

        it("a token of the new key writes as soon as the key is rotated; the old one keeps working for the overlap only", async () => {
            const oldToken = tokenFor(v1);
            const page = await call(app.url("/"));
            const cookie = page.headers.get("set-cookie")!.split(";")[0];
            const formToken = new RegExp(`name="${AUTH.formField}" value="([^"]+)"`).exec(page.text)![1];

            store.write(v2, v1, Math.floor((Date.now() + offsetMs) / 1000));
            offsetMs += AUTH.refreshMinIntervalMs; // past the re-read's rate limit, not past the overlap
            const fresh = await post(bearer(tokenFor(v2)));
            assert.equal(fresh.status, 201, `the unknown kid made the app re-read the keys: ${fresh.text}`);
            assert.equal((await post(bearer(oldToken))).status, 201, "the previous key still verifies during the overlap");
            const form = await postForm(app.url("/"), { name: "old form", [AUTH.formField]: formToken }, cookie);
            assert.equal(form.status, 303, "a page loaded before the rotation still posts during the overlap");

            offsetMs += AUTH.rotationOverlapSeconds * 1000;
            const late = await post(bearer(oldToken));
            assert.equal(late.status, 401);
            assert.match(late.json.message, /key id "v1" is not one of this API's signing keys/);
            assert.equal((await post(bearer(tokenFor(v2)))).status, 201);
        });

        it("keeps the keys it has when Vault cannot be read (a restarted dev-mode Vault is empty)", async () => {
            store.vault.secrets.clear();
            offsetMs += AUTH.refreshMinIntervalMs;
            const reply = await post(bearer(tokenFor(makeKey("v3"))));
            assert.equal(reply.status, 401, "an unknown kid is still refused");
            assert.equal((await post(bearer(tokenFor(v2)))).status, 201, "the known key keeps working");
            store.write(v1);
        });
    });
});
