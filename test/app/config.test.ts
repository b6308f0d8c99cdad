import * as assert from "node:assert/strict";
import { ConfigError, DEFAULTS, loadConfig } from "../../app/src/config";
import { APP_ENV } from "../../app/src/contract";
import { parseLogLines, startAppProcess } from "../support/app";

const REQUIRED = {
    [APP_ENV.dbPrimaryHost]: "postgres-primary",
    [APP_ENV.dbName]: "lab",
    [APP_ENV.dbUser]: "lab_owner",
    [APP_ENV.dbPassword]: "s3cret",
};

/** The problems loadConfig reports for an environment, as "VARIABLE problem" strings. */
function problems(env: Record<string, string>): string[] {
    try {
        loadConfig(env);
    } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems.map((p) => `${p.variable} ${p.problem}`);
    }
    return [];
}

describe("app: configuration from the environment", () => {
    it("needs only the primary and its credentials; everything else has a default", () => {
        const config = loadConfig(REQUIRED);
        assert.equal(config.port, DEFAULTS.port);
        assert.equal(config.listenHost, "0.0.0.0", "every interface: a container's network is its boundary");
        assert.deepEqual(config.db.primary, { host: "postgres-primary", port: 5432 });
        assert.equal(config.db.replica, undefined, "no replica: reads go to the primary");
        assert.equal(config.redis, undefined, "no Redis: the cache is off");
        assert.equal(config.cacheTtlSeconds, DEFAULTS.cacheTtlSeconds);
        assert.equal(config.logLevel, "info");
        assert.match(config.instance, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, "defaults to the (header-safe) host name");
    });

    it("reads every optional variable of the contract", () => {
        const config = loadConfig({
            ...REQUIRED,
            [APP_ENV.port]: "9090",
            [APP_ENV.listenHost]: "127.0.0.1",
            [APP_ENV.instance]: "app-2",
            [APP_ENV.dbPrimaryPort]: "5433",
            [APP_ENV.dbReplicaHost]: "postgres-replica",
            [APP_ENV.dbReplicaPort]: "5434",
            [APP_ENV.redisHost]: "redis",
            [APP_ENV.redisPort]: "6380",
            [APP_ENV.redisUser]: "app",
            [APP_ENV.redisPassword]: "pw",
            [APP_ENV.cacheTtlSeconds]: "5",
            [APP_ENV.logLevel]: "DEBUG",
        });
        assert.equal(config.port, 9090);
        assert.equal(config.listenHost, "127.0.0.1");
        assert.equal(config.instance, "app-2");
        assert.deepEqual(config.db.primary, { host: "postgres-primary", port: 5433 });
        assert.deepEqual(config.db.replica, { host: "postgres-replica", port: 5434 });
        assert.deepEqual(config.redis, { host: "redis", port: 6380, user: "app", password: "pw" });
        assert.equal(config.cacheTtlSeconds, 5);
        assert.equal(config.logLevel, "debug");
    });

    it("treats an empty optional variable as unset (a builder may pass \"\")", () => {
        const config = loadConfig({ ...REQUIRED, [APP_ENV.dbReplicaHost]: "", [APP_ENV.redisHost]: " " });
        assert.equal(config.db.replica, undefined);
        assert.equal(config.redis, undefined);
    });

    const invalid: [string, Record<string, string>, RegExp][] = [
        ["a missing primary host", { [APP_ENV.dbPrimaryHost]: "" }, /^DB_PRIMARY_HOST is required$/],
        ["a URL for a host", { [APP_ENV.dbPrimaryHost]: "postgres://db:5432" }, /^DB_PRIMARY_HOST is not a host name or IP address \(got "postgres:\/\/db:5432"\)$/],
        ["a port out of range", { [APP_ENV.port]: "70000" }, /^APP_PORT is out of range \(got "70000"\)$/],
        ["a listen address that is a name", { [APP_ENV.listenHost]: "localhost" }, /^APP_LISTEN_HOST is invalid \(got "localhost"\)$/],
        ["a port that is not a number", { [APP_ENV.dbReplicaPort]: "five" }, /^DB_REPLICA_PORT is not a whole number \(got "five"\)$/],
        ["a TTL of 0", { [APP_ENV.cacheTtlSeconds]: "0" }, /^CACHE_TTL_SECONDS is out of range/],
        ["an unknown log level", { [APP_ENV.logLevel]: "loud" }, /^LOG_LEVEL is not allowed \(got "loud"\)$/],
        ["an instance name unfit for a header", { [APP_ENV.instance]: "app 1\r\nX-Evil: 1" }, /^APP_INSTANCE is invalid/],
        ["a Redis user without a password", { [APP_ENV.redisHost]: "redis", [APP_ENV.redisUser]: "app" }, /^REDIS_PASSWORD is required when REDIS_USER is set$/],
    ];
    for (const [title, env, expected] of invalid) {
        it(`refuses ${title}, naming the variable`, () => {
            const found = problems({ ...REQUIRED, ...env });
            assert.equal(found.length, 1, found.join("; "));
            assert.match(found[0], expected);
        });
    }

    it("says what is allowed, and never echoes a password", () => {
        try {
            loadConfig({ ...REQUIRED, [APP_ENV.dbPassword]: "", [APP_ENV.port]: "0" });
            assert.fail("expected a ConfigError");
        } catch (err) {
            assert.ok(err instanceof ConfigError);
            assert.match(err.message, /APP_PORT is out of range \(got "0"\) \(allowed: an integer from 1 to 65535 \(default 8080\)\)/);
            assert.match(err.message, /DB_PASSWORD is required/);
        }
        const withNul = problems({ ...REQUIRED, [APP_ENV.dbPassword]: "bad\0secret" });
        assert.deepEqual(withNul, ["DB_PASSWORD is invalid (value hidden)"]);
    });

    it("refuses to start as a process without its database settings: exit 1, one JSON line, no stack trace", async function () {
        this.timeout(20_000);
        const child = await startAppProcess({ [APP_ENV.logLevel]: "info" });
        const code = await child.proc.exited;
        assert.equal(code, 1);
        const output = child.proc.output();
        const lines = parseLogLines(output);
        assert.equal(lines.length, 1, `expected one line, got:\n${output}`);
        const line = lines[0];
        assert.equal(line.level, "fatal");
        assert.match(String(line.msg), /^invalid configuration: DB_PRIMARY_HOST is required \(allowed: .+\); DB_NAME is required/);
        const named = (line.problems as { variable: string }[]).map((p) => p.variable);
        assert.deepEqual(named, [APP_ENV.dbPrimaryHost, APP_ENV.dbName, APP_ENV.dbUser, APP_ENV.dbPassword]);
        assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
    });
});
