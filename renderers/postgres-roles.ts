/**
 * Stage 4's least privilege for the primary: three roles instead of one superuser for everything,
 * and a pg_hba.conf that lets each role in only from where it belongs. Pure text; postgres.ts puts
 * it into the init script when asked (renderPrimaryInitScript({ leastPrivilege })).
 *
 *   owner      DATABASE.ownerUser: owns the database, schema and tables (migrations); it is the
 *              image's POSTGRES_USER, hence a superuser, so it may log in over the local socket only
 *   app        APP_DB_USER: DML on the lab's tables, nothing else, from the app tier only
 *   replicator DATABASE.replicationUser: REPLICATION LOGIN, from the replica's network only
 */
import { DATABASE, SECRETS_DIR } from "../program/names";

/** The app's role from stage 4 on. */
export const APP_DB_USER = DATABASE.appUser;

/**
 * Stage 4 reads passwords from files (VAR_FILE), as the image does for POSTGRES_PASSWORD_FILE, so
 * no password sits in a container's environment. Each VAR may still be given directly instead.
 */
export const LEAST_PRIVILEGE_ENV = {
    /** Read by the image itself: the owner's password. */
    ownerPasswordFile: "POSTGRES_PASSWORD_FILE",
    appPassword: "APP_DB_PASSWORD",
    appPasswordFile: "APP_DB_PASSWORD_FILE",
    /** Primary init and replica entrypoint alike. */
    replicationPassword: "REPLICATION_PASSWORD",
    replicationPasswordFile: "REPLICATION_PASSWORD_FILE",
} as const;

/** Where stage 4 mounts the password files in the postgres containers (0400, owned by uid 999). */
export const POSTGRES_SECRET_PATHS = {
    ownerPassword: `${SECRETS_DIR}/postgres-owner-password`,
    appPassword: `${SECRETS_DIR}/postgres-app-password`,
    replicationPassword: `${SECRETS_DIR}/postgres-replication-password`,
} as const;

export interface LeastPrivilegeOptions {
    /** Default APP_DB_USER. */
    appUser?: string;
    /** The app tier's addresses, e.g. the app network's subnet: the only place the app role logs in from. */
    appCidr: string;
    /** Stage 4: network logins over TLS only (hostssl), so a plaintext client is refused. */
    tls?: boolean;
}

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

export function isCidr(value: string): boolean {
    return /^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/.test(value) || /^[0-9a-fA-F:]+\/[0-9]{1,3}$/.test(value);
}

export function checkCidr(what: string, value: string): string {
    if (!isCidr(value) && value !== "samenet") throw new Error(`${what} "${value}" is not a CIDR such as 172.28.0.0/16 (or "samenet")`);
    return value;
}

function roleName(what: string, value: string): string {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) throw new Error(`${what} "${value}" must be a lower-case SQL name (a-z, 0-9, _)`);
    return value;
}

export interface PgHbaOptions {
    appUser?: string;
    appCidr: string;
    /** null: no replica, no replication line. */
    replicationCidr: string | null;
    /** hostssl instead of host: a client that does not speak TLS matches no line and is refused. */
    tls?: boolean;
}

/**
 * The whole pg_hba.conf. It replaces the image's, which trusts every local connection and lets any
 * role in from any address with a password. First match wins and there is no catch-all: whatever
 * is not listed is refused ("no pg_hba.conf entry").
 */
export function renderPgHba(opts: PgHbaOptions): string {
    const app = roleName("appUser", opts.appUser ?? APP_DB_USER);
    const host = opts.tls ? "hostssl" : "host";
    const rows = [
        ["# TYPE", "DATABASE", "USER", "ADDRESS", "METHOD"],
        ["local", "all", DATABASE.ownerUser, "", "scram-sha-256"],
        [host, DATABASE.name, app, checkCidr("appCidr", opts.appCidr), "scram-sha-256"],
    ];
    if (opts.replicationCidr !== null) {
        rows.push([host, "replication", DATABASE.replicationUser, checkCidr("replicationCidr", opts.replicationCidr), "scram-sha-256"]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const table = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
    return `# devsecops-journey: stage 4 client authentication. Rendered; replaces the image's pg_hba.conf.
# The owner (a superuser: migrations, administration) only over the container's own socket;
# the app only into the lab database from the app tier; replication only from the replica's network.
${table.join("\n")}
`;
}

/**
 * SQL run as the owner in the lab database after the schema exists. The password arrives as the
 * psql variable app_password (set by \getenv from the environment, so it is never in a process's
 * arguments); the server hashes it (password_encryption = scram-sha-256).
 */
/**
 * The app role's connections, at most: what the largest lab needs (9 instances, 10 each in their
 * pool), leaving the rest of Postgres's 100 to the owner and the replicator, so a stolen app password
 * cannot take every connection. The role cannot raise it (that needs CREATEROLE).
 */
export const APP_DB_CONNECTION_LIMIT = 90;

export function renderLeastPrivilegeSql(appUser: string = APP_DB_USER): string {
    const app = q(roleName("appUser", appUser));
    const schema = q(DATABASE.schema);
    const owner = q(DATABASE.ownerUser);
    return `
-- The app: reads and writes rows, nothing else. A stolen app password cannot drop a table, create
-- a function, read another database or make itself more powerful.
CREATE ROLE ${app} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT ${APP_DB_CONNECTION_LIMIT} PASSWORD :'app_password';

-- PUBLIC (every role) may connect to a new database and create temporary tables in it: take both
-- back and give CONNECT to the app alone. Since Postgres 15 PUBLIC has no CREATE on schema public;
-- said again here for any older server this text meets.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO ${app};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA ${schema} TO ${app};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${app};
-- Tables the owner's migrations add later get the same rights, and no more.
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema}
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema}
    GRANT USAGE, SELECT ON SEQUENCES TO ${app};
`;
}

/**
 * POSIX sh (so also bash): `lab_secret VAR why` sets VAR from $VAR or from the file named by
 * $VAR_FILE (not both), as the image's own file_env does; that function exists only inside the
 * image's entrypoint, and these scripts must also run on their own (the tests run them with bash
 * and dash). One reader for the primary's init script and the replica's entrypoint; `who` prefixes
 * its messages. Variable names are the program's constants, never input, so `eval` is safe here.
 */
export function shLabSecret(who: string): string {
    return `lab_secret() {
    eval "lab_value=\\\${$1:-}; lab_file=\\\${$1_FILE:-}"
    if [ -n "$lab_value" ] && [ -n "$lab_file" ]; then
        echo "${who}: set $1 or $1_FILE, not both" >&2
        exit 1
    fi
    if [ -n "$lab_file" ]; then
        if [ ! -r "$lab_file" ]; then
            echo "${who}: $1_FILE names $lab_file, which is not a readable file" >&2
            exit 1
        fi
        lab_value=$(cat "$lab_file")
    fi
    if [ -z "$lab_value" ]; then
        echo "${who}: $1 or $1_FILE must be set: $2" >&2
        exit 1
    fi
    eval "$1=\\$lab_value"
}`;
}
