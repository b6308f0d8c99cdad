import * as assert from "node:assert/strict";
import { dataNetworkInternal } from "../../policy-pack/policies/data-network-internal";
import { dataPortsNotPublished } from "../../policy-pack/policies/data-ports-not-published";
import { dockerPortsLocalhost } from "../../policy-pack/policies/docker-ports-localhost";
import { dockerUserNetwork } from "../../policy-pack/policies/docker-user-network";
import { tlsAtEdge } from "../../policy-pack/policies/tls-at-edge";
import { LABELS, PROJECT } from "../../program/names";
import { runPolicy } from "../support/policy-harness";
import { TYPES } from "../support/topology";
import { TLS_NGINX_CONF, happy, happyStack, stackWith, stackWithout, withInputs } from "./fixtures";

const loopback = (internal: number, external = internal) => [{ internal, external, ip: "127.0.0.1", protocol: "tcp" }];

describe("policy docker-user-network (stack)", () => {
    it("passes containers on the stack's own networks", async () => {
        assert.deepEqual((await runPolicy(dockerUserNetwork, happyStack())).messages, []);
    });
    it("passes a container on the stack's network that the provider reports as networkMode \"bridge\"", async () => {
        // The docker provider's Check fills networkMode "bridge" and Read keeps reporting it after
        // the container moved onto networksAdvanced (lab/provider-defaults.ts cites the source).
        const stack = stackWith("redis", { networkMode: "bridge" });
        for (const preview of [false, true]) assert.deepEqual((await runPolicy(dockerUserNetwork, stack, {}, { preview })).messages, [], `preview: ${preview}`);
    });
    it("fails networkMode \"bridge\" when no networksAdvanced moves the container off it", async () => {
        assert.deepEqual((await runPolicy(dockerUserNetwork, stackWith("redis", { networkMode: "bridge", networksAdvanced: [] }))).messages, [
            'container "redis": networkMode "bridge" and no networksAdvanced put it on Docker\'s default bridge, where every container can reach it; attach it with networksAdvanced to a docker.Network of the stack (devsecops-s4-edge, devsecops-s4-data)',
        ]);
    });
    it("fails a container without networks (Docker's default bridge)", async () => {
        assert.deepEqual((await runPolicy(dockerUserNetwork, stackWith("redis", { networksAdvanced: undefined }))).messages, [
            'container "redis": networkMode "bridge" and no networksAdvanced put it on Docker\'s default bridge, where every container can reach it; attach it with networksAdvanced to a docker.Network of the stack (devsecops-s4-edge, devsecops-s4-data)',
        ]);
    });
    it("fails a network the stack does not declare", async () => {
        const { messages, mandatory } = await runPolicy(dockerUserNetwork, stackWith("redis", { networksAdvanced: [{ name: "bridge" }] }));
        assert.deepEqual(messages, [
            'container "redis": networksAdvanced[0] names "bridge", which is Docker\'s default bridge; attach it to one the stack declares (devsecops-s4-edge, devsecops-s4-data)',
        ]);
        assert.equal(mandatory[0].resource, "redis");
    });
});

describe("policy docker-ports-localhost", () => {
    it("passes a loopback, unprivileged port", async () => {
        assert.deepEqual((await runPolicy(dockerPortsLocalhost, happy("nginx"))).messages, []);
    });
    it("fails a port on every interface", async () => {
        const c = withInputs(happy(), { ports: [{ internal: 8080, external: 8081, ip: "0.0.0.0" }] });
        assert.deepEqual((await runPolicy(dockerPortsLocalhost, c)).messages, [
            'container "app-1": ports[0] (0.0.0.0:8081->8080) is published on 0.0.0.0, so any machine that reaches the host reaches it; set ip: "127.0.0.1"',
        ]);
    });
    it("fails a port without ip: the provider's Check makes it 0.0.0.0, every interface", async () => {
        const c = withInputs(happy(), { ports: [{ internal: 8080, external: 8081 }] });
        assert.deepEqual((await runPolicy(dockerPortsLocalhost, c)).messages, [
            'container "app-1": ports[0] (0.0.0.0:8081->8080) is published on 0.0.0.0, so any machine that reaches the host reaches it; set ip: "127.0.0.1"',
        ]);
    });
    it("fails a privileged host port", async () => {
        const c = withInputs(happy(), { ports: loopback(8080, 80) });
        assert.deepEqual((await runPolicy(dockerPortsLocalhost, c)).messages, [
            'container "app-1": ports[0] (127.0.0.1:80->8080) takes the privileged host port 80; publish on 1024 or above',
        ]);
    });
});

describe("policy data-ports-not-published (stack)", () => {
    it("passes data services without ports", async () => {
        assert.deepEqual((await runPolicy(dataPortsNotPublished, happyStack())).messages, []);
    });
    it("fails a Postgres that publishes a port, known by its image", async () => {
        const stack = stackWith("postgres-primary", { ports: loopback(5432, 15432), labels: [] });
        assert.deepEqual((await runPolicy(dataPortsNotPublished, stack)).messages, [
            'container "postgres-primary" (postgres, a data service) publishes ports[0] 127.0.0.1:15432->5432; remove ports and reach it from its network (docker exec), so only the entry point faces the host',
        ]);
    });
    it("fails a container labelled tier=data whatever it runs", async () => {
        const stack = stackWith("app-1", { ports: loopback(8080), labels: [{ label: LABELS.project, value: PROJECT }, { label: LABELS.tier, value: "data" }] });
        assert.match((await runPolicy(dataPortsNotPublished, stack)).messages.join(), /^container "app-1" \(app, a data service\) publishes/);
    });
    it("knows the image at preview through the container's dependency on its RemoteImage", async () => {
        const stack = stackWith("redis", { ports: loopback(6379), labels: [] });
        const outcome = await runPolicy(dataPortsNotPublished, stack, {}, { preview: true });
        assert.deepEqual([outcome.mandatory.map((v) => v.resource), outcome.previewSkips], [["redis"], []]);
    });
});

describe("policy data-network-internal (stack)", () => {
    it("passes data services on an internal network", async () => {
        assert.deepEqual((await runPolicy(dataNetworkInternal, happyStack())).messages, []);
    });
    it("fails the data network when it is not internal", async () => {
        const stack = stackWith("data-network", { internal: false }, TYPES.network);
        const { mandatory } = await runPolicy(dataNetworkInternal, stack);
        assert.deepEqual(mandatory.map((v) => [v.resource, v.detail]), [["data-network",
            'network "data-network" (devsecops-s4-data) holds data services postgres-primary, postgres-replica, redis but internal is not true, so it routes them to and from the outside; give the data tier an internal: true network of its own and attach only the app to it']]);
    });
    it("says at preview that it cannot check a data network whose internal the program leaves out, and fails it at up", async () => {
        // internal is Optional+Computed in the provider's schema: left out, it is unknown until the network exists.
        const stack = stackWith("data-network", { internal: undefined }, TYPES.network);
        const preview = await runPolicy(dataNetworkInternal, stack, {}, { preview: true });
        assert.deepEqual(preview.messages, []);
        assert.match(preview.previewSkips.map((v) => v.detail).join(), /cannot check until up: network "data-network" holds data services postgres-primary, postgres-replica, redis; its internal is unknown until up/);
        const up = await runPolicy(dataNetworkInternal, stack);
        assert.deepEqual([up.mandatory.map((v) => v.resource), up.previewSkips], [["data-network"], []]);
    });
    it("fails the edge network once a data service joins it", async () => {
        const stack = stackWith("redis", { networksAdvanced: [{ name: "devsecops-s4-data" }, { name: "devsecops-s4-edge" }] });
        assert.match((await runPolicy(dataNetworkInternal, stack)).messages.join(), /^network "edge-network" \(devsecops-s4-edge\) holds data services redis/);
    });
});

describe("policy tls-at-edge (stack)", () => {
    const conf = (content: string) => ({ uploads: [{ file: "/etc/nginx/nginx.conf", content }] });
    const edgeWith = (patch: Record<string, unknown>) => stackWith("nginx", patch);

    it("passes an edge that serves TLS and only redirects plain HTTP", async () => {
        assert.deepEqual((await runPolicy(tlsAtEdge, happyStack())).messages, []);
        assert.deepEqual((await runPolicy(tlsAtEdge, edgeWith({ ports: [...loopback(8443), ...loopback(8080)] }))).messages, []);
    });
    it("passes a plain-HTTP default server that only refuses (unknown Hosts), and fails one that neither refuses nor redirects", async () => {
        const refusing = `${TLS_NGINX_CONF}\nhttp { server { listen 8080 default_server; location / { return 421; } } }\n`;
        const ports = [...loopback(8443), ...loopback(8080)];
        assert.deepEqual((await runPolicy(tlsAtEdge, edgeWith({ ...conf(refusing), ports }))).messages, []);
        const silent = refusing.replace("return 421;", "default_type text/plain;");
        assert.match((await runPolicy(tlsAtEdge, edgeWith({ ...conf(silent), ports }))).messages.join(), /plain-HTTP server on published port 8080 does not redirect/);
    });
    it("fails an edge that publishes a plain-HTTP port", async () => {
        assert.deepEqual((await runPolicy(tlsAtEdge, edgeWith({ ports: loopback(8080) }))).messages, [
            'container "nginx": ports publish 8080, where nginx.conf listens without TLS, so traffic crosses the network in clear; add "listen <port> ssl;" with ssl_certificate and ssl_certificate_key, and publish that port',
        ]);
    });
    it("fails a plain-HTTP server that proxies instead of redirecting", async () => {
        const proxying = TLS_NGINX_CONF.replace("return 301 https://$host:8443$request_uri;", "proxy_pass http://app;");
        const stack = edgeWith({ ...conf(proxying), ports: [...loopback(8443), ...loopback(8080)] });
        assert.deepEqual((await runPolicy(tlsAtEdge, stack)).messages, [
            'container "nginx": nginx.conf\'s plain-HTTP server on published port 8080 serves content (proxy_pass) instead of only redirecting; make it "return 301 https://$host$request_uri;"',
        ]);
    });
    it("reads nginx.conf from a volume a seed container fills (stage 4's read-only config)", async () => {
        const seed = withInputs(happy("nginx"), {
            start: false, ports: [], volumes: [{ volumeName: "edge-conf", containerPath: "/seed/" }],
            uploads: [{ file: "/seed/nginx.conf", content: TLS_NGINX_CONF.replace("listen 8443 ssl;", "listen 8443;") }],
        });
        const stack = [...edgeWith({ uploads: undefined, volumes: [{ volumeName: "edge-conf", containerPath: "/etc/nginx/lab", readOnly: true }] }),
            { ...seed, name: "nginx-files" }];
        assert.match((await runPolicy(tlsAtEdge, stack)).messages.join(), /^container "nginx": ports publish 8443, where nginx.conf listens without TLS/);
    });
    it("fails an edge without an nginx.conf to read", async () => {
        assert.match((await runPolicy(tlsAtEdge, edgeWith({ uploads: undefined }))).messages.join(), /has no nginx.conf the pack can read/);
    });
    it("is not applicable to a stack without an edge", async () => {
        assert.equal((await runPolicy(tlsAtEdge, stackWithout("nginx"))).notApplicable.length, 1);
    });
});
