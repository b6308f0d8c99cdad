/**
 * verify's checks against the assembled data plane on loopback (test/support/dataplane.ts: the
 * rendered Nginx, Postgres primary and replica, Redis and app instances), each passing where the
 * stage is right and failing where it is not, so no check can pass by accident.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { STAGES } from "../../profiles/catalog";
import { CHECKS, CheckId, STAGE_CHECKS, checksFor } from "../../profiles/verify";
import { CHECK_FUNCTIONS, CheckOutcome, VerifyTarget, runCheck, runChecks } from "../../lab/checks";
import { appContainerNames } from "../../lab/plan";
import { parseLabConfig } from "../../program/config";
import { runProgram } from "../support/mocks";
import { DATA_PLANE_NEEDS, DataPlane, startDataPlane } from "../support/dataplane";
import { freePort, makeTempDir, skipUnless, startHttpUpstream } from "../support/servers";
import { makeSelfSignedCert } from "../support/tls";
import { container, envOf } from "../support/topology";

/** What `docker inspect` would show of a running process: its real environment (/proc/<pid>/environ). */
function environOf(pid: number): string[] {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
}

const planeEnvironments = (plane: DataPlane) => async () =>
    plane.apps.map((a) => ({ container: a.name, env: environOf(a.proc.child.pid!) }));

/** The environments the program gives a stage's app containers (recorded under mocks). */
async function programEnvironments(stage: number) {
    const run = await runProgram({ stage: String(stage) });
    const lab = parseLabConfig((k) => (k === "stage" ? String(stage) : undefined));
    return appContainerNames(lab).map((name, i) => {
        const env = envOf(container(run, `app-${i + 1}`));
        return { container: name, env: Object.entries(env).map(([k, v]) => `${k}=${v}`) };
    });
}

async function closedPort(): Promise<{ host: string; port: number }> {
    return { host: "127.0.0.1", port: await freePort() };
}

function target(plane: DataPlane, extra: Partial<VerifyTarget> = {}): VerifyTarget {
    return {
        entryPoints: [plane.entry],
        instances: plane.apps.length,
        httpEntry: plane.stage === 4 ? plane.httpEntry : undefined,
        ca: plane.ca,
        databaseFromHost: [],
        appEnvironments: planeEnvironments(plane),
        replicaWaitMs: 5000,
        ...extra,
    };
}

const check = (id: CheckId, t: VerifyTarget): Promise<CheckOutcome> => runCheck(id, t);

describe("lab verify: which checks each stage runs (profiles/verify.ts)", () => {
    it("defines checks for every stage, each keeping the previous stage's on the same target", () => {
        let previous: { target?: string; ids: readonly CheckId[] } = { ids: [] };
        for (const [stage, profile] of STAGES) {
            const ids = checksFor(stage);
            assert.ok(ids.length > 0, `stage ${stage} has no checks`);
            if (previous.target === profile.target) for (const id of previous.ids) assert.ok(ids.includes(id), `stage ${stage} dropped ${id}`);
            previous = { target: profile.target, ids };
        }
    });

    it("checks on Kubernetes what stage 4 checks, but the plain-HTTP redirect kind does not publish", () => {
        for (const [stage, profile] of [...STAGES].filter(([, p]) => p.target === "kubernetes")) {
            assert.deepEqual(checksFor(stage), checksFor(4).filter((id) => id !== "http-redirects"), `stage ${stage}`);
            assert.ok(profile.tls);
        }
    });

    it("checks what each Docker stage introduces, from its profile", () => {
        for (const [stage, profile] of [...STAGES].filter(([, p]) => p.target === "docker")) {
            const ids = checksFor(stage);
            assert.equal(ids.includes("spread"), profile.app.replicated, `stage ${stage} spread`);
            assert.equal(ids.includes("replica-read"), profile.database.replica, `stage ${stage} replica-read`);
            assert.equal(ids.includes("cache-hit"), profile.cache, `stage ${stage} cache-hit`);
            assert.equal(ids.includes("tls"), profile.tls, `stage ${stage} tls`);
            assert.equal(ids.includes("http-redirects"), profile.tls, `stage ${stage} http-redirects`);
            assert.equal(ids.includes("no-password-env"), profile.secretsFrom === "vault", `stage ${stage} no-password-env`);
            assert.equal(ids.includes("db-not-from-host"), !profile.database.publish, `stage ${stage} db-not-from-host`);
        }
    });

    it("has an implementation and a title for every check id", () => {
        for (const id of Object.keys(CHECKS) as CheckId[]) assert.equal(typeof CHECK_FUNCTIONS[id], "function", id);
        for (const ids of Object.values(STAGE_CHECKS)) for (const id of ids!) assert.ok(CHECKS[id], id);
    });
});

describe("lab verify: stage 3's checks against the assembled data plane on loopback", function () {
    let plane: DataPlane;
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        this.timeout(120_000);
        plane = await startDataPlane({ stage: 3 });
    });
    after(async () => plane?.close());

    it("passes every stage-3 check where the stage is right", async () => {
        const results = await runChecks(3, target(plane, { databaseFromHost: [await closedPort()] }));
        assert.deepEqual(results.map((r) => r.id), checksFor(3));
        for (const r of results) assert.ok(r.ok, `${r.id}: ${r.saw}`);
        assert.match(results.find((r) => r.id === "spread")!.saw, /15 requests answered by 3 of 3 instances/);
        assert.match(results.find((r) => r.id === "cache-hit")!.saw, /miss, then 200 hit/);
    });

    it("entry-answers fails where nothing answers", async () => {
        const { port } = await closedPort();
        const r = await check("entry-answers", target(plane, { entryPoints: [`http://127.0.0.1:${port}`] }));
        assert.equal(r.ok, false);
        assert.match(r.saw, /ECONNREFUSED/);
    });

    it("spread fails when an instance is dead, counting the refused requests", async () => {
        const { port } = await closedPort();
        const entryPoints = [plane.apps[0].url("").replace(/\/$/, ""), `http://127.0.0.1:${port}`, plane.apps[2].url("").replace(/\/$/, "")];
        const r = await check("spread", target(plane, { entryPoints }));
        assert.equal(r.ok, false);
        assert.equal(r.saw, "15 requests answered by 2 of 3 instances: app-1 x5, HTTP error ECONNREFUSED x5, app-3 x5");
    });

    it("spread fails when every request reaches the same instance", async () => {
        const r = await check("spread", target(plane, { entryPoints: [plane.apps[0].url("").replace(/\/$/, "")] }));
        assert.equal(r.ok, false);
        assert.match(r.saw, /answered by 1 of 3 instances: app-1 x15/);
    });

    it("replica-read fails while the replica is down (reads fall back to the primary)", async function () {
        this.timeout(90_000);
        await plane.replica.stop();
        try {
            const r = await check("replica-read", target(plane, { replicaWaitMs: 3000 }));
            assert.equal(r.ok, false);
            assert.match(r.saw, /never read from the replica; last: .*node primary/);
        } finally {
            await plane.replica.restart();
        }
    });

    it("cache-hit fails while Redis is down", async function () {
        this.timeout(60_000);
        await plane.redis!.stop();
        try {
            const r = await check("cache-hit", target(plane));
            assert.equal(r.ok, false);
            assert.doesNotMatch(r.saw, /then 200 hit/);
        } finally {
            await plane.redis!.restart();
        }
    });

    it("db-not-from-host fails where the database answers (stage 2 publishes it)", async () => {
        const r = await check("db-not-from-host", target(plane, { databaseFromHost: [await closedPort(), { host: "127.0.0.1", port: plane.primary.port }] }));
        assert.equal(r.ok, false);
        assert.equal(r.saw, `the host reaches 127.0.0.1:${plane.primary.port}`);
    });

    it("tls and http-redirects fail on a plain-HTTP edge", async () => {
        const tls = await check("tls", target(plane));
        assert.equal(tls.ok, false);
        assert.match(tls.saw, /no https entry point/);
        const redirect = await check("http-redirects", target(plane, { httpEntry: plane.entry }));
        assert.equal(redirect.ok, false);
        assert.match(redirect.saw, /answered 200 without a Location/);
    });

    it("no-password-env fails on stage 3's app environment (the password is in it)", async () => {
        const real = await check("no-password-env", target(plane));
        assert.equal(real.ok, false);
        assert.match(real.saw, /app-1: DB_PASSWORD/);
        const program = await check("no-password-env", target(plane, { appEnvironments: async () => programEnvironments(3) }));
        assert.equal(program.ok, false);
        assert.match(program.saw, /devsecops-s3-app-1: DB_PASSWORD/);
    });
});

describe("lab verify: stage 4's checks against the assembled data plane on loopback (Vault stand-in)", function () {
    let plane: DataPlane;
    before(async function () {
        skipUnless(this, DATA_PLANE_NEEDS);
        this.timeout(120_000);
        plane = await startDataPlane({ stage: 4 });
    });
    after(async () => plane?.close());

    it("serves TLS with the lab's certificate, redirects plain HTTP, and the program's app env holds no password", async () => {
        const t = target(plane, { databaseFromHost: [await closedPort()], appEnvironments: async () => programEnvironments(4) });
        const results = await runChecks(4, t);
        assert.deepEqual(results.map((r) => r.id), checksFor(4));
        for (const r of results) assert.ok(r.ok, `${r.id}: ${r.saw}`);
        assert.match(results.find((r) => r.id === "tls")!.saw, /answered 200 over TLSv1\.[23], HSTS "max-age=/);
        assert.match(results.find((r) => r.id === "http-redirects")!.saw, /answered 301 to https:\/\//);
    });

    it("tls fails when the certificate served is not the lab's", async () => {
        const other = await makeSelfSignedCert(makeTempDir("verify-other-ca-"));
        const r = await check("tls", target(plane, { ca: other.certPem }));
        assert.equal(r.ok, false);
        assert.match(r.saw, /certificate|self.signed|verify/i);
    });

    it("tls fails without a certificate to trust", async () => {
        const r = await check("tls", target(plane, { ca: undefined }));
        assert.equal(r.ok, false);
        assert.match(r.saw, /no certificate to trust/);
    });

    it("http-redirects fails on an HTTP server that answers instead of redirecting", async () => {
        const upstream = await startHttpUpstream("plain");
        try {
            const r = await check("http-redirects", target(plane, { httpEntry: `http://127.0.0.1:${upstream.port}` }));
            assert.equal(r.ok, false);
            assert.match(r.saw, /answered 200 without a Location/);
        } finally {
            await upstream.close();
        }
    });

    it("no-password-env fails on an environment that carries a password, and on none at all", async () => {
        // The assembled plane hands the app its credentials in its environment (no Vault on loopback).
        const leak = await check("no-password-env", target(plane));
        assert.equal(leak.ok, false);
        assert.match(leak.saw, /secrets in the environment: app-1: DB_PASSWORD/);
        const none = await check("no-password-env", target(plane, { appEnvironments: async () => [] }));
        assert.equal(none.ok, false);
        assert.match(none.saw, /no running app container/);
    });
});
