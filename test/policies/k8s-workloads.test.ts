import * as assert from "node:assert/strict";
import { k8sCapabilities } from "../../policy-pack/policies/k8s-capabilities";
import { k8sHostIsolation } from "../../policy-pack/policies/k8s-host-isolation";
import { k8sImageTag } from "../../policy-pack/policies/k8s-image-tag";
import { k8sNoPrivilege } from "../../policy-pack/policies/k8s-no-privilege";
import { k8sProbes } from "../../policy-pack/policies/k8s-probes";
import { k8sReadonlyRootfs } from "../../policy-pack/policies/k8s-readonly-rootfs";
import { k8sResources } from "../../policy-pack/policies/k8s-resources";
import { k8sRunAsNonRoot } from "../../policy-pack/policies/k8s-run-as-non-root";
import { k8sSeccomp } from "../../policy-pack/policies/k8s-seccomp";
import { runPolicy } from "../support/policy-harness";
import { happy } from "./fixtures";
import { happyK8s, K, k8s, withField } from "./k8s-fixtures";
import { packRequire } from "../support/pack";

// The engine's sentinels for values unknown at preview (the SDK's proxy module; its .d.ts is stripped).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownObjectValue: UNKNOWN_OBJECT, unknownBooleanValue: UNKNOWN_BOOLEAN } = packRequire("@pulumi/policy/proxy") as Record<string, string>;

type Policy = Parameters<typeof runPolicy>[0];

const APP = "spec.template.spec.containers[0]";
const POD = "spec.template.spec";
const CHAOS = "spec.jobTemplate.spec.template.spec";
const app = () => happyK8s(K.deployment, "app");
const chaos = () => happyK8s(K.cronJob, "chaos");

/** The violations of one policy over the app Deployment with one field set (or removed: undefined). */
const messagesOf = async (policy: Policy, path?: string, value?: unknown, resource = app()) =>
    (await runPolicy(policy, path ? withField(resource, path, value) : resource)).messages;

describe("the Kubernetes workload rules", () => {
    it("are not applicable to Docker containers or to objects without a pod spec", async () => {
        const outcome = await runPolicy(k8sNoPrivilege, [happy(), happyK8s(K.service, "app")]);
        assert.deepEqual(outcome.notApplicable.map((n) => n.resource), ["app-1", "app"]);
    });
    it("say they cannot check until up what is unknown at preview, instead of reporting or passing it", async () => {
        const unknownTemplate = withField(app(), "spec.template", UNKNOWN_OBJECT);
        const unknownFlag = withField(app(), `${APP}.securityContext.allowPrivilegeEscalation`, UNKNOWN_BOOLEAN);
        for (const [resource, what] of [[unknownTemplate, "spec.template.spec"], [unknownFlag, "securityContext.allowPrivilegeEscalation"]] as const) {
            const outcome = await runPolicy(k8sNoPrivilege, resource);
            assert.deepEqual([outcome.messages, outcome.previewSkips.map((v) => v.detail)], [[],
                [`can't run policy 'k8s-no-privilege' from policy pack 'devsecops-journey@v0.1.0' during preview: cannot check until up: ${what} is unknown until up`]]);
        }
    });
});

describe("policy k8s-host-isolation", () => {
    it("passes a pod in its own namespaces with an emptyDir", async () => assert.deepEqual(await messagesOf(k8sHostIsolation), []));
    it("fails hostNetwork", async () => {
        assert.deepEqual(await messagesOf(k8sHostIsolation, `${POD}.hostNetwork`, true), [
            'deployment "app": spec.template.spec.hostNetwork is true, so the pod shares the node\'s network stack (every interface and port, and the kubelet on localhost); remove it',
        ]);
    });
    it("fails hostPID", async () => assert.match((await messagesOf(k8sHostIsolation, `${POD}.hostPID`, true)).join(), /hostPID is true, so the pod shares the node's processes/));
    it("fails a hostPath volume", async () => {
        assert.deepEqual(await messagesOf(k8sHostIsolation, `${POD}.volumes[0]`, { name: "logs", hostPath: { path: "/var/log" } }), [
            'deployment "app": spec.template.spec.volumes[0].hostPath mounts the node\'s "/var/log", which outlives the pod and escapes its isolation; use a PersistentVolumeClaim, an emptyDir or a projected volume',
        ]);
    });
    it("fails a hostPort", async () => {
        assert.deepEqual(await messagesOf(k8sHostIsolation, `${APP}.ports[0].hostPort`, 8080), [
            'deployment "app", container "app": spec.template.spec.containers[0].ports[0].hostPort is 8080, so the node itself listens on it; remove hostPort and expose the port through a Service',
        ]);
    });
});

describe("policy k8s-no-privilege", () => {
    it("passes a container that cannot escalate", async () => assert.deepEqual(await messagesOf(k8sNoPrivilege), []));
    it("fails a privileged container", async () => {
        assert.deepEqual(await messagesOf(k8sNoPrivilege, `${APP}.securityContext.privileged`, true), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.privileged is true, so it gets every device and capability of the node; remove it',
        ]);
    });
    it("fails allowPrivilegeEscalation left to its default, in an init container too", async () => {
        assert.deepEqual(await messagesOf(k8sNoPrivilege, `${POD}.initContainers[0].securityContext.allowPrivilegeEscalation`, undefined), [
            'deployment "app", container "wait-for-db": spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation is not set (true by default), so a setuid binary can gain privileges; set allowPrivilegeEscalation: false',
        ]);
    });
    it("checks a CronJob's pods under spec.jobTemplate", async () => {
        assert.deepEqual(await messagesOf(k8sNoPrivilege, `${CHAOS}.containers[0].securityContext.privileged`, true, chaos()), [
            'cron job "chaos", container "chaos": spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged is true, so it gets every device and capability of the node; remove it',
        ]);
    });
    it("checks a bare Pod's spec", async () => {
        const pod = k8s(K.pod, "debug", { metadata: { name: "debug", namespace: "lab-app" }, spec: { containers: [{ name: "sh", image: "busybox:1.37.0", securityContext: { privileged: true, allowPrivilegeEscalation: false } }] } });
        assert.match((await messagesOf(k8sNoPrivilege, undefined, undefined, pod)).join(), /^pod "debug", container "sh": spec\.containers\[0\]\.securityContext\.privileged is true/);
    });
});

describe("policy k8s-run-as-non-root", () => {
    it("passes runAsNonRoot and a uid set for the pod", async () => assert.deepEqual(await messagesOf(k8sRunAsNonRoot), []));
    it("fails runAsUser 0", async () => {
        assert.deepEqual(await messagesOf(k8sRunAsNonRoot, `${POD}.securityContext.runAsUser`, 0), [
            'deployment "app", container "wait-for-db": spec.template.spec.securityContext.runAsUser is 0 (root); set it to an unprivileged uid (e.g. 10001)',
            'deployment "app", container "app": spec.template.spec.securityContext.runAsUser is 0 (root); set it to an unprivileged uid (e.g. 10001)',
        ]);
    });
    it("fails a container that overrides the pod's runAsNonRoot", async () => {
        assert.deepEqual(await messagesOf(k8sRunAsNonRoot, `${APP}.securityContext.runAsNonRoot`, false), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.runAsNonRoot is false, so the kubelet starts it as root if the image says so; set it to true',
        ]);
    });
    it("fails runAsNonRoot set nowhere", async () => {
        const messages = await messagesOf(k8sRunAsNonRoot, `${POD}.securityContext.runAsNonRoot`, undefined);
        assert.equal(messages[1], 'deployment "app", container "app": neither spec.template.spec.containers[0].securityContext.runAsNonRoot nor spec.template.spec.securityContext.runAsNonRoot is set, so it runs as the image\'s user, root for most images; set runAsNonRoot: true');
    });
});

describe("policy k8s-capabilities", () => {
    it("passes drop ALL, plus NET_BIND_SERVICE added back", async () => {
        assert.deepEqual(await messagesOf(k8sCapabilities), []);
        assert.deepEqual(await messagesOf(k8sCapabilities, `${APP}.securityContext.capabilities.add`, ["NET_BIND_SERVICE"]), []);
    });
    it("fails a container that keeps the runtime's defaults", async () => {
        assert.deepEqual(await messagesOf(k8sCapabilities, `${APP}.securityContext.capabilities.drop`, ["NET_RAW"]), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.capabilities.drop does not contain ALL, so it keeps the runtime\'s defaults (CHOWN, NET_RAW, SETUID, ...); set capabilities: { drop: ["ALL"] }',
        ]);
    });
    it("fails SYS_ADMIN added back", async () => {
        assert.deepEqual(await messagesOf(k8sCapabilities, `${APP}.securityContext.capabilities.add`, ["SYS_ADMIN"]), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.capabilities.add[0] is SYS_ADMIN, which Pod Security "restricted" refuses (only NET_BIND_SERVICE may be added); remove it',
        ]);
    });
});

describe("policy k8s-seccomp", () => {
    it("passes RuntimeDefault for the pod, and Localhost for a container", async () => {
        assert.deepEqual(await messagesOf(k8sSeccomp), []);
        assert.deepEqual(await messagesOf(k8sSeccomp, `${APP}.securityContext.seccompProfile`, { type: "Localhost", localhostProfile: "app.json" }), []);
    });
    it("fails no seccomp profile anywhere", async () => {
        const messages = await messagesOf(k8sSeccomp, `${POD}.securityContext.seccompProfile`, undefined);
        assert.equal(messages.length, 2);
        assert.equal(messages[1], 'deployment "app", container "app": neither spec.template.spec.containers[0].securityContext.seccompProfile nor spec.template.spec.securityContext.seccompProfile is set, so it may run Unconfined; set seccompProfile: { type: RuntimeDefault }');
    });
    it("fails a container that opts out with Unconfined", async () => {
        assert.deepEqual(await messagesOf(k8sSeccomp, `${APP}.securityContext.seccompProfile`, { type: "Unconfined" }), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.seccompProfile.type is "Unconfined", so every system call is open to it; set it to RuntimeDefault (or Localhost with a profile)',
        ]);
    });
});

describe("policy k8s-readonly-rootfs", () => {
    it("passes a read-only root filesystem", async () => assert.deepEqual(await messagesOf(k8sReadonlyRootfs), []));
    it("fails a writable one", async () => {
        assert.deepEqual(await messagesOf(k8sReadonlyRootfs, `${APP}.securityContext.readOnlyRootFilesystem`, undefined), [
            'deployment "app", container "app": spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem is not set, so an intruder can rewrite the image\'s files; set it to true and mount an emptyDir where it must write',
        ]);
    });
});

describe("policy k8s-resources", () => {
    it("passes requests for cpu and memory and a memory limit", async () => assert.deepEqual(await messagesOf(k8sResources), []));
    it("fails no limits", async () => {
        assert.deepEqual(await messagesOf(k8sResources, `${APP}.resources.limits`, undefined), [
            'deployment "app", container "app": spec.template.spec.containers[0].resources lacks limits.memory, so it can take the node\'s memory from its neighbours; set resources.limits.memory',
        ]);
    });
    it("fails no resources at all", async () => {
        assert.deepEqual(await messagesOf(k8sResources, `${POD}.initContainers[0].resources`, undefined), [
            'deployment "app", container "wait-for-db": spec.template.spec.initContainers[0].resources lacks requests.cpu, requests.memory, limits.memory, so the scheduler places it blind and it can take the node\'s memory from its neighbours; set resources.requests.cpu, resources.requests.memory, resources.limits.memory',
        ]);
    });
});

describe("policy k8s-probes", () => {
    it("passes readiness and liveness probes (init containers take none)", async () => assert.deepEqual(await messagesOf(k8sProbes), []));
    it("fails a container without probes", async () => {
        const noReadiness = withField(app(), `${APP}.readinessProbe`, undefined);
        assert.deepEqual(await messagesOf(k8sProbes, `${APP}.livenessProbe`, undefined, noReadiness), [
            'deployment "app", container "app": spec.template.spec.containers[0] has no readinessProbe and no livenessProbe, so its Service sends traffic before it answers; set readinessProbe and livenessProbe (an HTTP or TCP check of its port)',
        ]);
    });
    it("fails a missing liveness probe", async () => {
        assert.match((await messagesOf(k8sProbes, `${APP}.livenessProbe`, undefined)).join(), /has no livenessProbe, so a hung process is never restarted/);
    });
    it("is not applicable to jobs, which run to completion", async () => {
        assert.equal((await runPolicy(k8sProbes, chaos())).notApplicable.length, 1);
    });
});

describe("policy k8s-image-tag", () => {
    it("passes a version tag, and a digest", async () => {
        assert.deepEqual(await messagesOf(k8sImageTag), []);
        assert.deepEqual(await messagesOf(k8sImageTag, `${APP}.image`, `app@sha256:${"a".repeat(64)}`), []);
    });
    it("fails :latest", async () => {
        assert.deepEqual(await messagesOf(k8sImageTag, `${APP}.image`, "app:latest"), [
            'deployment "app", container "app": spec.template.spec.containers[0].image "app:latest" uses the moving tag latest, so every node may pull something else; pin a version tag or a digest (e.g. app:1.2.3 or @sha256:...)',
        ]);
    });
    it("fails no tag, in an init container too", async () => {
        assert.deepEqual(await messagesOf(k8sImageTag, `${POD}.initContainers[0].image`, "registry:5000/busybox"), [
            'deployment "app", container "wait-for-db": spec.template.spec.initContainers[0].image "registry:5000/busybox" has no tag, which means latest, so every node may pull something else; pin a version tag or a digest (e.g. registry:5000/busybox:1.2.3 or @sha256:...)',
        ]);
    });
});
