import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { APP_ENV, DATABASE } from "../../program/names";
import { POSTGRES_PATHS, REPLICA_ENV, renderReplicaEntrypoint } from "../../renderers/postgres";
import { TYPES, aliasesOf, appInstances, container, containers, envOf, imageOf, ofType, publishedPorts, resource, secretEnvKeys, dependsOnService, serviceOf } from "../support/topology";

describe("stage 2 (Early growth) on Docker", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "2" });
    });

    it("runs three app instances by default, a primary and a replica", () => {
        assert.deepEqual(appInstances(run), ["app-1", "app-2", "app-3"]);
        assert.deepEqual(containers(run).map(serviceOf).sort(),
            ["app-1", "app-2", "app-3", "postgres-primary", "postgres-replica"]);
    });

    it("gives every instance the shared alias for Docker's DNS round robin, and its own name", () => {
        for (const name of appInstances(run)) assert.deepEqual(aliasesOf(container(run, name)), ["app", name]);
    });

    it("publishes each instance on its own host port, and both databases", () => {
        assert.deepEqual(appInstances(run).map((n) => publishedPorts(container(run, n))),
            [["0.0.0.0:8081->8080"], ["0.0.0.0:8082->8080"], ["0.0.0.0:8083->8080"]]);
        assert.deepEqual(publishedPorts(container(run, "postgres-replica")), ["0.0.0.0:15433->5432"]);
        assert.deepEqual(run.outputs.entryPoints, ["http://localhost:8081", "http://localhost:8082", "http://localhost:8083"]);
    });

    it("follows devsecops:appReplicas", async () => {
        const five = await runProgram({ stage: "2", appReplicas: "5" });
        assert.deepEqual(appInstances(five), ["app-1", "app-2", "app-3", "app-4", "app-5"]);
        assert.deepEqual(publishedPorts(container(five, "app-5")), ["0.0.0.0:8085->8080"]);
    });

    it("gives the replication role its own generated password, passed only as a secret", () => {
        const passwords = ofType(run, TYPES.password).map((p) => p.name).sort();
        assert.deepEqual(passwords, ["database-owner-password", "database-replication-password"]);
        const replication = resource(run, TYPES.password, "database-replication-password").state.result;
        const owner = resource(run, TYPES.password, "database-owner-password").state.result;
        assert.equal(envOf(container(run, "postgres-primary")).REPLICATION_PASSWORD, replication);
        assert.equal(envOf(container(run, "postgres-replica"))[REPLICA_ENV.replicationPassword], replication);
        assert.notEqual(replication, owner);
        assert.deepEqual(secretEnvKeys(container(run, "postgres-primary")).sort(), ["POSTGRES_PASSWORD", "REPLICATION_PASSWORD"]);
        assert.deepEqual(secretEnvKeys(container(run, "postgres-replica")), [REPLICA_ENV.replicationPassword]);
    });

    it("lets the replica stream from the primary: pg_hba line and init script on the primary", () => {
        const [upload] = container(run, "postgres-primary").inputs.uploads;
        assert.equal(upload.file, POSTGRES_PATHS.primaryInitScript);
        assert.match(upload.content, new RegExp(`host replication ${DATABASE.replicationUser} samenet scram-sha-256`));
        assert.match(upload.content, /pg_create_physical_replication_slot/);
    });

    it("bootstraps the replica from the primary with no manual step", () => {
        const replica = container(run, "postgres-replica");
        assert.deepEqual(replica.inputs.entrypoints, ["/bin/sh", POSTGRES_PATHS.replicaEntrypoint]);
        assert.deepEqual(replica.inputs.command.slice(0, 2), ["docker-entrypoint.sh", "postgres"]);
        assert.equal(replica.inputs.user, "postgres");
        assert.equal(replica.inputs.uploads[0].file, POSTGRES_PATHS.replicaEntrypoint);
        assert.equal(replica.inputs.uploads[0].content, renderReplicaEntrypoint());
        const env = envOf(replica);
        assert.equal(env[REPLICA_ENV.primaryHost], "postgres-primary");
        assert.equal(env[REPLICA_ENV.replicationUser], DATABASE.replicationUser);
        assert.equal(env[REPLICA_ENV.replicationSlot], DATABASE.replicationSlot);
        assert.ok(dependsOnService(run, replica, "postgres-primary"));
        assert.equal(imageOf(run, replica), imageOf(run, container(run, "postgres-primary")));
    });

    it("keeps each node's data in its own volume", () => {
        const volumes = ofType(run, TYPES.volume);
        assert.equal(volumes.length, 2);
        const mounted = ["postgres-primary", "postgres-replica"].map((n) => container(run, n).inputs.volumes[0]);
        assert.deepEqual(mounted.map((v) => v.containerPath), [POSTGRES_PATHS.dataDir, POSTGRES_PATHS.dataDir]);
        assert.deepEqual(mounted.map((v) => v.volumeName).sort(), volumes.map((v) => v.inputs.name).sort());
    });

    it("writes to the primary and reads from the replica", () => {
        for (const name of appInstances(run)) {
            const env = envOf(container(run, name));
            assert.equal(env[APP_ENV.dbPrimaryHost], "postgres-primary");
            assert.equal(env[APP_ENV.dbReplicaHost], "postgres-replica");
            assert.equal(env[APP_ENV.instance], name);
            assert.ok(dependsOnService(run, container(run, name), "postgres-replica"));
        }
    });

    it("configures both nodes for streaming replication", () => {
        for (const name of ["postgres-primary", "postgres-replica"]) {
            const args: string[] = container(run, name).inputs.command;
            assert.ok(args.includes("wal_level=replica"), name);
            assert.ok(args.includes("hot_standby=on"), name);
        }
    });
});
