import { recordRun } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { CHECKED_SDK } from "../../lab/sdk-monitor";

/**
 * lab/sdk-monitor.ts reads SDK internals (the mock monitor, the registration request's getters, the
 * secret marker). If an SDK upgrade changes any of them, `npm run lab -- diff`, the stage pages and
 * every topology test would silently see less: this test registers one resource of every kind the
 * recorder cares about and fails, naming the adapter, when what comes back is not what went in.
 */
const ADAPTER = "lab/sdk-monitor.ts no longer reads this SDK's registrations right: adapt it";

class Probe extends pulumi.CustomResource {
    constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
        super("lab:test:Probe", name, props, opts);
    }
}

describe("the recorder's one reach into Pulumi's SDK internals (lab/sdk-monitor.ts)", () => {
    it("was checked against the installed SDK's major version", () => {
        const version: string = require("@pulumi/pulumi/package.json").version;
        assert.match(version, CHECKED_SDK, `@pulumi/pulumi ${version}: ${ADAPTER}, then widen CHECKED_SDK`);
    });

    it("sees type, name, parent, dependencies, delete-before-replace and secret inputs of a registration", async () => {
        const run = await recordRun(() => {
            const parent = new pulumi.ComponentResource("lab:test:Group", "group", {}, {});
            const first = new Probe("first", { plain: "a" }, { parent });
            new Probe("second", { plain: "b", hidden: pulumi.secret("s3cret"), nested: { list: [1, pulumi.secret("x")] }, fromFirst: first.urn }, {
                parent, dependsOn: [first], deleteBeforeReplace: true,
            });
            return {};
        });
        const second = run.resources.find((r) => r.name === "second");
        assert.ok(second, `${ADAPTER}: no registration recorded`);
        assert.equal(second.type, "lab:test:Probe", ADAPTER);
        assert.equal(second.parent, "group", ADAPTER);
        assert.deepEqual(second.dependsOn, ["first"], ADAPTER);
        assert.equal(second.deleteBeforeReplace, true, ADAPTER);
        assert.deepEqual({ ...second.inputs, fromFirst: undefined }, { plain: "b", hidden: "s3cret", nested: { list: [1, "x"] }, fromFirst: undefined }, `${ADAPTER}: inputs`);
        assert.deepEqual(second.propertyDependencies?.fromFirst, ["first"], `${ADAPTER}: property dependencies`);
        assert.deepEqual([...second.secretPaths].sort(), ["hidden", "nested.list.1"], `${ADAPTER}: the secret marker`);
        const first = run.resources.find((r) => r.name === "first")!;
        assert.equal(first.deleteBeforeReplace, false, ADAPTER);
        assert.deepEqual(first.secretPaths, [], ADAPTER);
    });
});

describe("the recorder", () => {
    it("refuses a second run while one is in progress, instead of mixing their resources", async () => {
        const first = recordRun(() => ({}));
        await assert.rejects(recordRun(() => ({})), /records one program run at a time/);
        await first;
        await recordRun(() => ({}));
    });
});
