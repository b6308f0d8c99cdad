import { StageProfile } from "./profile";
import { stage3 } from "./stage3";

/**
 * Stage 4, "Integrating security: shifting left". Stage 3's topology, made secure: TLS at the edge,
 * networks split by tier, credentials in Vault, least privilege in the data tier, hardened
 * containers; and the policy pack turns every lesson of stages 1-3 into a mandatory rule.
 */
export const stage4: StageProfile = {
    ...stage3,
    stage: 4,
    title: "Shift-left security",
    tls: true,
    rateLimit: true,
    segmentation: true,
    secretsFrom: "vault",
    leastPrivilege: true,
    hardening: true,
    story: {
        roadmap: "4. Integrating Security: Shifting Left",
        scenario:
            "A breach was a wake-up call. The same product, made secure from the ground up: Nginx serves " +
            "HTTPS only (HTTP redirects, HSTS, security headers, a rate limit); edge, app and data live on " +
            "separate networks and the data network has no way out; Vault holds the database and Redis " +
            "credentials and the app reads them with a token that can read nothing else; Postgres has an " +
            "owner, an app role that can only change rows, and a replicator; Redis requires a password and " +
            "the app's user may run only the commands it uses; every container runs as a non-root user on " +
            "a read-only filesystem with no capabilities and with memory and CPU limits.",
        tryThis: [
            "Open {entry} (accept the self-signed certificate) and create an item; curl -sI {httpEntry} answers 301 to HTTPS.",
            "curl -skI {entry} shows Strict-Transport-Security and the other security headers.",
            "Hammer it: for i in $(seq 50); do curl -sk -o /dev/null -w '%{http_code} ' {entry}/api/items; done: past the limit Nginx answers 429.",
            "The database is unreachable from the host, and the app's environment holds no password: docker exec {firstInstance} env | grep -i pass finds nothing.",
            "The app's token reads its own secret and nothing else: docker logs {bootstrap} shows what the bootstrap created.",
            "docker logs {vault} shows dev mode's start-up banner with \"Root Token: (not shown; ...)\": the root token reaches Vault " +
                "from a file and never a log, the environment (docker inspect {vault}) or Vault's command line.",
            "Restart Vault (docker restart {vault}) and it is empty: dev mode keeps everything in memory, so new app connections " +
                "can no longer read their credentials. npm run lab -- reset 4 brings the stage down and up again, and the bootstrap fills Vault.",
        ],
        lessons: [],
    },
};
