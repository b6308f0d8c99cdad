import { runProgramExpectingError, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, LabConfigError, SETTINGS, type Setting } from "../../program/config";
import { renderConfigBlock, renderConfigFiles, renderConfigTable, renderPulumiYaml } from "../../tools/config-files";

const ROOT = path.resolve(__dirname, "..", "..");

/** Each bad value stops the program before any resource, with one line naming key, value and rule. */
const BAD: { name: string; config: Record<string, string>; key: string; value: string; allowed: RegExp }[] = [
    { name: "an unknown stage", config: { stage: "7" }, key: "stage", value: '"7"', allowed: /1 to 6/ },
    { name: "stage 0", config: { stage: "0" }, key: "stage", value: '"0"', allowed: /1 to 6/ },
    { name: "stage 3.5", config: { stage: "3.5" }, key: "stage", value: '"3.5"', allowed: /whole number from 1 to 6/ },
    { name: 'stage "three"', config: { stage: "three" }, key: "stage", value: '"three"', allowed: /whole number/ },
    { name: "an edge NodePort outside the NodePort range", config: { stage: "5", edgeNodePort: "8443" }, key: "edgeNodePort", value: '"8443"', allowed: /from 30000 to 32767/ },
    { name: "a kube context with a space", config: { stage: "5", kubeContext: "kind devsecops" }, key: "kubeContext", value: '"kind devsecops"', allowed: /a context name from kubectl config get-contexts/ },
    { name: "an empty kube context", config: { stage: "6", kubeContext: "" }, key: "kubeContext", value: '""', allowed: /a context name/ },
    { name: "a registry with a scheme", config: { stage: "5", appRegistry: "http://localhost:5001" }, key: "appRegistry", value: '"http://localhost:5001"', allowed: /a registry host\[:port\], e\.g\. localhost:5001/ },
    { name: "a kubeconfig of two lines", config: { stage: "5", kubeconfig: "a\nb" }, key: "kubeconfig", value: '"a\\nb"', allowed: /is not a file path/ },
    { name: "a Prometheus image on latest", config: { stage: "6", prometheusImage: "prom/prometheus:latest" }, key: "prometheusImage", value: '"prom/prometheus:latest"', allowed: /moving tag latest/ },
    { name: "a kubectl image without a tag", config: { stage: "6", kubectlImage: "alpine/k8s" }, key: "kubectlImage", value: '"alpine/k8s"', allowed: /has no tag/ },
    { name: "an exporter image that is empty", config: { stage: "6", nginxExporterImage: "" }, key: "nginxExporterImage", value: '""', allowed: /is empty/ },
    { name: "replicas 0", config: { stage: "2", appReplicas: "0" }, key: "appReplicas", value: '"0"', allowed: /from 2 to 9/ },
    { name: "replicas 100", config: { stage: "2", appReplicas: "100" }, key: "appReplicas", value: '"100"', allowed: /from 2 to 9/ },
    { name: "replicas 2.5", config: { stage: "2", appReplicas: "2.5" }, key: "appReplicas", value: '"2.5"', allowed: /whole number/ },
    { name: "a privileged port", config: { stage: "1", appHostPort: "80" }, key: "appHostPort", value: '"80"', allowed: /from 1024 to 65535/ },
    { name: "a port past 65535", config: { stage: "1", dbHostPort: "70000" }, key: "dbHostPort", value: '"70000"', allowed: /from 1024 to 65535/ },
    {
        name: "a port taken twice",
        config: { stage: "1", appHostPort: "15432" },
        key: "dbHostPort", value: "15432", allowed: /devsecops:appHostPort already gives to app instance 1/,
    },
    {
        name: "an instance port range running into the database port",
        config: { stage: "2", appHostPort: "15430" },
        key: "dbHostPort", value: "15432", allowed: /already gives to app instance 3/,
    },
    {
        name: "an instance range past 65535",
        config: { stage: "2", appHostPort: "65534" },
        key: "appHostPort", value: "65534", allowed: /app instance 3 on port 65536/,
    },
    { name: "an empty image", config: { stage: "1", postgresImage: "" }, key: "postgresImage", value: '""', allowed: /is empty: use an image pinned/ },
    { name: "an image on latest", config: { stage: "3", nginxImage: "nginx:latest" }, key: "nginxImage", value: '"nginx:latest"', allowed: /moving tag latest/ },
    { name: "an image without a tag", config: { stage: "3", redisImage: "redis" }, key: "redisImage", value: '"redis"', allowed: /has no tag/ },
    {
        name: "a registry port mistaken for a tag",
        config: { stage: "1", appImage: "registry.local:5000/app" },
        key: "appImage", value: '"registry.local:5000/app"', allowed: /has no tag/,
    },
    { name: "a misspelt key", config: { stage: "1", appReplica: "3" }, key: "appReplica", value: "", allowed: /did you mean devsecops:appReplicas\?/ },
];

describe("config validation", () => {
    for (const bad of BAD) {
        it(`rejects ${bad.name} with one line, before any resource`, async () => {
            const { error, resources } = await runProgramExpectingError(bad.config);
            assert.ok(error instanceof LabConfigError, `expected a LabConfigError, got ${error.stack}`);
            assert.ok(pulumi.RunError.isInstance(error), "Pulumi prints a RunError without a stack trace");
            assert.equal(error.message.includes("\n"), false, `more than one line: ${error.message}`);
            assert.match(error.message, new RegExp(`${CONFIG_NAMESPACE}:${bad.key}\\b`));
            assert.ok(error.message.includes(bad.value), `the value ${bad.value} is not named: ${error.message}`);
            assert.match(error.message, bad.allowed);
            assert.deepEqual(resources.map((r) => r.name), []);
        });
    }

    it("tells a missing stage how to pick one", async () => {
        const { error } = await runProgramExpectingError({});
        assert.match(error.message, /devsecops:stage is not set: select a stage's stack \(pulumi stack select stage1\)/);
    });

    it("reads the Kubernetes settings: context, kubeconfig, NodePort, registry (stage 5)", async () => {
        const run = await runProgram({ stage: "5", kubeContext: "my-cluster", kubeconfig: "/home/me/.kube/lab", edgeNodePort: "31443", appRegistry: "registry.lab:5000" });
        const provider = run.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.equal(provider.inputs.context, "my-cluster");
        assert.equal(provider.inputs.kubeconfig, "/home/me/.kube/lab");
        const edge = run.resources.find((r) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata.name === "nginx")!;
        assert.equal(edge.inputs.spec.ports[0].nodePort, 31443);
        const image = run.resources.find((r) => r.type === "docker:index/image:Image")!;
        assert.match(image.inputs.imageName, /^registry\.lab:5000\/devsecops-journey\/app:[0-9a-f]{12}$/);
    });

    it("accepts a digest-pinned image and a registry with a port", async () => {
        const run = await runProgram({
            stage: "1",
            postgresImage: "postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            appImage: "registry.local:5000/devsecops/app:1.2.3",
        });
        assert.ok(run.resources.some((r) => r.inputs.name === "registry.local:5000/devsecops/app:1.2.3" || r.inputs.image === "registry.local:5000/devsecops/app:1.2.3"));
    });
});

describe("Pulumi.yaml and the stack files", () => {
    const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as any;

    it("names the project after the config namespace, keeping its hand-written header and runtime", () => {
        assert.equal(project.name, CONFIG_NAMESPACE);
        assert.equal(project.runtime.name, "nodejs");
        assert.match(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"), /^# devsecops-journey: one Pulumi project/);
    });

    it("Pulumi.yaml's config block and the README's table are what `npm run docs` writes (run it after changing SETTINGS)", () => {
        for (const { file, text } of renderConfigFiles()) {
            assert.equal(fs.readFileSync(file, "utf8"), text, `${path.relative(ROOT, file)} is stale: run npm run docs`);
        }
    });

    it("declares every setting with the program's type, default and description, and nothing else", () => {
        const declared = Object.entries(project.config).map(([key, d]: [string, any]) => ({ key, ...d }));
        const expected = Object.entries(SETTINGS).map(([key, s]: [string, Setting]) => ({
            key, type: s.type, ...(s.default === undefined ? {} : { default: s.default }), description: s.description,
        }));
        assert.deepEqual(declared, expected);
    });

    it("README has one row per setting, with its default and meaning", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        for (const [key, setting] of Object.entries(SETTINGS) as [string, Setting][]) {
            const rows = readme.split("\n").filter((line) => line.startsWith(`| \`${CONFIG_NAMESPACE}:${key}\` |`));
            assert.equal(rows.length, 1, `README rows for ${CONFIG_NAMESPACE}:${key}`);
            assert.ok(rows[0].includes(setting.default === undefined ? "none" : setting.default === "" ? "| empty |" : `\`${setting.default}\``), rows[0]);
            assert.ok(rows[0].includes(setting.description), rows[0]);
        }
    });

    describe("the generator", () => {
        const tricky: Record<string, Setting> = {
            colon: { type: "string", default: "a: b", description: "has a colon: and # a hash" },
            numeric: { type: "string", default: "3", description: "a string that looks like a number" },
            boolean: { type: "string", default: "true", description: "`backticks` first, and 'quotes\" inside" },
            empty: { type: "string", default: "", description: "an empty default" },
            required: { type: "integer", description: "no default | a pipe" },
            port: { type: "integer", default: 8080, description: "a number" },
        };

        it("quotes values so that YAML reads back exactly the settings", () => {
            const parsed = yaml.load(renderConfigBlock(tricky)) as any;
            assert.deepEqual(Object.keys(parsed), ["config"]);
            for (const [key, s] of Object.entries(tricky)) {
                assert.deepEqual(parsed.config[key], { type: s.type, ...(s.default === undefined ? {} : { default: s.default }), description: s.description }, key);
            }
        });

        it("escapes a pipe in the table and names a missing default", () => {
            const table = renderConfigTable(tricky);
            assert.ok(table.includes("| `devsecops:required` | none: each stack file sets it | no default \\| a pipe |"), table);
            assert.ok(table.includes("| `devsecops:empty` | empty | an empty default |"));
        });

        it("replaces only the part between the markers, and refuses a file without them", () => {
            const current = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
            const edited = current.replace("  stage:\n", "  stage:\n    secret: true\n").replace("runtime:", "# a note of mine\nruntime:");
            const regenerated = renderPulumiYaml(edited);
            assert.ok(regenerated.includes("# a note of mine\nruntime:"), "hand-written parts survive");
            assert.ok(!regenerated.includes("secret: true"), "the generated part is rewritten");
            assert.throws(() => renderPulumiYaml("name: devsecops\n"), /^Error: Pulumi\.yaml must hold the generated config part once, between "# BEGIN GENERATED: config/);
        });
    });

    for (const stage of [1, 2, 3, 4, 5, 6]) {
        it(`Pulumi.stage${stage}.yaml selects stage ${stage}`, () => {
            const stack = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.stage${stage}.yaml`), "utf8")) as any;
            assert.equal(String(stack.config[`${CONFIG_NAMESPACE}:stage`]), String(stage));
        });
    }
});
