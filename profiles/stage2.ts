import { StageProfile } from "./profile";
import { stage1 } from "./stage1";

/**
 * Stage 2, "Early growth: automating the chaos". More identical app instances behind Docker's DNS
 * round robin, and a dedicated primary with a streaming replica for read scaling and redundancy.
 */
export const stage2: StageProfile = {
    ...stage1,
    stage: 2,
    title: "Early growth",
    app: { replicated: true, publishEachInstance: true },
    database: { replica: true, publish: true },
    loadBalancer: "dns-round-robin",
    story: {
        roadmap: "2. Early Growth: Automating the Chaos",
        scenario:
            "The single server is maxed out. Now N identical app instances share one network alias, so " +
            "Docker's DNS hands out their addresses in turn, and each is also published on its own host " +
            "port. Postgres gets a dedicated primary and a streaming replica that copies itself from the " +
            "primary on first start; the app writes to the primary and reads from the replica.",
        tryThis: [
            "Open the instances one by one ({entry}): each page names a different instance.",
            "Resolve the shared alias from inside the network: docker exec {firstInstance} getent ahosts app. You get one address per instance.",
            "Stop one instance (docker stop {firstInstance}); the others still answer on their ports.",
            "Create an item, then read it: X-Db-Node says replica. Watch the replica follow: psql -h localhost -p {dbReplica} -U lab_owner lab -c 'select * from lab.items'.",
        ],
        lessons: [
            "DNS round robin is not load balancing: clients cache addresses and keep calling a dead instance.",
            "Every app instance and both databases publish their ports on every interface of the host.",
            "Passwords reach the containers as plain environment variables.",
            "No restart policy (only the app's image brings a health check of its own): a crashed container stays down, and after a Docker restart or a reboot nothing comes back by itself; npm run lab -- reset 2 brings the stage back.",
            "Postgres starts as root (its image's entrypoint drops to the postgres user), and every container has a writable root filesystem, the default capabilities, privilege escalation allowed and no memory or CPU limits; only the app's image sets a non-root user.",
            "One flat network: whatever reaches the network reaches both databases.",
        ],
    },
};
