import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { SETTINGS } from "../../program/config";
import { KUBE_NAMESPACES, LABELS, METRICS_PORTS } from "../../program/names";
import { STAGES } from "../../profiles/catalog";
import { KUBE_TYPES, containersOf, kind, object, podTemplate, ref, workloads } from "../support/kube";

const { edge, app, appRegion2, data, ops } = KUBE_NAMESPACES;

describe("stage 6 (Enterprise) on Kubernetes", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "6" });
    });

    it("is stage 5 plus a second region, Prometheus and chaos: these workloads", () => {
        assert.deepEqual(workloads(run).map((w) => `${w.type.split(":").pop()} ${ref(w)}`).sort(), [
            `CronJob ${ops}/chaos`, `CronJob ${data}/postgres-backup`, `CronJob ${data}/postgres-restore-drill`,
            `Deployment ${app}/app`, `Deployment ${appRegion2}/app`, `Deployment ${data}/redis`, `Deployment ${data}/vault`,
            `Deployment ${edge}/nginx`, `Deployment ${ops}/prometheus`,
            `Job ${data}/vault-bootstrap`, `StatefulSet ${data}/postgres-primary`, `StatefulSet ${data}/postgres-replica`,
        ].sort());
        assert.deepEqual(kind(run, KUBE_TYPES.namespace).map((n) => n.inputs.metadata.name).sort(), [app, appRegion2, data, edge, ops].sort());
    });

    it("runs the second region like the first: its own HPA, PDB, ServiceAccount and Vault token", () => {
        for (const ns of [app, appRegion2]) {
            const d = object(run, KUBE_TYPES.deployment, ns, "app");
            assert.equal(podTemplate(d).metadata.labels[LABELS.region], ns === app ? "1" : "2");
            assert.equal(object(run, KUBE_TYPES.hpa, ns, "app").inputs.spec.minReplicas, 2);
            assert.equal(object(run, KUBE_TYPES.pdb, ns, "app").inputs.spec.minAvailable, 1);
            assert.equal(object(run, KUBE_TYPES.serviceAccount, ns, "app").inputs.automountServiceAccountToken, false);
            object(run, KUBE_TYPES.secret, ns, "app-vault-token");
            assert.equal(object(run, KUBE_TYPES.service, ns, "app-pods").inputs.spec.clusterIP, "None", "Prometheus finds the pods by DNS");
        }
    });

    it("fails over at the edge: the second region is Nginx's backup upstream", () => {
        const conf = object(run, KUBE_TYPES.configMap, edge, "nginx-conf").inputs.data["nginx.conf"];
        const servers = conf.split("\n").filter((l: string) => /^\s+server \S+:\d+ /.test(l)).map((l: string) => l.trim());
        assert.deepEqual(servers, [
            `server app.${app}.svc.cluster.local:8080 max_fails=0 fail_timeout=5s;  # region-1`,
            `server app.${appRegion2}.svc.cluster.local:8080 max_fails=0 fail_timeout=5s backup;  # region-2`,
        ]);
        assert.match(conf, /proxy_next_upstream error timeout http_502 http_503 http_504;/);
    });

    it("exports Nginx's metrics: stub_status on loopback, a pinned exporter sidecar, hardened like the rest", () => {
        const conf = object(run, KUBE_TYPES.configMap, edge, "nginx-conf").inputs.data["nginx.conf"];
        assert.match(conf, new RegExp(`listen 127\\.0\\.0\\.1:${METRICS_PORTS.nginxStatus};[\\s\\S]*location = /stub_status \\{\\s+stub_status;`));
        const [nginx, exporter] = containersOf(object(run, KUBE_TYPES.deployment, edge, "nginx"));
        assert.equal(nginx.name, "nginx");
        assert.equal(exporter.image, SETTINGS.nginxExporterImage.default);
        assert.deepEqual(exporter.args, [`--nginx.scrape-uri=http://127.0.0.1:${METRICS_PORTS.nginxStatus}/stub_status`, `--web.listen-address=:${METRICS_PORTS.nginxExporter}`]);
        assert.deepEqual(exporter.ports, [{ name: "metrics", containerPort: 9113, protocol: "TCP" }]);
        assert.equal(exporter.securityContext.readOnlyRootFilesystem, true);
        assert.ok(exporter.readinessProbe && exporter.livenessProbe);
        assert.equal(object(run, KUBE_TYPES.service, edge, "nginx-pods").inputs.spec.clusterIP, "None");
    });

    it("deploys Prometheus with a rendered prometheus.yml scraping both regions and the edge by DNS", () => {
        const d = object(run, KUBE_TYPES.deployment, ops, "prometheus");
        const c = containersOf(d)[0];
        assert.equal(c.image, SETTINGS.prometheusImage.default);
        assert.ok(c.args.includes("--config.file=/etc/prometheus/prometheus.yml"));
        assert.deepEqual(c.readinessProbe.httpGet.path, "/-/ready");
        assert.equal(podTemplate(d).spec.automountServiceAccountToken, false, "DNS discovery needs no API token");
        const conf = yaml.load(object(run, KUBE_TYPES.configMap, ops, "prometheus-config").inputs.data["prometheus.yml"]) as any;
        const jobs = Object.fromEntries(conf.scrape_configs.map((j: any) => [j.job_name, j]));
        assert.deepEqual(Object.keys(jobs), ["app", "nginx"]);
        assert.deepEqual(jobs.app.dns_sd_configs[0].names, [`app-pods.${app}.svc.cluster.local`, `app-pods.${appRegion2}.svc.cluster.local`]);
        assert.equal(jobs.app.dns_sd_configs[0].port, 8080);
        assert.deepEqual(jobs.nginx.dns_sd_configs[0].names, [`nginx-pods.${edge}.svc.cluster.local`]);
        assert.equal(jobs.nginx.dns_sd_configs[0].port, 9113);
        assert.equal(object(run, KUBE_TYPES.service, ops, "prometheus").inputs.spec.type, "ClusterIP");
    });

    it("renders the edge as the kube-proxy stand-in test runs it: a connection per request, regions never marked down, one worker", () => {
        const conf = object(run, KUBE_TYPES.configMap, KUBE_NAMESPACES.edge, "nginx-conf").inputs.data["nginx.conf"] as string;
        assert.doesNotMatch(conf, /^\s*keepalive \d+;/m, "no upstream keep-alive: kube-proxy balances per connection");
        const servers = conf.match(/^\s*server \S+:8080 .*$/gm) ?? [];
        assert.equal(servers.length, 2);
        for (const line of servers) assert.match(line, /max_fails=0/);
        assert.match(servers[1], / backup;/);
        assert.match(conf, /^worker_processes 1;$/m);
    });

    it("runs chaos on a schedule with a Role that may get, list and delete pods in the app namespace, nothing more", () => {
        const roles = kind(run, KUBE_TYPES.role);
        assert.equal(roles.length, 1);
        const role = roles[0];
        assert.equal(role.inputs.metadata.namespace, app);
        assert.deepEqual(role.inputs.rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "delete"] }]);
        assert.equal(kind(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
        assert.equal(kind(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
        const binding = kind(run, KUBE_TYPES.roleBinding)[0];
        assert.equal(binding.inputs.metadata.namespace, app);
        assert.deepEqual(binding.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.inputs.metadata.name });
        assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "chaos", namespace: ops }]);
        const cron = object(run, KUBE_TYPES.cronJob, ops, "chaos");
        assert.equal(cron.inputs.spec.schedule, STAGES.get(6)!.kubernetes!.chaos!.schedule);
        assert.equal(cron.inputs.spec.concurrencyPolicy, "Forbid");
        // Not before the app is rolled out, and a deadline that a first pull of the image fits in.
        for (const region of kind(run, KUBE_TYPES.deployment).filter((d) => d.inputs.metadata.name === "app")) {
            assert.ok(cron.dependsOn.includes(region.name), `the chaos job waits for ${ref(region)}`);
        }
        assert.ok(cron.inputs.spec.jobTemplate.spec.activeDeadlineSeconds >= 600);
        const pod = podTemplate(cron).spec;
        assert.equal(pod.serviceAccountName, "chaos");
        assert.equal(pod.automountServiceAccountToken, true, "the one pod that talks to the API server");
        assert.equal(object(run, KUBE_TYPES.serviceAccount, ops, "chaos").inputs.automountServiceAccountToken, false);
        assert.equal(pod.restartPolicy, "Never");
        const c = pod.containers[0];
        assert.equal(c.image, SETTINGS.kubectlImage.default);
        assert.deepEqual(c.command, ["/bin/sh", "/opt/chaos/chaos.sh"]);
        const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
        assert.deepEqual([env.TARGET_NAMESPACE, env.TARGET_SELECTOR], [app, `${LABELS.service}=app`]);
        assert.match(object(run, KUBE_TYPES.configMap, ops, "chaos-script").inputs.data["chaos.sh"], /kubectl delete -n "\$TARGET_NAMESPACE" "\$pick" --wait=false/);
        for (const w of workloads(run).filter((w) => w !== cron)) assert.equal(podTemplate(w).spec.automountServiceAccountToken, false, w.name);
    });

    it("states an SLO and tells how to read it and the golden signals off the metrics", () => {
        const slo = STAGES.get(6)!.kubernetes!.slo!;
        assert.deepEqual(slo, { availabilityPercent: 99.5, latencyMs: 250, latencyPercent: 95 });
        const story = STAGES.get(6)!.story;
        assert.match(story.scenario, /99\.5% of requests answered without a 5xx, and 95% of them within 250 ms/);
        const tryThis = run.outputs.tryThis.join("\n");
        assert.match(tryThis, /histogram_quantile\(0\.95, sum by \(le\) \(rate\(http_request_duration_seconds_bucket\[5m\]\)\)\) stays below 0\.25/);
        assert.match(tryThis, /status_code=~"5\.\."/);
        assert.match(tryThis, /nginx_http_requests_total/);
        assert.match(tryThis, /nginx_connections_active/);
        assert.deepEqual(story.lessons, []);
    });

    it("archives the primary's WAL to a volume of its own, backs it up on a schedule and ships a restore drill a learner starts", () => {
        const primary = object(run, KUBE_TYPES.statefulSet, data, "postgres-primary");
        const args: string[] = containersOf(primary)[0].args;
        assert.ok(args.includes("archive_mode=on") && args.includes("archive_timeout=60s"), args.join(" "));
        const archive = args.find((a) => a.startsWith("archive_command="))!;
        assert.match(archive, /\/var\/lib\/postgresql\/backup\/wal\/%f/);
        const claim = object(run, "kubernetes:core/v1:PersistentVolumeClaim", data, "postgres-backup");
        const volumes = podTemplate(primary).spec.volumes;
        assert.ok(volumes.some((v: any) => v.persistentVolumeClaim?.claimName === claim.inputs.metadata.name), "the primary mounts the backup claim");
        assert.notEqual(claim.inputs.metadata.name, "data", "not the data volume: losing it leaves the backups");

        const job = (name: string) => object(run, KUBE_TYPES.cronJob, data, name);
        const backup = job("postgres-backup");
        const drill = job("postgres-restore-drill");
        assert.equal(backup.inputs.spec.schedule, "0 * * * *");
        assert.equal(backup.inputs.spec.suspend, false);
        assert.equal(drill.inputs.spec.suspend, true, "the drill runs when the learner starts it");
        for (const cron of [backup, drill]) {
            const pod = cron.inputs.spec.jobTemplate.spec.template.spec;
            const term = pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
            assert.deepEqual(term.labelSelector.matchLabels, { [LABELS.service]: "postgres-primary" }, "beside the primary: its claim is ReadWriteOnce");
            assert.ok(pod.volumes.some((v: any) => v.persistentVolumeClaim?.claimName === claim.inputs.metadata.name));
            const c = pod.containers[0];
            assert.ok(!JSON.stringify(c.env).match(/PASSWORD=|"value":"[0-9a-f]{20,}"/i), "no password in the pod spec");
            assert.equal(pod.automountServiceAccountToken, false);
        }
        const env = Object.fromEntries(containersOf({ inputs: { spec: backup.inputs.spec.jobTemplate.spec } } as any)[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env.PGUSER, "replicator", "base backups need the replication role, nothing more");
        assert.equal(env.BACKUP_KEEP, "3");
        const drillSecret = object(run, KUBE_TYPES.secret, data, "postgres-drill-passwords");
        assert.deepEqual(Object.keys(drillSecret.inputs.stringData).sort(), ["postgres-app-password", "postgres-owner-password"].sort());
        const backupPod = backup.inputs.spec.jobTemplate.spec.template.spec;
        const backupSecret = backupPod.volumes.find((v: any) => v.name === "passwords").secret.secretName;
        assert.equal(backupSecret, "postgres-replication-password", "the backup job sees the replication password alone");
    });
});
