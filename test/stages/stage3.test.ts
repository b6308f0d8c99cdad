import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { SETTINGS } from "../../program/config";
import { APP_ENV } from "../../program/names";
import { EDGE_FILES } from "../../builders/shared";
import { REDIS_PATHS } from "../../renderers/redis";
import { appInstances, container, containers, envOf, imageOf, publishedPorts, dependsOnService, serviceOf } from "../support/topology";

describe("stage 3 (Scaling and isolation) on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "3" });
    });

    it("adds Nginx and Redis to stage 2's app instances and databases", () => {
        assert.deepEqual(containers(run).map(serviceOf).sort(),
            ["app-1", "app-2", "app-3", "nginx", "postgres-primary", "postgres-replica", "redis"]);
        assert.equal(imageOf(run, container(run, "nginx")), SETTINGS.nginxImage.default);
        assert.equal(imageOf(run, container(run, "redis")), SETTINGS.redisImage.default);
    });

    it("publishes only Nginx, and only on loopback", () => {
        for (const c of containers(run)) {
            assert.deepEqual(publishedPorts(c), serviceOf(c) === "nginx" ? ["127.0.0.1:8080->8080"] : [], c.name);
        }
        assert.deepEqual(run.outputs.entryPoints, ["http://localhost:8080"]);
    });

    it("load-balances every app instance with passive health checks and retries", () => {
        const nginx = container(run, "nginx").inputs;
        const [upload] = nginx.uploads;
        assert.equal(upload.file, `${EDGE_FILES.dir}/${EDGE_FILES.conf}`);
        assert.deepEqual(nginx.command.slice(0, 3), ["nginx", "-c", upload.file], "nginx reads the uploaded file");
        // By fixed address, never by name: nginx resolves names once at start and refuses to start
        // on one Docker's DNS no longer knows (a stopped instance); test/renderers/nginx-start.test.ts.
        for (const name of appInstances(run)) {
            const address = container(run, name).inputs.networksAdvanced[0].ipv4Address;
            assert.match(address, /^10\.213\.0\.\d+$/, `${name} has a fixed address on the flat network`);
            assert.match(upload.content, new RegExp(`server ${address.replace(/\./g, "\\.")}:8080 [^;]*max_fails=[^\n]*# ${name}\n`));
        }
        assert.doesNotMatch(upload.content, /^\s*server [a-z][^:]*:\d+/m, "no upstream by name");
        assert.match(upload.content, /proxy_next_upstream error timeout/);
        assert.match(upload.content, /add_header X-Upstream \$upstream_addr always/);
    });

    it("starts Nginx after the instances it resolves once at start", () => {
        for (const name of appInstances(run)) assert.ok(dependsOnService(run, container(run, "nginx"), name), name);
    });

    it("gives the app Redis as its cache", () => {
        const redis = container(run, "redis");
        assert.equal(redis.inputs.uploads[0].file, REDIS_PATHS.config);
        assert.deepEqual(redis.inputs.command, ["redis-server", REDIS_PATHS.config]);
        for (const name of appInstances(run)) {
            assert.equal(envOf(container(run, name))[APP_ENV.redisHost], "redis");
            assert.ok(dependsOnService(run, container(run, name), "redis"));
        }
    });

    it("gives every container a health check and a restart policy that survives a Docker restart", () => {
        for (const c of containers(run)) {
            assert.ok(c.inputs.healthcheck?.tests?.length > 1, `${c.name} has no health check`);
            // Not on-failure: that one stays down after a Docker restart (docker-laptop.test.ts).
            assert.equal(c.inputs.restart, "unless-stopped", c.name);
        }
    });

    it("tells the learner to kill an instance under load", () => {
        assert.ok(run.outputs.tryThis.some((l: string) => l.includes("docker kill devsecops-s3-app-1")));
    });
});
