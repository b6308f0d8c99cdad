import * as assert from "node:assert/strict";
import { KUBERNETES } from "../../program/names";
import { MISSING, Runner, dockerEndpoint, probesWith, runCommand } from "../../lab/probes";
import { withDockerEndpoint, workspacePlan } from "../../lab/plan";

/** A runner that answers from a table: command -> result; absent -> not installed. */
function fakeRunner(table: Record<string, { code: number; stdout?: string }>): Runner {
    return async (command, args) => {
        const r = table[`${command} ${args.join(" ")}`];
        return r ? { code: r.code, stdout: r.stdout ?? "", stderr: "" } : { code: "ENOENT", stdout: "", stderr: "" };
    };
}

describe("lab CLI: probes of the machine", () => {
    it("finds the Pulumi CLI, or says how to install it", async () => {
        assert.deepEqual(await probesWith(fakeRunner({ "pulumi version": { code: 0, stdout: "v3.200.0\n" } }))("pulumi"), { ok: true, detail: "pulumi v3.200.0" });
        assert.deepEqual(await probesWith(fakeRunner({}))("pulumi"), { ok: false, message: MISSING.pulumi });
        assert.match(MISSING.pulumi, /not installed .*https:\/\/www\.pulumi\.com\/docs\/install\//);
    });

    it("tells a missing Docker from a stopped one", async () => {
        const info = "docker info --format {{.ServerVersion}}";
        assert.deepEqual(await probesWith(fakeRunner({ [info]: { code: 0, stdout: "28.1.1\n" } }), {})("docker"), { ok: true, detail: "docker 28.1.1" });
        assert.deepEqual(await probesWith(fakeRunner({}), {})("docker"), { ok: false, message: MISSING.dockerBinary });
        assert.deepEqual(await probesWith(fakeRunner({ [info]: { code: 1 } }), {})("docker"), { ok: false, message: MISSING.dockerDaemon });
    });

    it("finds Docker where the docker CLI does (DOCKER_HOST, else the current context) and probes that endpoint", async () => {
        const context = "docker context inspect --format {{.Endpoints.docker.Host}}";
        const colima = "unix:///Users/me/.colima/default/docker.sock";
        const table = { [context]: { code: 0, stdout: `${colima}\n` }, [`docker --host ${colima} info --format {{.ServerVersion}}`]: { code: 0, stdout: "28.1.1\n" } };
        assert.equal(await dockerEndpoint(fakeRunner(table), {}), colima);
        assert.deepEqual(await probesWith(fakeRunner(table), {})("docker"), { ok: true, detail: `docker 28.1.1 at ${colima}` });
        // The user's DOCKER_HOST wins, as it does for the docker CLI and for the provider.
        assert.equal(await dockerEndpoint(fakeRunner(table), { DOCKER_HOST: "tcp://127.0.0.1:2375" }), "tcp://127.0.0.1:2375");
        // Reaching the CLI's endpoint is not enough: the one Pulumi will use must answer.
        const stopped = { [context]: table[context], "docker info --format {{.ServerVersion}}": { code: 0, stdout: "28.1.1\n" } };
        const result = await probesWith(fakeRunner(stopped), {})("docker");
        assert.equal(result.ok, false);
        // Handed to Pulumi, unless the user set DOCKER_HOST.
        const plan = workspacePlan({}, "/home/me");
        assert.equal(withDockerEndpoint(plan, colima).envVars.DOCKER_HOST, colima);
        assert.equal(withDockerEndpoint({ ...plan, envVars: { ...plan.envVars, DOCKER_HOST: "tcp://x:1" } }, colima).envVars.DOCKER_HOST, "tcp://x:1");
        assert.equal(withDockerEndpoint(plan, undefined), plan);
    });

    it("needs kind and a cluster for the Kubernetes stages", async () => {
        const get = "kind get clusters";
        const readyz = `kubectl --context kind-${KUBERNETES.clusterName} --request-timeout=5s get --raw /readyz`;
        const listed = { [get]: { code: 0, stdout: `other\n${KUBERNETES.clusterName}\n` } };
        assert.deepEqual(await probesWith(fakeRunner({ ...listed, [readyz]: { code: 0, stdout: "ok" } }))("kind"),
            { ok: true, detail: `kind cluster ${KUBERNETES.clusterName}, API server ready` });
        // kind still lists a cluster whose node container is stopped: only the API server can tell.
        assert.deepEqual(await probesWith(fakeRunner({ ...listed, [readyz]: { code: 1 } }))("kind"),
            { ok: false, message: MISSING.kindStopped });
        assert.deepEqual(await probesWith(fakeRunner(listed))("kind"), { ok: false, message: MISSING.kubectlBinary });
        assert.match(MISSING.kindCluster, /scripts\/kind-up\.sh/);
        assert.deepEqual(await probesWith(fakeRunner({ [get]: { code: 0, stdout: "other\n" } }))("kind"), { ok: false, message: MISSING.kindCluster });
        assert.deepEqual(await probesWith(fakeRunner({}))("kind"), { ok: false, message: MISSING.kindBinary });
        assert.deepEqual(await probesWith(fakeRunner({ [get]: { code: 0, stdout: "" } }))("kind"), { ok: false, message: MISSING.kindCluster });
    });

    it("every message is one line naming the fix", () => {
        for (const message of Object.values(MISSING)) {
            assert.doesNotMatch(message, /\n/);
            assert.match(message, /(install|start|create)/);
        }
    });

    it("runs real commands: a missing binary is a result, not an exception", async () => {
        assert.deepEqual(await runCommand("devsecops-no-such-binary", []), { code: "ENOENT", stdout: "", stderr: "" });
        const ok = await runCommand(process.execPath, ["-e", "process.stdout.write('hi')"]);
        assert.deepEqual(ok, { code: 0, stdout: "hi", stderr: "" });
        const failed = await runCommand(process.execPath, ["-e", "process.exit(3)"]);
        assert.equal(failed.code, 3);
    });
});
