import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CHAOS_ENV, renderChaosScript } from "../../renderers/chaos";
import { renderNginxConf } from "../../renderers/nginx";
import { renderPrometheusConfig } from "../../renderers/prometheus";
import { HEADERS } from "../../program/names";
import { type HttpUpstream, NEEDS, type NginxServer, freePort, skipUnless, startHttpUpstream, startNginx, waitFor } from "../support/servers";

/** What the shared renderers produce only for Kubernetes stages: backup upstreams, stub_status, Prometheus, chaos. */

describe("render/nginx for Kubernetes (pure)", () => {
    const regions = [
        { name: "region-1", host: "app.devsecops-app.svc.cluster.local", port: 8080 },
        { name: "region-2", host: "app.devsecops-app-2.svc.cluster.local", port: 8080, backup: true },
    ];

    it("marks later regions as backup servers, and refuses an upstream made of backups only", () => {
        const conf = renderNginxConf({ upstreams: regions });
        assert.match(conf, /server app\.devsecops-app\.svc\.cluster\.local:8080 max_fails=1 fail_timeout=5s;  # region-1/);
        assert.match(conf, /server app\.devsecops-app-2\.svc\.cluster\.local:8080 max_fails=1 fail_timeout=5s backup;  # region-2/);
        assert.throws(() => renderNginxConf({ upstreams: [regions[1]] }), /at least one upstream that is not a backup/);
    });

    it("serves stub_status on loopback only, and only when asked", () => {
        assert.doesNotMatch(renderNginxConf({ upstreams: regions }), /stub_status/);
        const conf = renderNginxConf({ upstreams: regions, statusPort: 8081 });
        assert.match(conf, /listen 127\.0\.0\.1:8081;\s+access_log off;\s+location = \/stub_status \{\s+stub_status;/);
        assert.throws(() => renderNginxConf({ upstreams: regions, statusPort: 8080 }), /statusPort 8080 must differ/);
        assert.throws(() => renderNginxConf({ upstreams: regions, statusPort: 70000 }), /not a TCP port/);
    });
});

describe("render/nginx for Kubernetes against a real nginx", () => {
    let primary: HttpUpstream;
    let backup: HttpUpstream;
    let nginx: NginxServer;
    let statusPort: number;

    before(async function () {
        skipUnless(this, NEEDS.nginx);
        primary = await startHttpUpstream("region-1");
        backup = await startHttpUpstream("region-2");
        statusPort = await freePort();
        nginx = await startNginx((ctx) => renderNginxConf({
            listenPort: ctx.port, listenAddress: "127.0.0.1", paths: ctx.paths, user: ctx.user, statusPort,
            upstreams: [
                { name: "region-1", host: primary.host, port: primary.port },
                { name: "region-2", host: backup.host, port: backup.port, backup: true },
            ],
        }));
    });
    after(async () => {
        await nginx?.stop();
        await primary?.close();
        await backup?.close();
    });

    it("sends nothing to the backup region while the first answers, everything once it is gone", async () => {
        for (let i = 0; i < 5; i++) assert.equal(await (await fetch(nginx.url("/api/items"))).text(), "region-1");
        assert.equal(backup.hits, 0);
        await primary.stop();
        for (let i = 0; i < 5; i++) {
            const response = await fetch(nginx.url("/api/items"));
            assert.equal(response.status, 200);
            assert.equal(await response.text(), "region-2", "failover, and no request fails");
            assert.ok(response.headers.get(HEADERS.upstream)?.includes(String(backup.port)));
        }
        await primary.restart();
        await waitFor("traffic back on region 1", async () => (await (await fetch(nginx.url("/"))).text()) === "region-1", { timeoutMs: 10_000 });
    });

    it("answers stub_status on loopback for the exporter", async () => {
        const text = await (await fetch(`http://127.0.0.1:${statusPort}/stub_status`)).text();
        assert.match(text, /^Active connections: \d+/);
        assert.match(text, /server accepts handled requests\n\s*\d+ \d+ \d+/);
    });
});

describe("render/prometheus (pure)", () => {
    it("renders YAML that scrapes each job by DNS, with the namespace as a label", () => {
        const text = renderPrometheusConfig({
            jobs: [
                { name: "app", dnsNames: ["app-pods.devsecops-app.svc.cluster.local", "app-pods.devsecops-app-2.svc.cluster.local"], port: 8080 },
                { name: "nginx", dnsNames: ["nginx-pods.devsecops-edge.svc.cluster.local"], port: 9113 },
            ],
        });
        const conf = yaml.load(text) as any;
        assert.equal(conf.global.scrape_interval, "15s");
        assert.deepEqual(conf.scrape_configs.map((j: any) => [j.job_name, j.metrics_path, j.dns_sd_configs[0].type, j.dns_sd_configs[0].port]),
            [["app", "/metrics", "A", 8080], ["nginx", "/metrics", "A", 9113]]);
        const relabel = conf.scrape_configs[0].relabel_configs[0];
        assert.equal(relabel.target_label, "namespace");
        assert.equal("app-pods.devsecops-app-2.svc.cluster.local".replace(new RegExp(`^${relabel.regex}$`), "$1"), "devsecops-app-2");
    });

    it("refuses values that would break the YAML", () => {
        assert.throws(() => renderPrometheusConfig({ jobs: [] }), /at least one job/);
        assert.throws(() => renderPrometheusConfig({ jobs: [{ name: "app", dnsNames: ["a b"], port: 1 }] }), /not a host name/);
        assert.throws(() => renderPrometheusConfig({ jobs: [{ name: "App!", dnsNames: ["a"], port: 1 }] }), /lower-case name/);
        assert.throws(() => renderPrometheusConfig({ jobs: [{ name: "app", dnsNames: ["a"], port: 1 }], scrapeInterval: "soon" }), /must look like 15s/);
    });
});

describe("render/chaos against a stand-in kubectl", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-"));
        fs.writeFileSync(path.join(dir, "chaos.sh"), renderChaosScript());
        // Records its arguments; `get` answers with the pods in $PODS (one per line).
        fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\necho "$*" >> "${dir}/calls"\nif [ "$1" = get ]; then printf '%s' "$PODS"; fi\n`, { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const chaos = (pods: string, env: Record<string, string> = { [CHAOS_ENV.namespace]: "devsecops-app", [CHAOS_ENV.selector]: "devsecops-journey/service=app" }) => {
        fs.rmSync(path.join(dir, "calls"), { force: true });
        const out = execFileSync("sh", [path.join(dir, "chaos.sh")], {
            env: { PATH: `${dir}:/usr/bin:/bin`, PODS: pods, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
        });
        const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
        return { out, calls };
    };

    it("lists running pods by the selector and deletes exactly one of them", () => {
        const pods = ["pod/app-a", "pod/app-b", "pod/app-c"];
        const deleted = new Set<string>();
        for (let i = 0; i < 12; i++) {
            const { calls, out } = chaos(pods.join("\n") + "\n");
            assert.equal(calls.length, 2, out);
            assert.equal(calls[0], "get pods -n devsecops-app -l devsecops-journey/service=app --field-selector=status.phase=Running -o name");
            const match = /^delete -n devsecops-app (pod\/app-[abc]) --wait=false$/.exec(calls[1]);
            assert.ok(match, calls[1]);
            deleted.add(match[1]);
        }
        assert.ok(deleted.size >= 1);
    });

    it("does nothing when no pod runs, and refuses to run without its target", () => {
        const { calls, out } = chaos("");
        assert.deepEqual(calls.map((c) => c.split(" ")[0]), ["get"]);
        assert.match(out, /no running pod matches/);
        assert.throws(() => chaos("pod/x\n", {}), /TARGET_NAMESPACE must be set/);
    });
});
