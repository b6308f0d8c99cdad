import { ProgramRun, isSecret, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { SETTINGS } from "../../program/config";
import { APP_ENV, DATABASE } from "../../program/names";
import { TYPES, aliasesOf, appInstances, container, containers, envOf, imageOf, ofType, publishedPorts, secretEnvKeys, dependsOnService, serviceOf } from "../support/topology";

describe("stage 1 (Day-1 sprint) on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "1" });
    });

    it("runs one app container and one Postgres, nothing else", () => {
        assert.deepEqual(containers(run).map(serviceOf).sort(), ["app-1", "postgres-primary"]);
        assert.deepEqual(appInstances(run), ["app-1"]);
    });

    it("puts both on one user network", () => {
        const [network] = ofType(run, TYPES.network);
        assert.equal(ofType(run, TYPES.network).length, 1);
        for (const c of containers(run)) {
            assert.deepEqual(c.inputs.networksAdvanced.map((n: { name: string }) => n.name), [network.inputs.name]);
        }
        // No shared "app" alias: that is stage 2's DNS round robin, and stage 1 has no balancer.
        assert.deepEqual(aliasesOf(container(run, "app-1")), ["app-1"]);
        assert.deepEqual(aliasesOf(container(run, "postgres-primary")), ["postgres-primary"]);
    });

    it("publishes the app and the database on every interface (the lesson)", () => {
        assert.deepEqual(publishedPorts(container(run, "app-1")), ["0.0.0.0:8081->8080"]);
        assert.deepEqual(publishedPorts(container(run, "postgres-primary")), ["0.0.0.0:15432->5432"]);
    });

    it("runs the pinned official Postgres image and builds the app from app/", () => {
        assert.equal(imageOf(run, container(run, "postgres-primary")), SETTINGS.postgresImage.default);
        const [build] = ofType(run, TYPES.image);
        assert.match(build.inputs.imageName, /^devsecops-journey\/app:[0-9a-f]{12}$/);
        assert.equal(build.inputs.build.context, path.resolve(__dirname, "..", ".."));
        assert.equal(build.inputs.build.dockerfile, path.resolve(__dirname, "..", "..", "app", "Dockerfile"));
        assert.equal(build.inputs.skipPush, true);
        assert.equal(container(run, "app-1").inputs.image, build.inputs.imageName);
    });

    it("generates the database password and passes it only as a secret", () => {
        const [password] = ofType(run, TYPES.password);
        assert.equal(ofType(run, TYPES.password).length, 1);
        const secret = password.state.result;
        assert.equal(envOf(container(run, "postgres-primary")).POSTGRES_PASSWORD, secret);
        assert.equal(envOf(container(run, "app-1"))[APP_ENV.dbPassword], secret);
        assert.deepEqual(secretEnvKeys(container(run, "postgres-primary")), ["POSTGRES_PASSWORD"]);
        assert.deepEqual(secretEnvKeys(container(run, "app-1")), [APP_ENV.dbPassword]);
    });

    it("wires the app to the primary only: no replica, no cache", () => {
        const env = envOf(container(run, "app-1"));
        assert.equal(env[APP_ENV.dbPrimaryHost], "postgres-primary");
        assert.equal(env[APP_ENV.dbName], DATABASE.name);
        assert.equal(env[APP_ENV.dbUser], DATABASE.ownerUser);
        assert.equal(env[APP_ENV.instance], "app-1");
        assert.equal(env[APP_ENV.dbReplicaHost], undefined);
        assert.equal(env[APP_ENV.redisHost], undefined);
        assert.equal(envOf(container(run, "postgres-primary")).REPLICATION_PASSWORD, undefined);
    });

    it("starts the app after the database", () => {
        assert.ok(dependsOnService(run, container(run, "app-1"), "postgres-primary"));
    });

    it("has no health checks and no restart policy yet", () => {
        for (const c of containers(run)) {
            assert.equal(c.inputs.healthcheck, undefined, c.name);
            assert.equal(c.inputs.restart, "no", c.name);
        }
    });

    it("exports where to go, what to try and the password as a secret", async () => {
        assert.deepEqual(run.outputs.entryPoints, ["http://localhost:8081"]);
        assert.equal(run.outputs.stage, 1);
        assert.ok(run.outputs.tryThis.some((line: string) => line.includes("docker stop devsecops-s1-app-1")));
        assert.equal(await isSecret(run.raw.databasePassword), true);
    });

    it("uses a configured app image instead of building one", async () => {
        const prebuilt = await runProgram({ stage: "1", appImage: "mirror.example/devsecops/app:0.1.0" });
        assert.equal(ofType(prebuilt, TYPES.image).length, 0);
        assert.equal(container(prebuilt, "app-1").inputs.image, "mirror.example/devsecops/app:0.1.0");
    });

    it("moves published ports with config", async () => {
        const moved = await runProgram({ stage: "1", appHostPort: "9001", dbHostPort: "25432" });
        assert.deepEqual(publishedPorts(container(moved, "app-1")), ["0.0.0.0:9001->8080"]);
        assert.deepEqual(publishedPorts(container(moved, "postgres-primary")), ["0.0.0.0:25432->5432"]);
        assert.deepEqual(moved.outputs.entryPoints, ["http://localhost:9001"]);
    });
});
