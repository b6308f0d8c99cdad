import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { SETTINGS } from "../../program/config";
import { KUBERNETES } from "../../program/names";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** kind-config.yaml and scripts/kind-up.sh agree with the program's config and with kind's recipe. */
describe("the kind cluster files", () => {
    const kind = yaml.load(read("kind-config.yaml")) as any;
    const script = read("scripts/kind-up.sh");

    it("names the cluster whose context the provider uses by default", () => {
        assert.equal(kind.kind, "Cluster");
        assert.equal(kind.apiVersion, "kind.x-k8s.io/v1alpha4");
        assert.equal(kind.name, KUBERNETES.clusterName);
        assert.equal(SETTINGS.kubeContext.default, `kind-${kind.name}`);
    });

    it("maps the edge's NodePorts to the HTTPS host port (and, for a profile without TLS, the HTTP one), on 127.0.0.1 only", () => {
        assert.equal(kind.nodes.length, 1);
        assert.deepEqual(kind.nodes[0].extraPortMappings, [
            { containerPort: SETTINGS.edgeNodePort.default, hostPort: SETTINGS.edgeTlsHostPort.default, listenAddress: "127.0.0.1", protocol: "TCP" },
            { containerPort: SETTINGS.edgeHttpNodePort.default, hostPort: SETTINGS.edgeHostPort.default, listenAddress: "127.0.0.1", protocol: "TCP" },
        ]);
        assert.equal(kind.networking.apiServerAddress, "127.0.0.1");
    });

    it("pins the node image by digest, and keeps the chaos job's kubectl within one minor of it", () => {
        const image: string = kind.nodes[0].image;
        const m = /^kindest\/node:v1\.(\d+)\.\d+@sha256:[0-9a-f]{64}$/.exec(image);
        assert.ok(m, `${image} is not pinned by digest`);
        const kubectl = /:(\d+)\.(\d+)\.\d+$/.exec(String(SETTINGS.kubectlImage.default));
        assert.ok(kubectl && kubectl[1] === "1" && Math.abs(Number(kubectl[2]) - Number(m[1])) <= 1,
            `${SETTINGS.kubectlImage.default} is more than one minor from the node's 1.${m[1]}: kubectl's version skew policy`);
    });

    it("spells out the pod network that pg_hba admits", () => {
        assert.equal(kind.networking.podSubnet, KUBERNETES.podCidr);
    });

    it("follows kind's local-registry recipe for the registry the program pushes to", () => {
        assert.match(kind.containerdConfigPatches[0], /config_path = "\/etc\/containerd\/certs\.d"/);
        const port = SETTINGS.appRegistry.default.split(":")[1];
        assert.match(script, new RegExp(`reg_port="${port}"`));
        assert.match(script, /-p "127\.0\.0\.1:\$\{reg_port\}:5000"/);
        assert.match(script, /certs\.d\/localhost:\$\{reg_port\}/);
        assert.match(script, /docker network connect kind/);
        assert.match(script, /local-registry-hosting/);
        assert.match(script, /kind create cluster --config "\$config"/);
        assert.match(script, /registry:\d+\.\d+\.\d+/, "the registry image is pinned");
    });

    it("installs a pinned metrics-server: without it the HPA never sees CPU on kind", () => {
        assert.match(script, /metrics_server="\$\{METRICS_SERVER_VERSION:-v\d+\.\d+\.\d+\}"/);
        assert.match(script, /metrics-server\/releases\/download\/\$\{metrics_server\}\/components\.yaml/);
        assert.match(script, /--kubelet-insecure-tls/);
    });

    it("is a valid POSIX sh script, executable", () => {
        execFileSync("sh", ["-n", path.join(ROOT, "scripts/kind-up.sh")]);
        assert.ok(fs.statSync(path.join(ROOT, "scripts/kind-up.sh")).mode & 0o100);
    });

    it("is what the README tells a learner to run", () => {
        const readme = read("README.md");
        assert.match(readme, /scripts\/kind-up\.sh/);
        assert.match(readme, /pulumi stack select --create stage5/);
    });
});
