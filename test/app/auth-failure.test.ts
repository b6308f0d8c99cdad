import * as assert from "node:assert/strict";
import { APP_ENV } from "../../app/src/contract";
import { type LabServers, NEEDS_LAB, type RunningApp, call, labConfig, startApp, startLabServers } from "../support/app";
import { skipUnless } from "../support/servers";

/**
 * A stolen app password turned against the app (ALTER ROLE ... PASSWORD by the thief) leaves the
 * app with a login the real Postgres refuses (SQLSTATE 28P01). That is not the client's fault and
 * not a bug: 503 with Retry-After, the app's error shape, never a 500.
 */
describe("app: the database refuses its login (a changed password), for real", function () {
    this.timeout(60_000);
    let servers: LabServers | undefined;
    let app: RunningApp | undefined;
    before(async function () {
        skipUnless(this, NEEDS_LAB);
        servers = await startLabServers({ replica: false, redis: false });
        app = await startApp(labConfig(servers, { [APP_ENV.dbPassword]: "NotTheRealPassword123" }));
    });
    after(async () => {
        await app?.close();
        await servers?.close();
    });

    it("answers writes and reads with 503 and Retry-After, in the app's shape", async () => {
        for (const reply of [await call(app!.url("/api/items"), { method: "POST", json: { name: "x" } }), await call(app!.url("/api/items/1"))]) {
            assert.equal(reply.status, 503, reply.text);
            assert.ok(Number(reply.headers.get("retry-after")) > 0);
            assert.equal(reply.json.error, "service_unavailable");
        }
    });
});
