import * as assert from "node:assert/strict";
import * as contract from "../../policy-pack/contract";
import * as config from "../../program/config";
import * as names from "../../program/names";
import * as profile from "../../profiles/profile";
import * as postgres from "../../renderers/postgres";

/**
 * The pack is loaded from its folder alone, so the names it judges by live there
 * (policy-pack/contract.ts) and the program re-exports them. Each must be the very same value on
 * both sides: a copy typed out again in the program would drift from the pack unnoticed.
 */
const PROGRAM_SIDE: Record<keyof typeof contract, Record<string, unknown>> = {
    PROJECT: names, TIERS: names, SHARED_TIER: names, OPS_TIER: names, TIER_LABELS: names,
    SERVICES: names, LABELS: names, KUBE_NAMESPACES: names,
    STAGE_NUMBERS: profile, parseImageRef: config, REPLICA_ENV: postgres,
};

describe("the contract between the program and the pack", () => {
    for (const [name, module] of Object.entries(PROGRAM_SIDE)) {
        it(`the program's ${name} is the pack's, not a copy`, () => {
            assert.ok(name in module, `${name} is not exported on the program's side`);
            assert.equal(module[name], (contract as Record<string, unknown>)[name]);
        });
    }

    it("every name the pack exports has its place on the program's side", () => {
        assert.deepEqual(Object.keys(contract).sort(), Object.keys(PROGRAM_SIDE).sort());
    });
});
