import { StageProfile } from "./profile";
import { stage4 } from "./stage4";

/**
 * Stage 5, "Cloud-native". Stage 4's secure topology moves to Kubernetes: the cluster schedules,
 * heals and scales what Docker needed us for. Namespaces replace networks, NetworkPolicies the
 * internal flag, a restricted securityContext the container hardening, an HPA the fixed count.
 */
export const stage5: StageProfile = {
    ...stage4,
    stage: 5,
    title: "Cloud-native",
    target: "kubernetes",
    kubernetes: {
        podSecurity: "restricted",
        autoscale: { min: 2, max: 6, cpuPercent: 70 },
        disruptionBudget: { minAvailable: 1 },
        networkPolicy: "default-deny",
        regions: 1,
        observability: false,
        admissionPolicy: false,
    },
    story: {
        roadmap: "5. Cloud Adoption & Modern Infrastructure (Scaling with Cloud-Native DevSecOps)",
        scenario:
            "The fixed set of containers hits its limits: someone must notice a dead instance, scale by hand, " +
            "and keep the networks straight. The same product moves to Kubernetes (kind on the laptop, or any " +
            "cluster a kubeconfig names): namespaces per tier enforce Pod Security \"restricted\"; the app is a " +
            "Deployment the cluster heals, with an autoscaler (at least two pods) and a disruption budget; " +
            "Postgres primary and replica are StatefulSets with their own volumes, the replica cloning itself " +
            "from the primary; Redis, Vault and Nginx come as before; every namespace denies all traffic in " +
            "and out except the flows the app needs; Nginx's NodePort is the only way in.",
        tryThis: [
            "Open {entry} (accept the self-signed certificate, or npm run -s lab -- output 5 edgeCertificate > lab.crt; curl --cacert lab.crt {entry}).",
            "kubectl get pods -A -l devsecops-journey/project=devsecops-journey -o wide: every tier in its own namespace.",
            "Delete one app pod (kubectl -n {appNamespace} delete \"$(kubectl -n {appNamespace} get pods -l devsecops-journey/service=app -o name | head -1)\") and watch the Deployment replace it: kubectl -n {appNamespace} get pods -w.",
            "Load it (for i in $(seq 2000); do curl -sk -o /dev/null {entry}/api/items; done) and watch the autoscaler: kubectl -n {appNamespace} get hpa -w.",
            "A blocked flow is really blocked: kubectl -n {edgeNamespace} exec deploy/nginx -c nginx -- sh -c 'nc -zw3 postgres-primary.{dataNamespace}.svc.cluster.local 5432 && echo open || echo blocked' prints blocked.",
            "The app's pods hold no password: kubectl -n {appNamespace} exec deploy/app -- env | grep -i pass finds nothing.",
        ],
        lessons: [
            "Nobody sees the golden signals: latency, traffic, errors and saturation are measured nowhere, so an SLO cannot be stated or checked.",
            "Resilience is assumed, not tested: nothing kills pods on purpose to prove that the product survives it.",
            "One region: if the app's namespace fails as a whole, the product is down.",
        ],
    },
};
