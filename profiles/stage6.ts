import { StageProfile } from "./profile";
import { stage5 } from "./stage5";

/**
 * Stage 6, "Enterprise". Stage 5 made observable and proven: Prometheus scrapes the golden
 * signals, a chaos job kills an app pod every few minutes with a role that can do nothing else,
 * a second app region takes over at the edge, an SLO says what "good" is, and the whole policy
 * pack is mandatory.
 */
export const stage6: StageProfile = {
    ...stage5,
    stage: 6,
    title: "Enterprise",
    kubernetes: {
        ...stage5.kubernetes!,
        regions: 2,
        observability: true,
        admissionPolicy: true,
        chaos: { schedule: "*/5 * * * *" },
        backup: { schedule: "0 * * * *", keep: 3, archiveTimeoutSeconds: 60 },
        slo: { availabilityPercent: 99.5, latencyMs: 250, latencyPercent: 95 },
    },
    story: {
        roadmap: "6. Enterprise DevSecOps: Advanced Practices & Governance",
        scenario:
            "The product is large and must stay up while things break. Prometheus scrapes the app's /metrics " +
            "and Nginx's (through an exporter sidecar): latency, traffic, errors and saturation, the four golden " +
            "signals. The SLO: 99.5% of requests answered without a 5xx, and 95% of them within 250 ms (a bucket of the app's latency histogram), over a " +
            "rolling 30 days. A chaos CronJob deletes one random app pod every five minutes, with a role that may " +
            "get, list and delete pods in the app's namespace and nothing else. A second app region, in a " +
            "namespace of its own, is Nginx's backup: when the first has no pod left, traffic fails over. " +
            "The primary archives its WAL to a volume of its own and is backed up every hour; a restore drill proves the backups restore. " +
            "Every policy of the pack is mandatory.",
        tryThis: [
            "Open {entry}; then Prometheus: kubectl -n {opsNamespace} port-forward svc/prometheus 9090 and http://localhost:9090.",
            "Errors (the SLO's availability): sum(rate(http_requests_total{status_code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) stays below 0.005.",
            "Latency (the SLO's 95% within 250 ms): histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) stays below 0.25.",
            "Traffic: sum(rate(nginx_http_requests_total[1m])) at the edge, sum by (route) (rate(http_requests_total[1m])) in the app; saturation: max(nginx_connections_active) and max(rate(process_cpu_seconds_total{job=\"app\"}[1m])) against the pod's CPU limit.",
            "Chaos: kubectl -n {appNamespace} get events -w shows a pod deleted every five minutes; kubectl -n {opsNamespace} create job --from=cronjob/chaos chaos-now runs it at once; the error ratio stays within the SLO.",
            "Fail over: kubectl -n {appNamespace} scale deploy/app --replicas=0 and curl -sk {entry}/api/items still answers, from {appRegion2Namespace} (X-Instance names its pod); the autoscaler does not scale up from zero, so bring region 1 back with --replicas=2.",
            "The chaos job's one way out: kubectl -n {opsNamespace} get networkpolicy allow-chaos-egress-external -o yaml names the API server's own address and port (on kind the control-plane node's, port 6443), read at up from the cluster's default/kubernetes EndpointSlice, because NetworkPolicy judges a packet after kube-proxy's DNAT (10.96.0.1:443 becomes that address); if the control plane moves (a recreated node), npm run lab -- up 6 reads it again.",
            "The chaos role can do only that: kubectl auth can-i --as=system:serviceaccount:{opsNamespace}:chaos delete deployments -n {appNamespace} says no.",
            "Policy as code inside the cluster: kubectl -n {appNamespace} run not-pinned --image=busybox:latest is refused at admission by the ValidatingAdmissionPolicy devsecops-lab-core (the pack's image, resources, ServiceAccount and label rules in CEL), even though it never went through Pulumi; kubectl get validatingadmissionpolicy devsecops-lab-core -o yaml shows the rules.",
            "Disaster recovery: npm run lab -- drill 6 backup takes a base backup now (the postgres-backup CronJob takes one every hour, keeping three); write a few items, then npm run lab -- drill 6 restore restores the newest backup and the WAL archive into a fresh instance beside the primary and prints the rows it got back against the primary's, the rows lost, the recovery point and the recovery time.",
        ],
        lessons: [],
    },
};
