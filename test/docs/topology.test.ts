/**
 * The topology the docs draw, for every stage in STAGES, checked against the profile and the
 * program's own declarations (published ports, instance counts): groups, nodes, ports and flows,
 * and the Mermaid text that carries them.
 */
import * as assert from "node:assert/strict";
import { STAGES } from "../../profiles/catalog";
import { parseLabConfig, publishedPorts } from "../../program/config";
import { KUBE_NAMESPACES, SERVICES } from "../../program/names";
import type { StageNumber } from "../../profiles/profile";
import { HOST_NODE, mermaidId, renderMermaid } from "../../tools/mermaid";
import { RecordedStage, recordStage } from "../../lab/stages";
import { Topology, nginxUpstreamHosts, prometheusTargets } from "../../lab/topology";

const flowsTo = (t: Topology, to: string, what: string) => t.flows.filter((f) => f.to === to && f.what === what).map((f) => f.from).sort();
const node = (t: Topology, pred: (n: Topology["nodes"][number]) => boolean) => t.nodes.filter(pred);

describe("docs: the topology diagram of every stage, from the program under mocks", () => {
    it("reads nginx upstream servers from a config text", () => {
        const conf = "http {\n    upstream app {\n        server app-1:8080 max_fails=1;  # app-1\n        server app-2.ns.svc:8080;\n    }\n    server { listen 8080; }\n}";
        assert.deepEqual(nginxUpstreamHosts(conf), ["app-1", "app-2.ns.svc"]);
        assert.deepEqual(nginxUpstreamHosts("server { listen 80; }"), []);
    });

    it("reads Prometheus's DNS service-discovery names from a config text", () => {
        const conf = "scrape_configs:\n  - job_name: app\n    dns_sd_configs:\n      - type: A\n        names:\n          - app-pods.devsecops-app.svc.cluster.local\n          - app-pods.devsecops-app-2.svc.cluster.local\n    relabel_configs:\n      - source_labels: [x]\n";
        assert.deepEqual(prometheusTargets(conf), ["app-pods.devsecops-app.svc.cluster.local", "app-pods.devsecops-app-2.svc.cluster.local"]);
        assert.deepEqual(prometheusTargets("global:\n  scrape_interval: 15s\n"), []);
    });

    for (const [stage, profile] of STAGES) {
        describe(`stage ${stage} (${profile.target})`, () => {
            let recorded: RecordedStage;
            let t: Topology;
            let mermaid: string;
            const lab = parseLabConfig((k) => (k === "stage" ? String(stage) : undefined));
            before(async () => {
                recorded = await recordStage(stage as StageNumber);
                t = recorded.topology;
                mermaid = renderMermaid(t);
            });

            it("draws every group as a subgraph, with every node inside one", () => {
                assert.ok(t.groups.length > 0);
                assert.equal((mermaid.match(/^ {4}subgraph /gm) ?? []).length, t.groups.length);
                assert.equal((mermaid.match(/^ {4}end$/gm) ?? []).length, t.groups.length);
                for (const n of t.nodes) {
                    assert.ok(n.group, `${n.id} is in no group`);
                    assert.ok(mermaid.includes(`        ${mermaidId(n.id)}`), `${n.id} is not drawn inside its subgraph`);
                }
            });

            if (profile.target === "docker") {
                it("draws the Docker networks as groups: one flat network, or edge, app and data with app and data internal", () => {
                    assert.ok(t.groups.every((g) => g.kind === "network"));
                    if (!profile.segmentation) {
                        assert.deepEqual(t.groups.map((g) => g.name), [`devsecops-s${stage}-network`]);
                    } else {
                        assert.deepEqual(t.groups.map((g) => [g.name, g.notes.includes("internal")]), [
                            [`devsecops-s${stage}-edge-network`, false],
                            [`devsecops-s${stage}-app-network`, true],
                            [`devsecops-s${stage}-data-network`, true],
                        ]);
                        assert.match(mermaid, new RegExp(`subgraph network_tiers_data\\["network devsecops-s${stage}-data-network \\(internal, 10\\.213\\.3\\.0/24\\)"\\]`));
                        assert.equal(node(t, (n) => n.id === SERVICES.nginx)[0].group, "tiers-edge");
                        assert.deepEqual(node(t, (n) => n.role === "app").map((n) => [n.group, n.alsoOn]),
                            Array(lab.appInstances).fill(["tiers-app", ["tiers-data"]]));
                    }
                });

                it("draws each app instance, and no seed container", () => {
                    assert.deepEqual(node(t, (n) => n.role === "app").map((n) => n.id), Array.from({ length: lab.appInstances }, (_, i) => `app-${i + 1}`));
                    assert.ok(!t.nodes.some((n) => n.id.endsWith("-files")));
                    assert.equal(t.nodes.some((n) => n.id === SERVICES.postgresReplica), profile.database.replica);
                    assert.equal(t.nodes.some((n) => n.id === SERVICES.redis), profile.cache);
                    assert.equal(t.nodes.some((n) => n.id === SERVICES.nginx), profile.loadBalancer === "nginx");
                    assert.equal(t.nodes.some((n) => n.id === SERVICES.vault), profile.secretsFrom === "vault");
                });

                it("draws exactly the host ports the stage publishes, on its bind address", () => {
                    const expected = publishedPorts(profile, lab.appInstances, lab.ports).map((p) => `${profile.publishAddress}:${p.port}`).sort();
                    assert.deepEqual(t.published.map((p) => p.host).sort(), expected);
                    for (const p of t.published) assert.ok(mermaid.includes(`    ${HOST_NODE} -->|"${p.host} → ${p.port}"| ${mermaidId(p.node)}`), p.host);
                    if (profile.loadBalancer === "nginx") assert.ok(t.published.every((p) => p.node === SERVICES.nginx), "only Nginx is published");
                });
            } else {
                it("draws the namespaces as groups, each with Pod Security restricted", () => {
                    assert.ok(t.groups.every((g) => g.kind === "namespace"));
                    for (const ns of [KUBE_NAMESPACES.edge, KUBE_NAMESPACES.app, KUBE_NAMESPACES.data]) {
                        const g = t.groups.find((x) => x.name === ns);
                        assert.ok(g, ns);
                        assert.deepEqual(g!.notes, ["Pod Security restricted"]);
                        assert.match(mermaid, new RegExp(`subgraph namespace_ns_${mermaidId(ns)}\\["namespace ${ns} \\(Pod Security restricted\\)"\\]`));
                    }
                    assert.equal(node(t, (n) => n.name === SERVICES.nginx)[0].group, `ns-${KUBE_NAMESPACES.edge}`);
                    assert.equal(node(t, (n) => n.name === SERVICES.postgresPrimary)[0].group, `ns-${KUBE_NAMESPACES.data}`);
                    assert.equal(node(t, (n) => n.role === "app").length, profile.kubernetes?.regions ?? 1);
                });

                it("draws the scrapes and the chaos job where the stage has them", () => {
                    const apps = node(t, (n) => n.role === "app").map((n) => n.id).sort();
                    const scraped = t.flows.filter((f) => f.what === "scrapes metrics").map((f) => f.to).sort();
                    const chaos = t.flows.filter((f) => f.what === "deletes a random pod").map((f) => f.to).sort();
                    if (profile.kubernetes?.observability) {
                        assert.deepEqual(scraped, [...apps, `${KUBE_NAMESPACES.edge}/${SERVICES.nginx}`].sort());
                    } else assert.deepEqual(scraped, []);
                    if (profile.kubernetes?.chaos) assert.deepEqual(chaos, [`${KUBE_NAMESPACES.app}/${SERVICES.app}`]);
                    else assert.deepEqual(chaos, []);
                });

                it("publishes only Nginx's HTTPS node port", () => {
                    assert.deepEqual(t.published.map((p) => [p.node, p.host]), [[`${KUBE_NAMESPACES.edge}/${SERVICES.nginx}`, `nodePort ${lab.kubernetes.edgeNodePort}`]]);
                    assert.ok(mermaid.includes(`${HOST_NODE} -->|"nodePort ${lab.kubernetes.edgeNodePort} → `));
                });
            }

            it("draws the data flows the stage wires: writes, replica reads, replication, cache, credentials, proxying", () => {
                const apps = node(t, (n) => n.role === "app").map((n) => n.id).sort();
                const id = (name: string) => node(t, (n) => n.name === name || n.id === name)[0]?.id;
                const primary = id(SERVICES.postgresPrimary);
                assert.deepEqual(flowsTo(t, primary, "writes (SQL)"), apps);
                if (profile.database.replica) {
                    assert.deepEqual(flowsTo(t, id(SERVICES.postgresReplica), "reads (SQL)"), apps);
                    assert.deepEqual(flowsTo(t, primary, "streaming replication"), [id(SERVICES.postgresReplica)]);
                } else {
                    assert.ok(!t.flows.some((f) => f.what === "streaming replication"));
                }
                assert.deepEqual(profile.cache ? flowsTo(t, id(SERVICES.redis), "cache-aside") : [], profile.cache ? apps : []);
                if (profile.secretsFrom === "vault") {
                    assert.deepEqual(flowsTo(t, id(SERVICES.vault), "reads its credentials"), apps);
                    assert.deepEqual(flowsTo(t, id(SERVICES.vault), "writes secrets and the app's policy"), [id("vault-bootstrap")]);
                }
                const proxied = t.flows.filter((f) => f.what === "proxies HTTP");
                if (profile.loadBalancer === "nginx") assert.deepEqual(proxied.map((f) => f.to).sort(), apps);
                else assert.deepEqual(proxied, []);
                for (const f of t.flows) assert.ok(mermaid.includes(`    ${mermaidId(f.from)} -->|"${f.what}"| ${mermaidId(f.to)}`), `${f.from} -> ${f.to}`);
            });
        });
    }
});
