/**
 * The roadmap, item by item: every solution and concept the roadmap's stages 1-6 name, by the
 * roadmap's own names, with what the lab does for it. "shown" names what a learner runs or breaks
 * and the test or drill that checks it (`evidence`, a path in this repository); "mapped" says what
 * plays its part on a laptop and what a real deployment does instead. There is no third kind: an item
 * the lab cannot show is mapped, honestly. test/docs/roadmap.test.ts keeps this list equal to the
 * roadmap's own (when the seed is beside the repository) and every evidence path real; the stage
 * pages render it.
 */
import { StageNumber } from "./profile";

export type RoadmapKind = "solution" | "concept";

export type RoadmapEntry =
    | { readonly item: string; readonly kind: RoadmapKind; readonly how: "shown"; readonly by: string; readonly evidence: string }
    | { readonly item: string; readonly kind: RoadmapKind; readonly how: "mapped"; readonly by: string };

const shown = (kind: RoadmapKind) => (item: string, by: string, evidence: string): RoadmapEntry => ({ item, kind, how: "shown", by, evidence });
const mapped = (kind: RoadmapKind) => (item: string, by: string): RoadmapEntry => ({ item, kind, how: "mapped", by });
const solution = { shown: shown("solution"), mapped: mapped("solution") };
const concept = { shown: shown("concept"), mapped: mapped("concept") };

export const ROADMAP: Readonly<Record<StageNumber, readonly RoadmapEntry[]>> = {
    1: [
        solution.mapped("Initial Setup", "no bare metal and no hand install: one container from a pinned image, started by `pulumi up`; the manual pain is described, not re-enacted"),
        solution.shown("Database Setup", "one Postgres container next to the app, with the app's data in a volume", "test/stages/stage1.test.ts"),
        concept.shown("Single Point of Failure (SPOF)", "`docker stop` the one app container or the one database and the product is down; nothing restarts it", "test/stages/stage1.test.ts"),
        concept.shown("Basic Performance", "`docker stats` of the two containers; `npm run bench` measures the data plane's requests per second", "scripts/bench/dataplane.ts"),
        concept.mapped("Manual Scalability (None)", "one instance, one published port: there is nothing to add capacity with until stage 2 adds instances"),
        concept.shown("First Pain Points", "the policy pack's advisories list what is wrong on purpose (plain passwords, root, no limits), each fixed by a later stage", "test/policies/stages.test.ts"),
    ],
    2: [
        solution.shown("Multi-Instance Deployment", "several identical app containers from one definition", "test/stages/stage2.test.ts"),
        solution.shown("Dedicated Database Server(s)", "Postgres in a container of its own, apart from the app", "test/stages/stage2.test.ts"),
        solution.shown("Basic Database Replication", "a streaming replica that clones itself from the primary on first start; stop it and reads fall back to the primary", "test/faults/replica-stopped.test.ts"),
        solution.shown("Version Control", "this repository: stage profiles are small diffs you can read (`npm run lab -- diff 1 2`)", "test/docs/diff.test.ts"),
        solution.shown("Basic Scripting", "`npm run lab`: one command per intent (up, verify, status, reset, down) over the infrastructure code", "test/lab/commands.test.ts"),
        solution.mapped("Configuration Management", "the Pulumi program and the stage profile play Ansible's part: every instance comes from one definition, and `pulumi preview --refresh` shows a hand-made change as drift"),
        solution.shown("Simple Traffic Distribution", "one Docker network alias for every instance (DNS round robin) and one host port per instance", "test/stages/stage2.test.ts"),
        solution.shown("Basic CI/CD", "`.github/workflows/devsecops.yml` previews every stage with the policy pack, audits and scans on every push", "test/ci/workflows.test.ts"),
        concept.shown("Horizontal Scaling (Initial)", "instances added by changing one number in the profile", "test/stages/stage2.test.ts"),
        concept.shown("Basic Reliability & Redundancy", "a replica of the database and more than one app instance; the page's drills stop each", "test/faults/replica-stopped.test.ts"),
        concept.shown("Load Balancing (Basic)", "Docker's DNS answers the shared alias with every instance's address", "test/stages/stage2.test.ts"),
        concept.shown("Database Fundamentals", "writes to the primary, reads from the replica, the replica's lag in `/readyz`", "test/faults/replica-stopped.test.ts"),
    ],
    3: [
        solution.mapped("Virtualization", "containers share your laptop's kernel instead of a hypervisor's virtual hardware: the isolation lesson is the same, the boundary is thinner"),
        solution.shown("Containerization", "the app's own Dockerfile (non-root, health check), built once per source hash; pinned images for everything else", "test/app/dockerfile.test.ts"),
        solution.shown("Dedicated Reverse Proxy/Load Balancer", "Nginx as the only published port, with passive health checks and retry on the next instance: kill an instance under load and no request fails", "test/faults/app-killed.test.ts"),
        solution.mapped("Application-level caching", "not in the app yet: the cache is Redis only (a bounded in-memory layer in front of it is the roadmap's next step)"),
        solution.shown("External Caching", "Redis cache-aside in the app, invalidated on write; stop Redis and the app answers from Postgres", "test/faults/redis-stopped.test.ts"),
        solution.mapped("Container Orchestration", "the Pulumi Docker provider plays Compose's part on one engine; Kubernetes comes in stage 5"),
        solution.shown("Infrastructure as Code (IaC) Basics", "Pulumi in TypeScript for containers, networks and volumes; the same program for every stage", "test/stages/every-stage.test.ts"),
        concept.shown("Load Balancers", "Nginx spreads requests over every instance and takes a failed one out of rotation", "test/renderers/nginx-start.test.ts"),
        concept.shown("Caching", "a response header names the instance and the cache hit or miss", "test/faults/redis-stopped.test.ts"),
        concept.shown("Virtualization & Containerization", "environment parity and immutability: every component from a pinned image, the same on every laptop", "test/ci/pins.test.ts"),
        concept.shown("Infrastructure as Code", "`pulumi preview` shows the difference between stages before anything changes", "test/docs/diff.test.ts"),
        concept.shown("Performance Optimization", "`npm run bench` compares stage 2's data path (replica reads) with stage 3's (cache-aside)", "scripts/bench/dataplane.ts"),
    ],
    4: [
        solution.shown("Shift-Left Security", "the policy pack turns every lesson of stages 1-3 into a mandatory rule at preview, before anything is created", "test/policies/stages.test.ts"),
        solution.shown("Network Segmentation", "edge, app and data networks; app and data are internal (no route out), only the edge publishes", "test/stages/stage4.test.ts"),
        solution.shown("TLS/SSL Implementation", "HTTPS only at Nginx (HTTP redirects, HSTS, pinned protocols and key-exchange groups)", "test/renderers/nginx-edge.test.ts"),
        solution.shown("Database Security", "an owner, a DML-only app role with a connection limit, a replicator, scram-sha-256 and pg_hba per address", "test/renderers/postgres-roles.test.ts"),
        solution.shown("Cache Security", "Redis requires a password, and the app's ACL user may run only the commands it uses", "test/renderers/redis.test.ts"),
        solution.shown("Static Application Security Testing (SAST)", "CodeQL in the CI workflow on every push", "test/ci/workflows.test.ts"),
        solution.shown("Dynamic Application Security Testing (DAST)", "OWASP ZAP's baseline scan against the running stage 4 in the end-to-end workflow; a high finding fails it", "test/ci/zap-gate.test.ts"),
        solution.shown("Container Image Scanning", "Trivy scans the app image and every pinned image in CI", "test/ci/workflows.test.ts"),
        solution.shown("Supply Chain Security Basics", "every image pinned to a full version, npm installed from the lock file and audited, and Renovate moving every pin once a week", "test/ci/renovate.test.ts"),
        solution.shown("Secrets Management", "Vault holds the database and Redis credentials; the app reads them with a token that can read nothing else", "test/renderers/vault.test.ts"),
        concept.shown("Security Fundamentals", "least privilege in every tier, hardened containers (non-root, read-only, no capabilities, limits)", "test/policies/docker-hardening.test.ts"),
        concept.shown("Network Design", "three networks with fixed subnets; `docker exec` into Nginx finds the database unreachable", "test/stages/stage4.test.ts"),
        concept.shown("Secure Communication", "TLS at the edge with a certificate the program generates", "test/renderers/nginx-edge.test.ts"),
        concept.shown("Vulnerability Management", "Trivy in CI and Renovate's weekly pull request move vulnerable pins forward", "test/ci/renovate.test.ts"),
    ],
    5: [
        solution.mapped("Cloud Fundamentals", "the lab stays on the laptop: kind stands for the cloud's managed cluster; any cluster a kubeconfig names works"),
        solution.shown("Cloud Networking", "namespaces per tier with default-deny NetworkPolicies plus exactly the flows the app needs", "test/kubernetes/network-flows.test.ts"),
        solution.shown("Identity and Access Management (IAM)", "ServiceAccounts without token automount, RBAC, and Vault's per-app policy", "test/stages/stage5.test.ts"),
        solution.shown("Auto Scaling Groups/Managed Instance Groups", "a HorizontalPodAutoscaler on the app, with a PodDisruptionBudget", "test/stages/stage5.test.ts"),
        solution.mapped("Managed Kubernetes", "kind (Kubernetes in Docker, one node) instead of EKS, GKE or AKS: the objects are the same, the control plane and its upgrades stay yours"),
        solution.mapped("Serverless Computing", "nothing on a laptop stands in for a function platform; the lab says so"),
        solution.mapped("Content Delivery Networks (CDNs)", "nothing on a laptop stands in for a global edge; Nginx is the only edge"),
        solution.mapped("Managed Database Services", "Postgres primary and replica as StatefulSets with their own volumes: backups, patching and failover stay yours, which a managed service would take"),
        solution.mapped("Managed Caching Services", "Redis as a Deployment with ACL users, instead of ElastiCache or Memorystore"),
        solution.shown("Cloud-Native CI/CD", "GitHub Actions: the end-to-end workflow brings stages up on a kind cluster on a runner", "test/ci/e2e.test.ts"),
        solution.mapped("Cloud Security Posture Management (CSPM)", "the policy pack checks every resource of the stack at preview and at up; a CSPM watches a whole cloud account continuously"),
        concept.mapped("Cloud Design", "stateless app pods, state in StatefulSets, configuration and credentials mounted as files: the design a cloud needs, on one node"),
        concept.shown("Advanced Load Balancing", "Nginx in front of the app Service, one connection per request so that every ready pod gets traffic", "test/renderers/nginx-kube-proxy.test.ts"),
        concept.mapped("Managed Services", "every service is self-managed in the cluster; the page says what a managed one would take off your hands"),
        concept.mapped("CDNs", "not on a laptop: nothing stands in for a global edge"),
        concept.shown("Auto-Scaling", "the HPA scales the app on CPU", "test/stages/stage5.test.ts"),
        concept.mapped("Distributed Systems (Basic)", "a one-node cluster: pods, Services and DNS behave as on many nodes, but no node can fail"),
        concept.mapped("Logging and Monitoring (Cloud-Native)", "`kubectl logs` per pod and the app's JSON logs; Prometheus comes in stage 6, a central log store is not shown"),
    ],
    6: [
        solution.shown("Global Traffic Management", "a second app region as Nginx's backup upstream: it answers only when region 1 has no ready pod", "test/stages/stage6.test.ts"),
        solution.mapped("Advanced Network Topologies", "namespaces and NetworkPolicies on one cluster stand for VPC peering, transit gateways and PrivateLink"),
        solution.mapped("Service Mesh", "not shown: NetworkPolicies restrict who talks to whom, but the hops are not mutually authenticated"),
        solution.mapped("Database Sharding/Partitioning", "not shown: one primary and one replica"),
        solution.mapped("Polyglot Persistence", "Postgres for records and Redis for the cache: two stores, each for its use"),
        solution.mapped("Multi-Region Database Deployments", "not shown: both app regions use the one primary"),
        solution.mapped("Multi-layer Caching", "Redis only; no CDN or application-level layer yet"),
        solution.shown("Cache Invalidation Strategies", "the app deletes an item's cache entry on write and fills it only if unchanged", "test/faults/redis-stopped.test.ts"),
        solution.mapped("Distributed Caches", "one Redis; a cluster or Sentinel would make it highly available"),
        solution.shown("Policy as Code (PaC)", "the CrossGuard pack with every policy mandatory before anything is deployed, and in the cluster itself Pod Security admission plus a ValidatingAdmissionPolicy holding the pack's core pod rules in CEL, so a `kubectl apply` around Pulumi is refused too", "test/kubernetes/admission.test.ts"),
        solution.shown("Advanced Observability", "Prometheus scraping the app's golden signals and the edge's exporter; an SLO and the queries that read it", "test/stages/stage6.test.ts"),
        solution.shown("Chaos Engineering", "a CronJob deletes a random app pod every five minutes, with a Role that can do only that", "test/stages/stage6.test.ts"),
        solution.mapped("Advanced Supply Chain Security", "not shown: CI scans images with Trivy; SBOMs, signing and provenance are the next step"),
        solution.mapped("Compliance & Auditing", "each policy names the public rules it follows (CIS, Kyverno, Checkov): evidence, not certification"),
        solution.mapped("Incident Response & Forensics", "not shown: the pack's messages name the rule, the resource and the fix; there is no playbook yet"),
        solution.mapped("Platform Engineering & Internal Developer Platforms (IDPs)", "`npm run lab`: one command per intent over the infrastructure code"),
        solution.mapped("FinOps", "requests and limits on every container are the only cost lever a laptop shows"),
        solution.shown("Threat Modeling & Security Architecture Review", "a STRIDE threat model on every stage page, generated from the stage's own topology (trust boundaries, entry points, flows, servers), each threat covered by a mandatory policy or a control of the stage, or open; in a real review people add the threats no topology shows (insiders, the supply chain, the business logic)", "test/docs/threats.test.ts"),
        solution.shown("Disaster Recovery & Business Continuity Planning", "the primary's WAL archived to a volume of its own, hourly base backups, and a restore drill (`npm run lab -- drill 6 restore`) that restores beside the primary and reports rows lost and the recovery point and time; the second region fails over at the edge. Business continuity beyond the database (people, runbooks, a second site) stays a plan on paper", "test/renderers/postgres-backup.test.ts"),
        concept.mapped("Microservices Architecture", "one service: the lab's lessons are about the platform around it"),
        concept.mapped("Event-Driven Architecture", "not shown: no queue or event log"),
        concept.shown("API Design", "a small REST API with validation and one error shape for every answer", "test/app/api.test.ts"),
        concept.shown("Data Consistency", "reads from the replica are eventually consistent; the app reports the replica's lag and reads from the primary when it is too far behind", "test/faults/replica-stopped.test.ts"),
        concept.shown("Rate Limiting", "Nginx's leaky-bucket limit per client address: past it, 429", "test/renderers/nginx-edge.test.ts"),
        concept.mapped("Database Sharding", "not shown: one primary"),
        concept.mapped("Distributed Systems (Advanced)", "not shown: Kubernetes's etcd runs Raft for you; the lab's own services have no consensus of their own"),
        concept.shown("Site Reliability Engineering (SRE) Principles", "an SLO (availability and latency) with the Prometheus queries that measure the SLIs", "test/stages/stage6.test.ts"),
        concept.shown("Chaos Engineering", "the chaos CronJob kills a pod on a schedule while the edge keeps serving from the other pods", "test/stages/stage6.test.ts"),
    ],
};

/** A stage page's table: every item of its roadmap section, shown or mapped. */
export function roadmapTable(stage: StageNumber): string {
    const entries = ROADMAP[stage];
    const count = (how: RoadmapEntry["how"]) => entries.filter((e) => e.how === how).length;
    return [
        `Every solution and concept the roadmap names for this stage: ${count("shown")} shown by something you can run or break, ${count("mapped")} mapped to what plays its part on a laptop.`,
        "",
        "| roadmap | kind | in the lab | checked by |",
        "|---|---|---|---|",
        ...entries.map((e) => `| ${e.item} | ${e.kind} | ${e.how}: ${e.by.replace(/\|/g, "\\|")} | ${e.how === "shown" ? `\`${e.evidence}\`` : "-"} |`),
    ].join("\n");
}
