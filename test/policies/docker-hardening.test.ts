import * as assert from "node:assert/strict";
import { dockerCapsDropAll } from "../../policy-pack/policies/docker-caps-drop-all";
import { dockerHealthcheck } from "../../policy-pack/policies/docker-healthcheck";
import { dockerLimits } from "../../policy-pack/policies/docker-limits";
import { dockerNoNewPrivileges } from "../../policy-pack/policies/docker-no-new-privileges";
import { dockerNonRoot } from "../../policy-pack/policies/docker-non-root";
import { dockerReadonlyRootfs } from "../../policy-pack/policies/docker-readonly-rootfs";
import { dockerRestartPolicy } from "../../policy-pack/policies/docker-restart-policy";
import { runPolicy } from "../support/policy-harness";
import { happy, withInputs } from "./fixtures";

const messagesOf = async (policy: Parameters<typeof runPolicy>[0], patch: Record<string, unknown>, config = {}) =>
    (await runPolicy(policy, withInputs(happy(), patch), config)).messages;

/** Stage 3's self-healing and stage 4's hardening, one field at a time. */
describe("policy docker-healthcheck", () => {
    it("passes a container with a health check", async () => assert.deepEqual(await messagesOf(dockerHealthcheck, {}), []));
    it("fails a container without one", async () => {
        assert.deepEqual(await messagesOf(dockerHealthcheck, { healthcheck: undefined }), [
            'container "app-1": healthcheck is not set, so a hung service looks healthy; set healthcheck.tests to a command that proves it answers, with interval, timeout and retries',
        ]);
    });
    it("fails a check that is switched off", async () => {
        assert.match((await messagesOf(dockerHealthcheck, { healthcheck: { tests: ["NONE"] } })).join(), /healthcheck.tests is \["NONE"\], which disables the check/);
    });
});

describe("policy docker-restart-policy", () => {
    it("passes on-failure with a bound, and unless-stopped", async () => {
        assert.deepEqual(await messagesOf(dockerRestartPolicy, {}), []);
        assert.deepEqual(await messagesOf(dockerRestartPolicy, { restart: "unless-stopped", maxRetryCount: undefined }), []);
    });
    it("fails no restart policy", async () => {
        assert.deepEqual(await messagesOf(dockerRestartPolicy, { restart: undefined }), [
            'container "app-1": restart is "no", so nothing brings it back after a crash; set restart: "on-failure" with maxRetryCount (e.g. 5), or "unless-stopped"',
        ]);
    });
    it("fails on-failure without a bound", async () => {
        assert.deepEqual(await messagesOf(dockerRestartPolicy, { maxRetryCount: 0 }), [
            'container "app-1": restart is "on-failure" without maxRetryCount, so a crash loop never ends; set maxRetryCount (e.g. 5)',
        ]);
    });
    it("fails always", async () => {
        assert.match((await messagesOf(dockerRestartPolicy, { restart: "always" })).join(), /restart is "always", which restarts without bound/);
    });
});

describe("policy docker-non-root", () => {
    it("passes an unprivileged user", async () => assert.deepEqual(await messagesOf(dockerNonRoot, {}), []));
    it("fails no user (the image's, root for most)", async () => {
        assert.deepEqual(await messagesOf(dockerNonRoot, { user: undefined }), [
            'container "app-1": user is not set, so it runs as the image\'s user, root for most images; set user to an unprivileged uid:gid (e.g. "10001:10001")',
        ]);
    });
    it("fails root by name or by uid", async () => {
        for (const user of ["root", "0:0", "0"]) {
            assert.deepEqual(await messagesOf(dockerNonRoot, { user }), [
                `container "app-1": user "${user}" is root; set user to an unprivileged uid:gid (e.g. "10001:10001")`,
            ]);
        }
    });
});

describe("policy docker-caps-drop-all", () => {
    const config = { allowedCapabilities: ["NET_BIND_SERVICE"] };
    it("passes drops ALL plus an allowlisted add", async () => {
        assert.deepEqual(await messagesOf(dockerCapsDropAll, { capabilities: { drops: ["all"], adds: ["CAP_NET_BIND_SERVICE"] } }, config), []);
    });
    it("fails a container that keeps Docker's default capabilities", async () => {
        assert.deepEqual(await messagesOf(dockerCapsDropAll, { capabilities: { drops: ["NET_RAW"] } }, config), [
            'container "app-1": capabilities.drops does not contain ALL, so it keeps Docker\'s defaults (CHOWN, NET_RAW, SETUID, ...); set capabilities: { drops: ["ALL"] } and add back only what it needs',
        ]);
    });
    it("fails an add outside the allowlist in config", async () => {
        assert.deepEqual(await messagesOf(dockerCapsDropAll, { capabilities: { drops: ["ALL"], adds: ["SYS_ADMIN"] } }, config), [
            'container "app-1": capabilities.adds[0] SYS_ADMIN is not in the allowlist (NET_BIND_SERVICE); remove it, or allow it in the policy config with a reason',
        ]);
    });
    it("takes its allowlist from config, where the CLI fills the schema default (NET_BIND_SERVICE)", async () => {
        const patch = { capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } };
        assert.deepEqual(await messagesOf(dockerCapsDropAll, patch, {}), []);
        assert.match((await messagesOf(dockerCapsDropAll, patch, { allowedCapabilities: [] })).join(), /not in the allowlist \(empty\)/);
        assert.deepEqual(await messagesOf(dockerCapsDropAll, { capabilities: { drops: ["ALL"], adds: ["CHOWN"] } }, { allowedCapabilities: ["CHOWN"] }), []);
    });
});

describe("policy docker-no-new-privileges", () => {
    it("passes no-new-privileges in either spelling", async () => {
        assert.deepEqual(await messagesOf(dockerNoNewPrivileges, {}), []);
        assert.deepEqual(await messagesOf(dockerNoNewPrivileges, { securityOpts: ["no-new-privileges"] }), []);
    });
    it("fails without it", async () => {
        assert.deepEqual(await messagesOf(dockerNoNewPrivileges, { securityOpts: undefined }), [
            'container "app-1": securityOpts lacks no-new-privileges, so a setuid binary can raise its privileges; add "no-new-privileges:true"',
        ]);
    });
    it("fails unconfined seccomp", async () => {
        assert.deepEqual(await messagesOf(dockerNoNewPrivileges, { securityOpts: ["no-new-privileges:true", "seccomp:unconfined"] }), [
            'container "app-1": securityOpts[1] "seccomp:unconfined" turns off the kernel\'s default confinement; remove it',
        ]);
    });
});

describe("policy docker-readonly-rootfs", () => {
    it("passes a read-only root filesystem", async () => assert.deepEqual(await messagesOf(dockerReadonlyRootfs, {}), []));
    it("fails a writable one", async () => {
        assert.deepEqual(await messagesOf(dockerReadonlyRootfs, { readOnly: false }), [
            'container "app-1": readOnly is not true, so a compromised process can rewrite the container\'s files; set readOnly: true and mount the paths it writes as tmpfs (e.g. tmpfs: { "/tmp": "rw,noexec,nosuid" })',
        ]);
    });
});

describe("policy docker-limits", () => {
    it("passes memory and CPU shares, or a CPU quota", async () => {
        assert.deepEqual(await messagesOf(dockerLimits, {}), []);
        assert.deepEqual(await messagesOf(dockerLimits, { cpuShares: undefined, cpus: "0.5" }), []);
    });
    it("fails no memory limit", async () => {
        assert.deepEqual(await messagesOf(dockerLimits, { memory: undefined }), [
            'container "app-1": memory is not set, so it may take all of the host\'s memory; set memory in MB (e.g. 256)',
        ]);
    });
    it("fails no CPU share or quota", async () => {
        assert.deepEqual(await messagesOf(dockerLimits, { cpuShares: 0 }), [
            'container "app-1": neither cpuShares nor cpus is set, so it competes for CPU unchecked; set cpuShares (e.g. 512) or cpus (e.g. "0.5")',
        ]);
    });
});

/** Stage 4 fills read-only volumes through seed containers (created, never started) and runs one-shot jobs. */
describe("containers that are not long-running servers", () => {
    const seed = () => withInputs(happy(), { start: false, user: undefined, readOnly: undefined, healthcheck: undefined, restart: undefined });
    const job = () => withInputs(happy(), { attach: true, restart: "no", healthcheck: undefined });

    it("spares a seed container (start: false) the runtime rules: it never runs", async () => {
        for (const policy of [dockerNonRoot, dockerReadonlyRootfs, dockerHealthcheck, dockerRestartPolicy]) {
            const outcome = await runPolicy(policy, seed());
            assert.deepEqual([outcome.messages, outcome.notApplicable.length], [[], 1], policy.meta.name);
        }
    });
    it("spares a one-shot job (attach: true) health checks and restarts, not hardening", async () => {
        assert.deepEqual((await runPolicy(dockerHealthcheck, job())).messages, []);
        assert.deepEqual((await runPolicy(dockerRestartPolicy, job())).messages, []);
        assert.equal((await runPolicy(dockerNonRoot, withInputs(job(), { user: "root" }))).messages.length, 1);
    });
});
