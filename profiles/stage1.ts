import { StageProfile } from "./profile";

/**
 * Stage 1, "Day 1: the startup sprint". Just get it working: one app, one database, one network,
 * everything published. It works, and it has every problem the roadmap's stage 1 names.
 */
export const stage1: StageProfile = {
    stage: 1,
    title: "Day-1 sprint",
    target: "docker",
    app: { replicated: false, publishEachInstance: true },
    database: { replica: false, publish: true },
    loadBalancer: "none",
    cache: false,
    selfHealing: false,
    publishAddress: "0.0.0.0",
    tls: false,
    rateLimit: false,
    segmentation: false,
    secretsFrom: "env",
    leastPrivilege: false,
    hardening: false,
    story: {
        roadmap: "1. Day 1: The Startup Sprint on Bare Metal",
        scenario:
            "The product must launch yesterday. One app container talks to one Postgres container on one " +
            "network; both publish their ports so you can reach them. It works, and nothing protects it.",
        tryThis: [
            "Open {entry} and create an item; the page names the instance and the database node.",
            "Connect to the database from the host: psql -h localhost -p {db} -U lab_owner lab (password: npm run lab -- output 1 databasePassword --show-secrets).",
            "Stop the app (docker stop {instances}) and reload {entry}: the product is gone. That is a single point of failure.",
        ],
        lessons: [
            "One app instance and one database: either one stopping takes the product down (single point of failure), and no replica holds a copy of the data.",
            "The app and the database publish their ports on every interface of the host.",
            "The database password reaches the app as a plain environment variable.",
            "No restart policy (only the app's image brings a health check of its own): a crashed container stays down, and after a Docker restart or a reboot nothing comes back by itself; npm run lab -- reset 1 brings the stage back.",
            "Postgres starts as root (its image's entrypoint drops to the postgres user), and every container has a writable root filesystem, the default capabilities, privilege escalation allowed and no memory or CPU limits; only the app's image sets a non-root user.",
            "One flat network: whatever reaches the network reaches the database.",
        ],
    },
};
