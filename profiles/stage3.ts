import { StageProfile } from "./profile";
import { stage2 } from "./stage2";

/**
 * Stage 3, "Scaling and isolation". Nginx becomes the only way in: an L7 load balancer with
 * passive health checks that retries the next instance; Redis takes reads off the database.
 */
export const stage3: StageProfile = {
    ...stage2,
    stage: 3,
    title: "Scaling and isolation",
    app: { replicated: true, publishEachInstance: false },
    database: { replica: true, publish: false },
    loadBalancer: "nginx",
    cache: true,
    selfHealing: true,
    publishAddress: "127.0.0.1",
    story: {
        roadmap: "3. Scaling & Isolation: Virtualization & Containerization",
        scenario:
            "DNS round robin is not smart enough and the database struggles with reads. Nginx now stands " +
            "in front as the single entry point, spreads requests over the instances, marks a failing " +
            "one down and retries the next; the app caches reads in Redis (cache-aside, invalidated on " +
            "write). Only Nginx publishes a port, on 127.0.0.1; every container has a health check and " +
            "a restart policy.",
        tryThis: [
            "curl -si {entry}/api/items?limit=5 a few times: X-Upstream and X-Instance change from request to request.",
            "Create an item (curl -s -X POST {entry}/api/items -H 'content-type: application/json' -d '{\"name\":\"cached\"}'), read it twice: X-Cache goes miss, then hit.",
            "Kill an instance under load (docker kill {firstInstance} while a loop of curl runs): no request fails, Nginx retries the next one.",
            "The database is no longer published: psql -h localhost -p {db} (stage 2's port) fails from the host.",
        ],
        lessons: [
            "Traffic is plain HTTP, even at the edge.",
            "One flat network: a compromised app container can reach every database and the cache.",
            "Passwords reach the containers as plain environment variables; Redis has no password.",
            "Postgres starts as root (its image's entrypoint drops to the postgres user), and every container has a writable root filesystem, the default capabilities, privilege escalation allowed and no memory or CPU limits; only the app's image sets a non-root user.",
        ],
    },
};
