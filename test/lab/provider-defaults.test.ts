import { runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CHECKED_AGAINST, TABLE_TYPES, checkedInputs, computedPaths, providerState } from "../../lab/provider-defaults";
import { TYPES } from "../support/topology";

const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "../../package-lock.json"), "utf8"));

describe("the provider defaults the recorder applies (lab/provider-defaults.ts)", () => {
    it("were read against the provider versions package-lock.json installs", () => {
        const installed = Object.fromEntries(Object.keys(CHECKED_AGAINST).map((pkg) => [pkg, lock.packages[`node_modules/${pkg}`]?.version]));
        const checked = Object.fromEntries(Object.entries(CHECKED_AGAINST).map(([pkg, { version }]) => [pkg, version]));
        assert.deepEqual(installed, checked, "a provider moved: re-read its schema defaults and computed attributes, then update CHECKED_AGAINST");
    });
    it("know every provider resource type the six stages register", async () => {
        const seen = new Set<string>();
        for (const stage of ["1", "2", "3", "4", "5", "6"]) for (const r of (await runProgram({ stage })).resources) seen.add(r.type);
        // Components (devsecops:...) have no provider; Kubernetes objects get the generic metadata rules.
        const custom = [...seen].filter((t) => !t.startsWith("devsecops:") && !t.startsWith("kubernetes:") && !t.startsWith("pulumi:providers:"));
        assert.deepEqual(custom.filter((t) => !TABLE_TYPES.includes(t)), []);
    });
    it("fill the docker provider's Check defaults: networkMode bridge, restart no, must_run, a port's 0.0.0.0/tcp", () => {
        const checked = checkedInputs(TYPES.container, "app", { image: "app:1", ports: [{ internal: 8080 }], networksAdvanced: [{ name: "net" }] });
        assert.deepEqual([checked.networkMode, checked.restart, checked.mustRun, checked.start, checked.ports],
            ["bridge", "no", true, true, [{ internal: 8080, ip: "0.0.0.0", protocol: "tcp" }]]);
        assert.equal(checkedInputs(TYPES.container, "app", { restart: "on-failure" }).restart, "on-failure");
    });
    it("reach the recorded program: stage 2's containers carry networkMode bridge in their outputs", async () => {
        const run = await runProgram({ stage: "2" });
        const containers = run.resources.filter((r) => r.type === TYPES.container);
        assert.ok(containers.length > 0);
        assert.deepEqual([...new Set(containers.map((c) => c.state.networkMode))], ["bridge"]);
        assert.ok(containers.every((c) => !("networkMode" in c.inputs)), "the program itself sets no networkMode");
    });
    it("leave what the daemon computes unknown at preview, and known after up", () => {
        const checked = checkedInputs(TYPES.container, "db", { image: "postgres:17", hostname: "db", ports: [{ internal: 5432 }] });
        const paths = computedPaths(TYPES.container, checked);
        assert.ok(paths.includes("envs") && paths.includes("ports.0.external") && !paths.includes("hostname"), paths.join());
        const state = providerState(TYPES.container, "db", checked, {});
        assert.equal(state.ports[0].external, 32768);
        assert.equal(computedPaths(TYPES.password, {}).join(), "result,bcryptHash");
    });
    it("auto-name a Kubernetes object without metadata.name, and default its namespace after up", () => {
        const type = "kubernetes:core/v1:ConfigMap";
        const checked = checkedInputs(type, "settings", { apiVersion: "v1", kind: "ConfigMap", metadata: {} });
        assert.match(checked.metadata.name, /^settings-[0-9a-f]{8}$/);
        assert.equal(checked.metadata.annotations["pulumi.com/autonamed"], "true");
        assert.equal(checked.metadata.namespace, undefined);
        assert.equal(providerState(type, "settings", checked, {}).metadata.namespace, "default");
        assert.deepEqual(computedPaths(type, checked), ["status", "metadata.namespace"]);
        const namespace = checkedInputs("kubernetes:core/v1:Namespace", "ns", { apiVersion: "v1", kind: "Namespace", metadata: { name: "lab" } });
        assert.equal(providerState("kubernetes:core/v1:Namespace", "ns", namespace, {}).metadata.namespace, undefined);
    });
});
