import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { gatewayOf } from "../../builders/docker/network";
import * as pulumi from "@pulumi/pulumi";
import { GRACE_SECONDS, jobOutcome } from "../../builders/docker/common";
import { STAGES } from "../../profiles/catalog";
import { LABELS } from "../../program/names";
import { TYPES, containers, labelsOf, ofType, serviceOf } from "../support/topology";
import { DEFAULT_TIMEOUTS } from "../../app/src/config";

/**
 * What a learner's Docker does that the mocks do not: restart the daemon (or the laptop), replace a
 * container, and report a network back as it really is. Each rule of the engine used here is a
 * stand-in for Docker's own behaviour, with the source it comes from.
 */

/**
 * Stand-in for Docker's restart at daemon start (moby daemon/daemon.go, restore(): a container is
 * started again only if RestartPolicy.IsAlways() or IsUnlessStopped(); "on-failure" and "no" stay
 * down, because every server exits 0 when the daemon stops it).
 */
const comesBackAfterDaemonRestart = (restart: string | undefined) => restart === "always" || restart === "unless-stopped";

/**
 * Stand-in for what Docker reports for a network created with a subnet (libnetwork's default IPAM
 * gives the gateway the pool's first address, and the daemon writes it into the network's IPAM
 * config, which `docker network inspect` and the provider's Read return after a restart).
 */
const reportedIpam = (declared: { subnet: string; gateway?: string }) => ({ subnet: declared.subnet, gateway: declared.gateway ?? gatewayOf(declared.subnet) });

const dockerStages = [...STAGES.values()].filter((p) => p.target === "docker");
const servers = (run: ProgramRun) => containers(run).filter((c) => !labelsOf(c)[LABELS.role]);

describe("Docker stages on a laptop: daemon restarts, replacements, what Docker reports back", () => {
    const runs = new Map<number, ProgramRun>();
    before(async () => {
        for (const p of dockerStages) runs.set(p.stage, await runProgram({ stage: String(p.stage) }));
    });

    it("stand-in for Docker's daemon restart: from stage 3 every server comes back by itself", () => {
        for (const p of dockerStages) {
            for (const c of servers(runs.get(p.stage)!)) {
                const back = comesBackAfterDaemonRestart(c.inputs.restart);
                if (p.selfHealing) assert.ok(back, `stage ${p.stage}: ${serviceOf(c)} has restart ${c.inputs.restart}, so it stays down after a Docker restart`);
                else assert.equal(c.inputs.restart, "no", `stage ${p.stage}: ${serviceOf(c)} (the lesson: nothing heals)`);
            }
        }
    });

    it("says so on the pages of the stages that do not come back", () => {
        for (const p of dockerStages.filter((s) => !s.selfHealing)) {
            assert.ok(p.story.lessons.some((l) => /Docker restarts|reboot/.test(l)), `stage ${p.stage}'s lessons say what a Docker restart does`);
        }
    });

    it("gives every server time to stop cleanly, on docker stop, daemon shutdown and replacement", () => {
        for (const p of dockerStages) {
            for (const c of servers(runs.get(p.stage)!)) {
                assert.ok(c.inputs.destroyGraceSeconds > 0, `stage ${p.stage}: ${serviceOf(c)} is SIGKILLed when the provider replaces it`);
                assert.equal(c.inputs.stopTimeout, c.inputs.destroyGraceSeconds, `stage ${p.stage}: ${serviceOf(c)}`);
            }
        }
        // The app drains its in-flight requests for shutdownMs before it exits: the grace must cover it.
        assert.ok(GRACE_SECONDS.app * 1000 > DEFAULT_TIMEOUTS.shutdownMs, "the app's grace covers its drain");
    });

    it("stand-in for a refresh after a Docker restart: every network is declared as Docker reports it, so nothing is replaced", () => {
        for (const p of dockerStages) {
            for (const n of ofType(runs.get(p.stage)!, TYPES.network)) {
                for (const ipam of (n.inputs.ipamConfigs ?? []) as { subnet: string; gateway?: string }[]) {
                    // The provider's ipam_config forces a replacement on any difference.
                    assert.deepEqual(ipam, reportedIpam(ipam), `stage ${p.stage}: ${n.inputs.name} would be replaced after a restart`);
                }
            }
        }
    });

    it("computes a subnet's gateway as Docker's IPAM does", () => {
        assert.equal(gatewayOf("10.213.1.0/24"), "10.213.1.1");
        assert.equal(gatewayOf("172.28.0.0/16"), "172.28.0.1");
        assert.equal(gatewayOf("10.0.255.0/23"), "10.0.255.1");
        assert.throws(() => gatewayOf("10.0.0.0/32"), /with room for a gateway/);
    });
});

describe("Docker stages: a failure fails `pulumi up`", () => {
    it("waits for every self-healing server to be healthy (the provider's wait needs a health check)", async () => {
        for (const p of dockerStages.filter((s) => s.selfHealing)) {
            const run = await runProgram({ stage: String(p.stage) });
            for (const c of servers(run)) {
                assert.equal(c.inputs.wait, true, `stage ${p.stage}: ${serviceOf(c)}`);
                assert.ok(c.inputs.healthcheck?.tests?.length, `stage ${p.stage}: ${serviceOf(c)} has a health check to wait for`);
            }
        }
    });

    it("turns a failed one-shot job into a one-line error with its name and the end of its log", () => {
        assert.equal(jobOutcome("devsecops-s4-vault-bootstrap", 0, "vault-bootstrap: done\n"), "exited 0");
        assert.throws(() => jobOutcome("devsecops-s4-vault-bootstrap", 1, "vault-bootstrap: waiting\nvault-bootstrap: FAILED: Vault refused the token\n"),
            (e: Error) => e instanceof pulumi.RunError && !e.message.includes("\n") &&
                /^devsecops-s4-vault-bootstrap exited with 1: vault-bootstrap: waiting \| vault-bootstrap: FAILED: Vault refused the token; see docker logs devsecops-s4-vault-bootstrap$/.test(e.message));
    });

    it("makes stage 4's outputs wait for the bootstrap's outcome, so `up` fails where it failed", async () => {
        const run = await runProgram({ stage: "4" });
        assert.ok("vaultBootstrap" in run.outputs);
    });
});
