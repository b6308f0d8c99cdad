import { ProgramRun, runProgram } from "../support/mocks";
import * as assert from "node:assert/strict";
import { SETTINGS } from "../../program/config";
import { APP_ENV, KUBERNETES, KUBE_NAMESPACES, LABELS, VAULT } from "../../program/names";
import { POSTGRES_SECRET_PATHS } from "../../renderers/postgres-roles";
import { REDIS_USERS } from "../../renderers/redis";
import { KUBE_TYPES, containersOf, kind, kubeObjects, object, podTemplate, ref, workloads } from "../support/kube";
import { TYPES, resource } from "../support/topology";
import { VAULT_DEV_SERVER_COMMAND } from "../../renderers/vault";

const { edge, app, data } = KUBE_NAMESPACES;
const envOf = (c: any): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
const pw = (run: ProgramRun, name: string) => resource(run, TYPES.password, name).state.result;

describe("stage 5 (Cloud-native) on Kubernetes", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ stage: "5" });
    });

    it("points an explicit provider at the kind cluster's context by default", () => {
        const providers = kind(run, KUBE_TYPES.provider);
        assert.equal(providers.length, 1);
        assert.equal(providers[0].inputs.context, SETTINGS.kubeContext.default);
        assert.equal(providers[0].inputs.kubeconfig, undefined, "empty kubeconfig: the default file");
    });

    it("creates a namespace per tier, each enforcing Pod Security restricted", () => {
        const namespaces = kind(run, KUBE_TYPES.namespace);
        assert.deepEqual(namespaces.map((n) => n.inputs.metadata.name).sort(), [app, data, edge]);
        for (const ns of namespaces) {
            const k = KUBERNETES.podSecurityLabelKeys;
            for (const label of [k.enforce, k.warn, k.audit]) assert.equal(ns.inputs.metadata.labels[label], "restricted", `${ns.name} ${label}`);
            assert.equal(ns.inputs.metadata.labels[k.enforceVersion], "latest");
        }
        for (const r of kubeObjects(run)) {
            if (r.type !== KUBE_TYPES.namespace) assert.ok([edge, app, data].includes(r.inputs.metadata.namespace), `${r.name} in ${r.inputs.metadata.namespace}`);
        }
    });

    it("runs exactly these workloads", () => {
        assert.deepEqual(workloads(run).map((w) => `${w.type.split(":").pop()} ${ref(w)}`).sort(), [
            `Deployment ${app}/app`, `Deployment ${data}/redis`, `Deployment ${data}/vault`, `Deployment ${edge}/nginx`,
            `Job ${data}/vault-bootstrap`, `StatefulSet ${data}/postgres-primary`, `StatefulSet ${data}/postgres-replica`,
        ]);
    });

    it("gives every pod the restricted securityContext, its own ServiceAccount and no API token", () => {
        for (const w of workloads(run)) {
            const spec = podTemplate(w).spec;
            assert.equal(spec.automountServiceAccountToken, false, `${w.name} token`);
            assert.equal(spec.enableServiceLinks, false, w.name);
            assert.notEqual(spec.serviceAccountName, "default", w.name);
            const sa = object(run, KUBE_TYPES.serviceAccount, w.inputs.metadata.namespace, spec.serviceAccountName);
            assert.equal(sa.inputs.automountServiceAccountToken, false, `${w.name}'s ServiceAccount`);
            assert.equal(spec.securityContext.runAsNonRoot, true, w.name);
            assert.ok(spec.securityContext.runAsUser > 0, w.name);
            assert.deepEqual(spec.securityContext.seccompProfile, { type: "RuntimeDefault" }, w.name);
            for (const field of ["hostNetwork", "hostPID", "hostIPC"]) assert.equal(spec[field], undefined, `${w.name} ${field}`);
            for (const v of spec.volumes ?? []) assert.equal(v.hostPath, undefined, `${w.name} hostPath`);
            for (const c of containersOf(w)) {
                const sc = c.securityContext;
                const where = `${w.name}/${c.name}`;
                assert.equal(sc.runAsNonRoot, true, where);
                assert.ok(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, `${where} runAsUser ${sc.runAsUser}`);
                assert.equal(sc.allowPrivilegeEscalation, false, where);
                assert.equal(sc.privileged, false, where);
                assert.equal(sc.readOnlyRootFilesystem, true, where);
                assert.deepEqual(sc.capabilities, { drop: ["ALL"] }, where);
                assert.deepEqual(sc.seccompProfile, { type: "RuntimeDefault" }, where);
                assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory && c.resources.limits.cpu, `${where} resources`);
                assert.equal(c.imagePullPolicy, "IfNotPresent", where);
                for (const p of c.ports ?? []) assert.equal(p.hostPort, undefined, `${where} hostPort`);
            }
        }
    });

    it("probes every long-running container: readiness and liveness (and startup for the slow starters)", () => {
        for (const w of workloads(run).filter((w) => w.type !== KUBE_TYPES.job)) {
            for (const c of containersOf(w)) {
                assert.ok(c.readinessProbe, `${w.name}/${c.name} readiness`);
                assert.ok(c.livenessProbe, `${w.name}/${c.name} liveness`);
            }
        }
        const appC = containersOf(object(run, KUBE_TYPES.deployment, app, "app"))[0];
        assert.deepEqual(appC.startupProbe.httpGet, { path: "/healthz", port: 8080, scheme: "HTTP" });
        assert.deepEqual(appC.livenessProbe.httpGet, { path: "/healthz", port: 8080, scheme: "HTTP" });
        assert.deepEqual(appC.readinessProbe.httpGet, { path: "/readyz", port: 8080, scheme: "HTTP" });
        const primary = containersOf(object(run, KUBE_TYPES.statefulSet, data, "postgres-primary"))[0];
        assert.deepEqual(primary.readinessProbe.exec.command.slice(0, 2), ["pg_isready", "-q"]);
        assert.ok(primary.startupProbe, "initdb may take a while: a startup probe, not an early liveness kill");
        const redis = containersOf(object(run, KUBE_TYPES.deployment, data, "redis"))[0];
        assert.ok(redis.livenessProbe.exec.command.includes(REDIS_USERS.health));
    });

    it("runs the app as a rolling Deployment whose count the HPA owns (from two), and a PDB", () => {
        const d = object(run, KUBE_TYPES.deployment, app, "app");
        // Set by the program, spec.replicas would be the field a server-side apply conflicts on once
        // the HPA or kubectl scale changed it (pulumi-kubernetes does not force ownership).
        assert.equal(d.inputs.spec.replicas, undefined);
        assert.deepEqual(d.inputs.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        const selector = d.inputs.spec.selector.matchLabels;
        assert.deepEqual(selector, { [LABELS.service]: "app" });
        const hpa = object(run, KUBE_TYPES.hpa, app, "app");
        assert.deepEqual(hpa.inputs.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "app" });
        assert.equal(hpa.inputs.spec.minReplicas, 2);
        assert.equal(hpa.inputs.spec.maxReplicas, 6);
        assert.deepEqual(hpa.inputs.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
        const pdb = object(run, KUBE_TYPES.pdb, app, "app");
        assert.equal(pdb.inputs.spec.minAvailable, 1);
        assert.deepEqual(pdb.inputs.spec.selector.matchLabels, selector);
    });

    it("lets the kubelet re-permission a volume only when its root is not the pod's group yet", () => {
        for (const w of workloads(run)) {
            const sc = podTemplate(w).spec.securityContext;
            if (sc?.fsGroup !== undefined) assert.equal(sc.fsGroupChangePolicy, "OnRootMismatch", w.name);
        }
    });

    it("gives the app Service names and a Vault token file, never a password", () => {
        const c = containersOf(object(run, KUBE_TYPES.deployment, app, "app"))[0];
        const env = envOf(c);
        assert.equal(env[APP_ENV.dbPrimaryHost], `postgres-primary.${data}.svc.cluster.local`);
        assert.equal(env[APP_ENV.dbReplicaHost], `postgres-replica.${data}.svc.cluster.local`);
        assert.equal(env[APP_ENV.redisHost], `redis.${data}.svc.cluster.local`);
        assert.equal(env[VAULT.env.addr], `http://vault.${data}.svc.cluster.local:8200`);
        assert.equal(env[VAULT.env.tokenFile], "/run/secrets/vault-token");
        for (const key of [APP_ENV.dbPassword, APP_ENV.redisPassword, APP_ENV.dbUser]) assert.equal(env[key], undefined, key);
        const token = object(run, KUBE_TYPES.secret, app, "app-vault-token");
        assert.equal(token.inputs.stringData["vault-token"], pw(run, "secrets-app-token"));
        assert.deepEqual(token.secretPaths, ["stringData"]);
        const d = object(run, KUBE_TYPES.deployment, app, "app");
        assert.ok(d.dependsOn.includes("secrets-vault-bootstrap"), "the app starts after the bootstrap Job");
        assert.match(c.image, /^localhost:5001\/devsecops-journey\/app:[0-9a-f]{12}$/);
    });

    it("builds the app image and pushes it to the lab's registry, tagged with its sources' hash", () => {
        const image = kind(run, TYPES.image)[0];
        assert.match(image.inputs.imageName, /^localhost:5001\/devsecops-journey\/app:[0-9a-f]{12}$/);
        assert.equal(image.inputs.registry.server, "localhost:5001");
        assert.notEqual(image.inputs.skipPush, true);
    });

    it("keeps every credential in a Secret from a Pulumi secret, mounted as a file, never in env", () => {
        for (const s of kind(run, KUBE_TYPES.secret)) {
            assert.equal(s.inputs.data, undefined, `${ref(s)} uses stringData`);
            assert.deepEqual(s.secretPaths, ["stringData"], `${ref(s)} is a Pulumi secret`);
        }
        for (const w of workloads(run)) {
            for (const c of containersOf(w)) {
                for (const e of c.env ?? []) {
                    assert.equal(e.valueFrom?.secretKeyRef, undefined, `${w.name}: secrets are files, not env`);
                    if (/PASSWORD$|TOKEN$|SECRET$/.test(e.name)) assert.fail(`${w.name}/${c.name}: ${e.name} in env`);
                }
            }
            for (const v of podTemplate(w).spec.volumes ?? []) {
                if (v.secret) assert.equal(v.secret.defaultMode, 0o440, `${w.name} ${v.name}`);
            }
        }
        for (const cm of kind(run, KUBE_TYPES.configMap)) {
            for (const value of Object.values(cm.inputs.data)) {
                for (const p of ["database-owner-password", "database-app-password", "database-replication-password", "cache-app-password", "secrets-root-token", "secrets-app-token"]) {
                    assert.ok(!(value as string).includes(pw(run, p)), `${ref(cm)} holds ${p}`);
                }
            }
        }
    });

    it("runs Postgres primary and replica as StatefulSets with volume claims and headless Services", () => {
        for (const name of ["postgres-primary", "postgres-replica"]) {
            const s = object(run, KUBE_TYPES.statefulSet, data, name);
            assert.equal(s.inputs.spec.serviceName, name);
            assert.deepEqual(s.inputs.spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.accessModes, t.spec.resources.requests.storage]), [["data", ["ReadWriteOnce"], "1Gi"]]);
            const svc = object(run, KUBE_TYPES.service, data, name);
            assert.equal(svc.inputs.spec.clusterIP, "None");
            assert.deepEqual(svc.inputs.spec.selector, { [LABELS.service]: name });
            const c = containersOf(s)[0];
            assert.equal(envOf(c).PGDATA, "/var/lib/postgresql/data/pgdata", "below the volume's lost+found");
            assert.ok(c.volumeMounts.some((m: any) => m.name === "data" && m.mountPath === "/var/lib/postgresql/data"));
        }
    });

    it("bootstraps the replica from the primary with stage 4's rendered entrypoint and init script", () => {
        const scripts = object(run, KUBE_TYPES.configMap, data, "postgres-scripts").inputs.data;
        assert.match(scripts["replica-entrypoint.sh"], /pg_basebackup/);
        assert.match(scripts["replica-entrypoint.sh"], /lab_secret REPLICATION_PASSWORD /, "reads REPLICATION_PASSWORD_FILE");
        assert.match(scripts["10-lab-init.sh"], new RegExp(`host +replication +replicator +${KUBERNETES.podCidr.replace(/[./]/g, "\\$&")} +scram-sha-256`));
        assert.doesNotMatch(scripts["10-lab-init.sh"], /^(local|host)\s.*\btrust\s*$/m);
        const replica = containersOf(object(run, KUBE_TYPES.statefulSet, data, "postgres-replica"))[0];
        assert.deepEqual(replica.command, ["/bin/sh", "/usr/local/lab/replica-entrypoint.sh", "docker-entrypoint.sh"]);
        assert.equal(replica.args[0], "postgres");
        assert.equal(envOf(replica).PRIMARY_HOST, `postgres-primary.${data}.svc.cluster.local`);
        assert.equal(envOf(replica).REPLICATION_PASSWORD_FILE, POSTGRES_SECRET_PATHS.replicationPassword);
        const primary = containersOf(object(run, KUBE_TYPES.statefulSet, data, "postgres-primary"))[0];
        assert.equal(envOf(primary).POSTGRES_PASSWORD_FILE, POSTGRES_SECRET_PATHS.ownerPassword);
        assert.ok(primary.volumeMounts.some((m: any) => m.mountPath === "/docker-entrypoint-initdb.d" && m.readOnly));
        const passwords = object(run, KUBE_TYPES.secret, data, "postgres-passwords").inputs.stringData;
        assert.equal(passwords["postgres-app-password"], pw(run, "database-app-password"));
        const replicaOnly = object(run, KUBE_TYPES.secret, data, "postgres-replication-password").inputs.stringData;
        assert.deepEqual(Object.keys(replicaOnly), ["postgres-replication-password"], "the replica sees its own password only");
        assert.ok(object(run, KUBE_TYPES.statefulSet, data, "postgres-replica").dependsOn.includes("database-postgres-primary"));
    });

    it("requires Redis auth with stage 4's ACL users, from a Secret", () => {
        const conf = object(run, KUBE_TYPES.secret, data, "redis-conf").inputs.stringData["redis.conf"];
        assert.match(conf, /^user default off/m);
        assert.match(conf, new RegExp(`^user ${REDIS_USERS.app} on .*-@all \\+get`, "m"));
    });

    it("bootstraps Vault with a Job running stage 4's rendered script, from files", () => {
        const job = object(run, KUBE_TYPES.job, data, "vault-bootstrap");
        const c = containersOf(job)[0];
        assert.deepEqual(c.command, ["/bin/sh", "/vault/bootstrap/bootstrap.sh"]);
        assert.equal(podTemplate(job).spec.restartPolicy, "OnFailure");
        assert.match(object(run, KUBE_TYPES.configMap, data, "vault-bootstrap-script").inputs.data["bootstrap.sh"], /vault-bootstrap/);
        const files = object(run, KUBE_TYPES.secret, data, "vault-bootstrap-secrets").inputs.stringData;
        assert.equal(files["db-app-password"], pw(run, "database-app-password"));
        assert.equal(files["redis-app-password"], pw(run, "cache-app-password"));
        assert.equal(files["vault-app-token"], pw(run, "secrets-app-token"));
        assert.ok(job.dependsOn.includes("secrets-vault"), "after the Vault server");
        const vault = containersOf(object(run, KUBE_TYPES.deployment, data, "vault"))[0];
        // The dev server takes its root token from the file and keeps it out of its log (test/renderers/vault-dev-server.test.ts).
        assert.deepEqual(vault.command, [...VAULT_DEV_SERVER_COMMAND]);
    });

    it("exposes only Nginx, as a NodePort on HTTPS, with stage 4's TLS config; no LoadBalancer anywhere", () => {
        for (const s of kind(run, KUBE_TYPES.service)) {
            assert.notEqual(s.inputs.spec.type, "LoadBalancer", ref(s));
            assert.equal(s.inputs.spec.externalIPs, undefined, ref(s));
            if (s.inputs.spec.type === "NodePort") assert.equal(ref(s), `${edge}/nginx`);
        }
        const svc = object(run, KUBE_TYPES.service, edge, "nginx");
        assert.deepEqual(svc.inputs.spec.ports, [{ name: "https", port: 8443, targetPort: 8443, nodePort: 30443, protocol: "TCP" }]);
        const conf = object(run, KUBE_TYPES.configMap, edge, "nginx-conf").inputs.data["nginx.conf"];
        assert.match(conf, /listen 8443 ssl/);
        assert.match(conf, /return 301 https:\/\/localhost:8443\$request_uri/);
        assert.match(conf, /limit_req_status 429/);
        assert.match(conf, new RegExp(`server app\\.${app}\\.svc\\.cluster\\.local:8080 max_fails=0 fail_timeout=5s;`));
        assert.doesNotMatch(conf, /backup|stub_status/, "one region, no metrics in stage 5");
        const tlsSecret = object(run, KUBE_TYPES.secret, edge, "nginx-tls");
        assert.match(tlsSecret.inputs.stringData["tls.key"], /PRIVATE KEY/);
        const d = object(run, KUBE_TYPES.deployment, edge, "nginx");
        assert.deepEqual(containersOf(d)[0].command, ["nginx", "-c", "/etc/nginx/lab/nginx.conf", "-g", "daemon off;"]);
        assert.equal(d.inputs.spec.replicas, 2);
        assert.deepEqual(run.outputs.entryPoints, ["https://localhost:8443"]);
        assert.match(run.outputs.edgeCertificate, /^-----BEGIN CERTIFICATE-----/);
    });

    it("tells the learner what to try, with the namespaces filled in", () => {
        assert.ok(run.outputs.tryThis.some((l: string) => l.includes(`kubectl -n ${edge} exec deploy/nginx`)));
        assert.ok(run.outputs.tryThis.every((l: string) => !l.includes("{")));
        assert.equal(run.outputs.target, "kubernetes");
    });
});
