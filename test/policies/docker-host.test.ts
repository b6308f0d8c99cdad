import * as assert from "node:assert/strict";
import { dockerNoHostNamespaces } from "../../policy-pack/policies/docker-no-host-namespaces";
import { dockerNoPrivileged } from "../../policy-pack/policies/docker-no-privileged";
import { dockerNoSensitiveHostDirs } from "../../policy-pack/policies/docker-no-sensitive-host-dirs";
import { dockerNoSocketMount } from "../../policy-pack/policies/docker-no-socket-mount";
import { runPolicy } from "../support/policy-harness";
import { happy, withInputs } from "./fixtures";

/** What a container may never get from the host, from stage 1 on. */
describe("policy docker-no-privileged", () => {
    it("passes an unprivileged container", async () => {
        assert.deepEqual((await runPolicy(dockerNoPrivileged, happy())).messages, []);
    });
    it("fails privileged: true", async () => {
        const { messages } = await runPolicy(dockerNoPrivileged, withInputs(happy(), { privileged: true }));
        assert.deepEqual(messages, [
            'container "app-1": privileged is true, which makes it root on the host with every device; remove privileged and add only the capability it needs (capabilities.adds)',
        ]);
    });
});

describe("policy docker-no-socket-mount", () => {
    it("passes a container without binds", async () => {
        assert.deepEqual((await runPolicy(dockerNoSocketMount, happy())).messages, []);
    });
    it("fails a volume that binds /var/run/docker.sock", async () => {
        const c = withInputs(happy(), { volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }] });
        assert.deepEqual((await runPolicy(dockerNoSocketMount, c)).messages, [
            'container "app-1": volumes[0].hostPath binds /var/run/docker.sock, which hands it the Docker socket and with it root on the host; remove the mount',
        ]);
    });
    it("fails a bind mount of the directory that holds the socket", async () => {
        const c = withInputs(happy(), { mounts: [{ type: "bind", source: "/run/", target: "/host-run" }] });
        assert.match((await runPolicy(dockerNoSocketMount, c)).messages.join(), /mounts\[0\]\.source binds \/run,/);
    });
    it("lets a named volume be", async () => {
        const c = withInputs(happy(), { mounts: [{ type: "volume", source: "docker.sock", target: "/data" }] });
        assert.deepEqual((await runPolicy(dockerNoSocketMount, c)).messages, []);
    });
});

describe("policy docker-no-sensitive-host-dirs", () => {
    it("passes named volumes", async () => {
        const c = withInputs(happy(), { volumes: [{ volumeName: "devsecops-s4-data", containerPath: "/data" }] });
        assert.deepEqual((await runPolicy(dockerNoSensitiveHostDirs, c)).messages, []);
    });
    it("fails a bind of /etc", async () => {
        const c = withInputs(happy(), { volumes: [{ hostPath: "/etc/", containerPath: "/host-etc" }] });
        assert.deepEqual((await runPolicy(dockerNoSensitiveHostDirs, c)).messages, [
            'container "app-1": volumes[0].hostPath binds the host\'s /etc; use a named docker.Volume or upload the one file it needs instead',
        ]);
    });
    it("fails a path below one, and the host's root", async () => {
        const c = withInputs(happy(), { mounts: [{ type: "bind", source: "/proc/1", target: "/p" }, { type: "bind", source: "/", target: "/host" }] });
        const { messages } = await runPolicy(dockerNoSensitiveHostDirs, c);
        assert.equal(messages.length, 2);
        assert.match(messages[0], /mounts\[0\]\.source binds the host's \/proc\/1 \(under \/proc\)/);
        assert.match(messages[1], /mounts\[1\]\.source binds the host's \/;/);
    });
    it("lets a lookalike path be (/etcetera is not /etc)", async () => {
        const c = withInputs(happy(), { volumes: [{ hostPath: "/etcetera", containerPath: "/x" }] });
        assert.deepEqual((await runPolicy(dockerNoSensitiveHostDirs, c)).messages, []);
    });
});

describe("policy docker-no-host-namespaces", () => {
    it("passes a container in its own namespaces", async () => {
        assert.deepEqual((await runPolicy(dockerNoHostNamespaces, happy())).messages, []);
    });
    it("fails networkMode host", async () => {
        const { messages } = await runPolicy(dockerNoHostNamespaces, withInputs(happy(), { networkMode: "host" }));
        assert.deepEqual(messages, [
            'container "app-1": networkMode is "host", so it shares the host\'s network stack (every port and interface); remove networkMode and attach it to a docker.Network of the stack (networksAdvanced)',
        ]);
    });
    for (const field of ["pidMode", "ipcMode", "usernsMode"]) {
        it(`fails ${field} host`, async () => {
            const { messages } = await runPolicy(dockerNoHostNamespaces, withInputs(happy(), { [field]: "host" }));
            assert.equal(messages.length, 1);
            assert.match(messages[0], new RegExp(`^container "app-1": ${field} is "host", so it shares the host's `));
        });
    }
});
