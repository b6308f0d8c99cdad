/**
 * Disaster recovery for the Postgres primary: continuous WAL archiving, base backups, and a restore
 * into a fresh data directory (to the end of the archive, or to a point in time). Pure functions,
 * no Pulumi: the settings go on the primary's command line, the scripts run with the image's own
 * tools (pg_basebackup, tar, sh), and test/renderers/postgres-backup.test.ts runs the very same text
 * against Debian's Postgres 15 (the image's is 17: the archive and recovery settings used here are
 * the same in both, PostgreSQL docs "Continuous Archiving and Point-in-Time Recovery", 15 and 17).
 *
 * What it protects against, and what not: the archive and the base backups live on a volume of their
 * own, so losing the primary's data volume (or a `DROP TABLE` an hour ago) is recoverable; a WAL
 * segment is archived when it fills or after `archive_timeout`, so that is the recovery point: writes
 * acknowledged since the last archived segment are lost with the primary. A real deployment ships
 * the archive off the machine (object storage, pgBackRest or WAL-G) and tests the restore on a
 * schedule, as the drill does here.
 */
import { DATABASE } from "../program/names";

/** What the scripts read; the builder sets them, the tests set them the same way. */
export const BACKUP_ENV = {
    /** libpq's own: the primary pg_basebackup connects to (with PGPORT, PGUSER, PGPASSWORD). */
    primaryHost: "PGHOST",
    /** Where the primary's archive_command puts WAL segments (a volume of its own). */
    archiveDir: "ARCHIVE_DIR",
    /** Where base backups go, one folder each (base-<UTC stamp>). */
    backupDir: "BACKUP_DIR",
    /** How many base backups to keep (default 3); older ones are removed after a good one. */
    keep: "BACKUP_KEEP",
    /** Restore only: the base backup to restore (default: the newest). */
    backupName: "BACKUP_NAME",
    /** Restore only: a UTC time to stop at, "2026-12-04T21:10:01Z" or "2026-12-04 21:10:01+00" (default: the end of the archive). */
    targetTime: "RECOVERY_TARGET_TIME",
} as const;

/** Where the Kubernetes builder mounts the backup volume in the primary's pod and the backup job. */
export const BACKUP_PATHS = {
    archiveDir: "/var/lib/postgresql/backup/wal",
    backupDir: "/var/lib/postgresql/backup/base",
} as const;

export interface ArchiveOptions {
    readonly archiveDir: string;
    /** Seconds after which a partly filled WAL segment is archived anyway: the recovery point. Default 60. */
    readonly timeoutSeconds?: number;
}

const safePath = (what: string, dir: string) => {
    // The path goes into a shell command Postgres runs: no quoting tricks, only plain absolute paths.
    if (!/^\/[A-Za-z0-9._/-]+$/.test(dir)) throw new Error(`${what} must be a plain absolute path, got "${dir}"`);
    return dir.replace(/\/+$/, "");
};

/**
 * The primary's archiving settings. The copy goes to a temporary name first and is renamed, so a
 * crash mid-copy never leaves a truncated segment under its real name; an existing segment is never
 * overwritten (the command fails and Postgres retries), as the PostgreSQL docs require.
 */
export function archiveSettings(opts: ArchiveOptions): Record<string, string> {
    const dir = safePath("archiveDir", opts.archiveDir);
    const timeout = opts.timeoutSeconds ?? 60;
    if (!Number.isInteger(timeout) || timeout < 1) throw new Error(`archive timeoutSeconds must be a whole number of seconds >= 1, got ${timeout}`);
    return {
        archive_mode: "on",
        // mkdir -p: a fresh volume holds no folder yet.
        archive_command: `mkdir -p ${dir} && test ! -f ${dir}/%f && cp %p ${dir}/%f.part && mv ${dir}/%f.part ${dir}/%f`,
        archive_timeout: `${timeout}s`,
    };
}

/**
 * One base backup of the primary over the replication protocol (PGHOST, PGPORT, PGUSER and
 * PGPASSWORD or PGPASSFILE set by the caller: the replicator role may do it), as a compressed tar
 * with the WAL it needs, so each backup restores on its own; then the oldest beyond BACKUP_KEEP go.
 * Prints one line a log reader can use: the backup's name, size and how long it took.
 */
export function renderBaseBackupScript(): string {
    const e = BACKUP_ENV;
    return `#!/bin/sh
# A base backup of the Postgres primary (renderers/postgres-backup.ts).
set -eu
: "\${${e.backupDir}:?set ${e.backupDir}}"
keep="\${${e.keep}:-3}"
case "$keep" in ''|*[!0-9]*|0) echo "backup: ${e.keep} must be a whole number >= 1, got '$keep'" >&2; exit 2;; esac
mkdir -p "$${e.backupDir}"
name="base-$(date -u +%Y%m%dT%H%M%SZ)"
started=$(date +%s)
rm -rf "$${e.backupDir}/$name.partial"
pg_basebackup --no-password --pgdata="$${e.backupDir}/$name.partial" --format=tar --gzip \\
    --wal-method=stream --checkpoint=fast --label="$name"
mv "$${e.backupDir}/$name.partial" "$${e.backupDir}/$name"
# Retention: the newest $keep complete backups stay (names sort by time).
count=$(ls -1d "$${e.backupDir}"/base-* 2>/dev/null | grep -v '\\.partial$' | wc -l)
for old in $(ls -1d "$${e.backupDir}"/base-* | grep -v '\\.partial$' | sort | head -n "$((count > keep ? count - keep : 0))"); do
    rm -rf "$old"
done
size=$(du -sk "$${e.backupDir}/$name" | cut -f1)
echo "backup: $name done, \${size} KiB in $(( $(date +%s) - started )) s; kept $((count > keep ? keep : count))"
`;
}

/**
 * Restores a base backup into an empty PGDATA and sets up recovery from the archive: replay to its
 * end (or to RECOVERY_TARGET_TIME), then promote, so the server that starts on it is a primary
 * again. The caller then starts postgres on PGDATA as usual.
 */
export function renderRestoreScript(): string {
    const e = BACKUP_ENV;
    return `#!/bin/sh
# Restore the Postgres primary from a base backup and the WAL archive (renderers/postgres-backup.ts).
set -eu
: "\${PGDATA:?set PGDATA}"
: "\${${e.backupDir}:?set ${e.backupDir}}"
: "\${${e.archiveDir}:?set ${e.archiveDir}}"
if [ -s "$PGDATA/PG_VERSION" ]; then echo "restore: $PGDATA already holds a database; restore into an empty one" >&2; exit 2; fi
name="\${${e.backupName}:-$(ls -1d "$${e.backupDir}"/base-* 2>/dev/null | grep -v '\\.partial$' | sort | tail -n 1 | xargs -r basename)}"
if [ -z "$name" ] || [ ! -f "$${e.backupDir}/$name/base.tar.gz" ]; then
    echo "restore: no base backup in $${e.backupDir} (run the backup first)" >&2; exit 2
fi
mkdir -p "$PGDATA"
chmod 700 "$PGDATA"
tar -xzf "$${e.backupDir}/$name/base.tar.gz" -C "$PGDATA"
mkdir -p "$PGDATA/pg_wal"
tar -xzf "$${e.backupDir}/$name/pg_wal.tar.gz" -C "$PGDATA/pg_wal"
{
    echo "restore_command = 'cp $${e.archiveDir}/%f %p'"
    echo "recovery_target_action = 'promote'"
    # Postgres reads "2026-12-04 21:10:01.693+00", not ISO 8601's T and Z: accept both.
    if [ -n "\${${e.targetTime}:-}" ]; then
        echo "recovery_target_time = '$(printf %s "$${e.targetTime}" | sed 's/T/ /; s/Z$/+00/')'"
    fi
} >> "$PGDATA/postgresql.auto.conf"
touch "$PGDATA/recovery.signal"
echo "restore: $name into $PGDATA, replaying $${e.archiveDir}\${${e.targetTime}:+ up to $${e.targetTime}}"
`;
}

/** What the restore drill reads besides BACKUP_ENV and PGDATA (the fresh, empty data directory). */
export const DRILL_ENV = {
    /** The rendered restore script (renderRestoreScript), run first. */
    restoreScript: "DRILL_RESTORE_SCRIPT",
    /** Where the restored instance listens: a Unix socket directory only, never the network. */
    socketDir: "DRILL_SOCKET_DIR",
    /** The owner's password (the restored copy keeps the primary's roles and pg_hba: owner over the socket). */
    ownerPasswordFile: "OWNER_PASSWORD_FILE",
    /** The live primary, read as the app's own role (DML on the lab schema, allowed from the pod network). */
    primaryHost: "LIVE_PRIMARY_HOST",
    primaryPort: "LIVE_PRIMARY_PORT",
    appUser: "APP_DB_USER",
    appPasswordFile: "APP_DB_PASSWORD_FILE",
} as const;

/**
 * The restore drill: restores the newest base backup and the archive into a fresh instance beside
 * the live primary (never over it), waits until it has promoted, and compares the two: rows, the
 * last id and the last write. Prints one line a learner reads as the recovery point and time, then
 * stops the copy. Exits non-zero only when the restore itself fails.
 */
export function renderRestoreDrillScript(): string {
    const d = DRILL_ENV;
    const summary = `SELECT count(*) || ' ' || coalesce(max(id), 0) || ' ' || coalesce(floor(extract(epoch FROM max(greatest(created_at, updated_at))))::bigint, 0) FROM ${DATABASE.schema}.items`;
    return `#!/bin/sh
# The restore drill (renderers/postgres-backup.ts): restore beside the primary, compare, report.
set -eu
: "\${PGDATA:?set PGDATA}"
: "\${${d.restoreScript}:?set ${d.restoreScript}}"
sock="\${${d.socketDir}:-/tmp}"
started=$(date +%s)
sh "$${d.restoreScript}"
log="$sock/restore-drill.log"
if ! pg_ctl -D "$PGDATA" -l "$log" -w -t 600 \\
    -o "-c listen_addresses= -c unix_socket_directories=$sock -c archive_mode=off -c port=5432" start >/dev/null; then
    echo "restore drill: the restored instance did not start; its log:" >&2; cat "$log" >&2; exit 1
fi
stop() { pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; }
trap stop EXIT
restored_sql() { PGPASSWORD="$(cat "$${d.ownerPasswordFile}")" psql -h "$sock" -p 5432 -U ${DATABASE.ownerUser} -d ${DATABASE.name} -XAtq -c "$1"; }
waited=0
until [ "$(restored_sql 'SELECT pg_is_in_recovery()')" = f ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 600 ]; then echo "restore drill: still replaying the archive after 600 s; its log:" >&2; cat "$log" >&2; exit 1; fi
    sleep 1
done
seconds=$(( $(date +%s) - started ))
set -- $(restored_sql "${summary}")
rows=$1 last_id=$2 last_at=$3
live=$(PGPASSWORD="$(cat "$${d.appPasswordFile}")" psql -XAtq -c "${summary}" \\
    "host=$${d.primaryHost} port=\${${d.primaryPort}:-5432} user=$${d.appUser} dbname=${DATABASE.name} connect_timeout=10" 2>&1) || {
    echo "restore drill: restored $rows rows (last id $last_id) in $seconds s; the live primary did not answer: $live"; exit 0; }
set -- $live
echo "restore drill: restored $rows rows (last id $last_id) in $seconds s; the primary has $1 rows (last id $2); lost $(( $1 > rows ? $1 - rows : 0 )) rows, recovery point $(( $3 > last_at ? $3 - last_at : 0 )) s"
`;
}
