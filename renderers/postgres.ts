/**
 * PostgreSQL primary + streaming replica: server settings, the primary's one-time init, and the
 * replica's clone-then-start entrypoint. Pure functions, no Pulumi: the Docker builder uploads what
 * they return into the official `postgres:17` image, and test/renderers/postgres*.test.ts run the very
 * same text against Debian's Postgres 15, so every setting here must be valid for both. Stage 4's
 * roles and pg_hba live in postgres-roles.ts.
 */
import { DATABASE } from "../program/names";
import {
    APP_DB_USER, LEAST_PRIVILEGE_ENV, type LeastPrivilegeOptions, checkCidr, renderLeastPrivilegeSql, renderPgHba, shLabSecret,
} from "./postgres-roles";

export {
    APP_DB_USER, LEAST_PRIVILEGE_ENV, type LeastPrivilegeOptions, POSTGRES_SECRET_PATHS, renderLeastPrivilegeSql, renderPgHba,
} from "./postgres-roles";

/** Where the scripts live in the official image (the builder uploads them there). */
export const POSTGRES_PATHS = {
    /** The image's default PGDATA up to postgres:17 (postgres:18 moved it: pin the major). */
    dataDir: "/var/lib/postgresql/data",
    /** Run once by the image's entrypoint, only when it initialises an empty data directory. */
    primaryInitScript: "/docker-entrypoint-initdb.d/10-lab-init.sh",
    /**
     * The replica's entrypoint; it ends with `exec "$@"` into the image's own entrypoint. In a folder
     * of its own: stage 4 mounts that folder as a read-only volume.
     */
    replicaEntrypoint: "/usr/local/lab/replica-entrypoint.sh",
} as const;

/** Environment the official image itself reads (set by the builder on the primary). */
export const POSTGRES_IMAGE_ENV = {
    user: "POSTGRES_USER",
    password: "POSTGRES_PASSWORD",
    database: "POSTGRES_DB",
    dataDir: "PGDATA",
} as const;

/** Environment the primary's init script reads, besides the image's own. */
export const PRIMARY_INIT_ENV = {
    replicationPassword: "REPLICATION_PASSWORD",
} as const;

/** Environment the replica entrypoint reads (plus PGDATA); defined with the pack, which checks the wiring. */
export { REPLICA_ENV } from "../policy-pack/contract";
import { REPLICA_ENV } from "../policy-pack/contract";

export type PostgresRole = "primary" | "replica";

export interface PostgresSettingsOptions {
    /** Default 128MB: a laptop runs two of these next to the app, Redis and Nginx. */
    sharedBuffers?: string;
    /** Default 100. A hot standby refuses to start with less than its primary, so keep both equal. */
    maxConnections?: number;
}

/**
 * Settings for either node. Both roles get the same replication limits on purpose: a hot standby
 * must have max_connections, max_wal_senders, ... at least as high as its primary's, and a replica
 * may be promoted one day.
 */
export function postgresSettings(role: PostgresRole, opts: PostgresSettingsOptions = {}): Record<string, string> {
    const settings: Record<string, string> = {
        // Containers reach each other over the lab network; pg_hba decides who may log in.
        listen_addresses: "*",
        max_connections: String(opts.maxConnections ?? 100),
        shared_buffers: opts.sharedBuffers ?? "128MB",
        password_encryption: "scram-sha-256",
        wal_level: "replica",
        max_wal_senders: "10",
        max_replication_slots: "10",
        // The slot already keeps what the replica needs; this covers a replica cloned without one.
        wal_keep_size: "256MB",
        // A slot whose replica is gone keeps WAL forever and fills the primary's disk: bound it.
        max_slot_wal_keep_size: "1GB",
        hot_standby: "on",
        log_connections: "on",
        log_disconnections: "on",
        log_replication_commands: "on",
    };
    if (role === "replica") {
        // Tell the primary which rows a long read still needs, so replay does not cancel it.
        settings.hot_standby_feedback = "on";
    }
    return settings;
}

/**
 * `["-c", "k=v", ...]`, the container command after `postgres`. Arguments are passed without a
 * shell, so values need no quoting; settings given later on the command line win, which is how the
 * tests add their own overrides.
 */
export function postgresArgs(settings: Record<string, string>): string[] {
    return Object.entries(settings).flatMap(([key, value]) => {
        if (!/^[a-z_][a-z0-9_.]*$/.test(key)) throw new Error(`postgres setting name "${key}" is not a setting name`);
        return ["-c", `${key}=${value}`];
    });
}

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * SQL run once on a new primary, as the owner role the image creates from POSTGRES_USER, in the
 * database it creates from POSTGRES_DB. The replication password arrives as the psql variable
 * `replication_password`, so this text holds no secret and can live in a ConfigMap or the repo.
 */
export function renderPrimaryInitSql(opts: { replication?: boolean } = {}): string {
    const schema = q(DATABASE.schema);
    const owner = q(DATABASE.ownerUser);
    const replication = `
-- REPLICATION LOGIN only: the replica streams WAL, it needs no rights on any table.
-- The password comes from the psql variable, hashed by the server (password_encryption).
CREATE ROLE ${q(DATABASE.replicationUser)} WITH REPLICATION LOGIN PASSWORD :'replication_password';

-- The slot makes the primary keep WAL until the replica has it, so a slow replica is not lost.
SELECT pg_create_physical_replication_slot(${lit(DATABASE.replicationSlot)}, true);
`;
    return `-- devsecops-journey: the lab's schema${opts.replication === false ? "" : ", its replication role and slot"} (runs once).
-- Since Postgres 15 PUBLIC may not create in schema public: the lab objects get their own schema.
CREATE SCHEMA ${schema} AUTHORIZATION ${owner};

CREATE TABLE ${schema}.items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    note       text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- In stages 1-3 the app connects as the owner; stage 4 splits DML into its own role.
ALTER TABLE ${schema}.items OWNER TO ${owner};
${opts.replication === false ? "" : replication}`;
}

export interface PrimaryInitScriptOptions {
    /** Network the replica connects from, e.g. the lab network's subnet "172.28.0.0/16", or "samenet". */
    replicationCidr: string;
    /**
     * Default true. false (stage 1, no replica): no replication role, slot or pg_hba line, and no
     * REPLICATION_PASSWORD needed; an unused slot would hold WAL for a replica that never comes.
     */
    replication?: boolean;
    /**
     * Stage 4: an app role with DML only, passwords from VAR or VAR_FILE (LEAST_PRIVILEGE_ENV), and
     * a pg_hba.conf that replaces the image's (renderPgHba).
     */
    leastPrivilege?: LeastPrivilegeOptions;
}

/**
 * Bash for /docker-entrypoint-initdb.d/. The image runs it once, against a temporary server
 * listening on its Unix socket only, after creating POSTGRES_USER and POSTGRES_DB. It then restarts
 * the server, which also reloads pg_hba.conf.
 */
export function renderPrimaryInitScript(opts: PrimaryInitScriptOptions): string {
    const cidr = checkCidr("replicationCidr", opts.replicationCidr);
    const replication = opts.replication !== false;
    if (opts.leastPrivilege) return leastPrivilegeInitScript(opts.leastPrivilege, cidr, replication);
    const pw = PRIMARY_INIT_ENV.replicationPassword;
    const sql = renderPrimaryInitSql({ replication });
    const header = `#!/usr/bin/env bash
# devsecops-journey: one-time init of the primary (schema${replication ? ", replication role and slot, pg_hba" : ""}).
# The image *sources* a non-executable *.sh, so this keeps its own shell options (no set -u).
set -Eeo pipefail
`;
    if (!replication) {
        return `${header}
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'EOSQL'
${sql}EOSQL
`;
    }
    return `${header}
${shLabSecret("lab-init")}

lab_secret ${pw} "the replica logs in with it"

# Quoted heredoc: bash expands nothing inside, psql substitutes :'replication_password'.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
    -v replication_password="$${pw}" <<'EOSQL'
${sql}EOSQL

# The image writes pg_hba only for normal connections ("host all all all ..."), and "all" does not
# match replication: without this line the replica's pg_basebackup is refused.
echo "host replication ${DATABASE.replicationUser} ${cidr} scram-sha-256" >> "$PGDATA/pg_hba.conf"
`;
}

/** Stage 4's init: the schema, three roles, the slot, and the replaced pg_hba.conf. */
function leastPrivilegeInitScript(lp: LeastPrivilegeOptions, replicationCidr: string, replication: boolean): string {
    const env = LEAST_PRIVILEGE_ENV;
    const hba = renderPgHba({ appUser: lp.appUser, appCidr: lp.appCidr, replicationCidr: replication ? replicationCidr : null, tls: lp.tls });
    const sql = renderPrimaryInitSql({ replication }) + renderLeastPrivilegeSql(lp.appUser);
    const passwords = [
        `lab_secret ${env.appPassword} "the app role logs in with it"`,
        ...(replication ? [`lab_secret ${env.replicationPassword} "the replica logs in with it"`] : []),
    ];
    const psqlEnv = [`LAB_APP_PASSWORD="$${env.appPassword}"`, ...(replication ? [`LAB_REPLICATION_PASSWORD="$${env.replicationPassword}"`] : [])];
    const getenv = ["\\getenv app_password LAB_APP_PASSWORD", ...(replication ? ["\\getenv replication_password LAB_REPLICATION_PASSWORD"] : [])];
    return `#!/usr/bin/env bash
# devsecops-journey: one-time init of the primary, least privilege (stage 4): schema, app role${replication ? ", replication role and slot" : ""},
# and a pg_hba.conf that replaces the image's.
# The image *sources* a non-executable *.sh, so this keeps its own shell options (no set -u).
set -Eeo pipefail

${shLabSecret("lab-init")}

${passwords.join("\n")}

# The passwords reach psql through its environment alone and become psql variables by \\getenv
# (psql >= 15): in psql's arguments they would show in \`ps\` on the host while the init runs.
${psqlEnv.join(" ")} \\
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'EOSQL'
${getenv.join("\n")}
${sql}EOSQL

# Replace, not append: the image's file trusts every local connection and accepts every role from
# every address. The server reads it when the image restarts it after this script.
cat > "$PGDATA/pg_hba.conf" <<'EOHBA'
${hba}EOHBA
echo "lab-init: roles ${DATABASE.ownerUser}, ${lp.appUser ?? APP_DB_USER}${replication ? `, ${DATABASE.replicationUser}` : ""} created; pg_hba.conf replaced"
`;
}

/**
 * POSIX sh entrypoint for the replica container, run as the postgres user (uid 999 in the image)
 * with the image's own `docker-entrypoint.sh postgres ...` as its arguments. On an empty data
 * directory it clones the primary; the image's entrypoint then skips initdb because PG_VERSION
 * exists, and postgres starts as a standby (`-R` wrote standby.signal and primary_conninfo).
 */
export function renderReplicaEntrypoint(): string {
    const e = REPLICA_ENV;
    return `#!/bin/sh
# devsecops-journey: clone the primary once, then hand over to the image's entrypoint.
set -eu

: "\${PGDATA:?PGDATA must be set}"
: "\${${e.primaryHost}:?${e.primaryHost} must be set}"
: "\${${e.replicationUser}:?${e.replicationUser} must be set}"
# The password as a value (stages 1-3) or, better, as a file (stage 4: nothing secret in the environment).
${shLabSecret("replica")}
lab_secret ${e.replicationPassword} "the replica logs in to the primary with it"
: "\${${e.replicationSlot}:?${e.replicationSlot} must be set}"
${e.primaryPort}="\${${e.primaryPort}:-5432}"
wait_seconds="\${${e.waitSeconds}:-120}"

# Only an empty replica needs the primary now: a cloned one starts and serves reads on its own,
# and reconnects to the primary by itself (that is the lesson of a replica, keep it that way).
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    tries=0
    until pg_isready -q -h "$${e.primaryHost}" -p "$${e.primaryPort}" -t 2; do
        tries=$((tries + 1))
        if [ "$tries" -ge "$wait_seconds" ]; then
            echo "replica: primary $${e.primaryHost}:$${e.primaryPort} not ready after $wait_seconds tries; giving up" >&2
            exit 1
        fi
        sleep 1
    done
    echo "replica: cloning $${e.primaryHost}:$${e.primaryPort} into $PGDATA (slot $${e.replicationSlot})"
    # -R writes standby.signal and primary_conninfo (with this password) into PGDATA, which stays 0700.
    PGPASSWORD="$${e.replicationPassword}" pg_basebackup \\
        -h "$${e.primaryHost}" -p "$${e.primaryPort}" -U "$${e.replicationUser}" \\
        -D "$PGDATA" -R -X stream -S "$${e.replicationSlot}" --checkpoint=fast
    # Postgres refuses a data directory others can read; the image's volume starts as 1777.
    chmod 0700 "$PGDATA"
fi

if [ "$#" -eq 0 ]; then
    echo "replica: no command given (expected the image's docker-entrypoint.sh postgres ...)" >&2
    exit 64
fi
exec "$@"
`;
}
