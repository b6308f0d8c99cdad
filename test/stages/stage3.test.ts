import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { SETTINGS } from "../../program/config";
import { APP_ENV } from "../../program/names";
import { NGINX_PATHS } from "../../renderers/nginx";
import { REDIS_PATHS } from "../../renderers/redis";
import { appInstances, container, containers, envOf, imageOf, publishedPorts } from "../support/topology";

describe("stage 3 (Scaling and isolation) on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "3" });
    });

    it("adds Nginx and Redis to stage 2's app instances and databases", () => {
        assert.deepEqual(containers(run).map((c) => c.name).sort(),
            ["app-1", "app-2", "app-3", "nginx", "postgres-primary", "postgres-replica", "redis"]);
        assert.equal(imageOf(run, container(run, "nginx")), SETTINGS.nginxImage.default);
        assert.equal(imageOf(run, container(run, "redis")), SETTINGS.redisImage.default);
    });

    it("publishes only Nginx, and only on loopback", () => {
        for (const c of containers(run)) {
            assert.deepEqual(publishedPorts(c), c.name === "nginx" ? ["127.0.0.1:8080->8080"] : [], c.name);
        }
        assert.deepEqual(run.outputs.entryPoints, ["http://localhost:8080"]);
    });

    it("load-balances every app instance with passive health checks and retries", () => {
        const [upload] = container(run, "nginx").inputs.uploads;
        assert.equal(upload.file, NGINX_PATHS.config);
        for (const name of appInstances(run)) assert.match(upload.content, new RegExp(`server ${name}:8080 [^;]*max_fails=`));
        assert.match(upload.content, /proxy_next_upstream error timeout/);
        assert.match(upload.content, /add_header X-Upstream \$upstream_addr always/);
    });

    it("starts Nginx after the instances it resolves once at start", () => {
        for (const name of appInstances(run)) assert.ok(container(run, "nginx").dependsOn.includes(name), name);
    });

    it("gives the app Redis as its cache", () => {
        const redis = container(run, "redis");
        assert.equal(redis.inputs.uploads[0].file, REDIS_PATHS.config);
        assert.deepEqual(redis.inputs.command, ["redis-server", REDIS_PATHS.config]);
        for (const name of appInstances(run)) {
            assert.equal(envOf(container(run, name))[APP_ENV.redisHost], "redis");
            assert.ok(container(run, name).dependsOn.includes("redis"));
        }
    });

    it("gives every container a health check and a bounded restart policy", () => {
        for (const c of containers(run)) {
            assert.ok(c.inputs.healthcheck?.tests?.length > 1, `${c.name} has no health check`);
            assert.equal(c.inputs.restart, "on-failure", c.name);
            assert.equal(c.inputs.maxRetryCount, 5, c.name);
        }
    });

    it("tells the learner to kill an instance under load", () => {
        assert.ok(run.outputs.tryThis.some((l: string) => l.includes("docker kill devsecops-s3-app-1")));
    });
});
