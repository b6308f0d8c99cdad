/**
 * The restore drill, for real: Debian's Postgres 15 archives its WAL with the rendered settings, the
 * rendered script takes a base backup over the replication protocol as the replicator role, the
 * primary is killed and its data thrown away, and the rendered restore script brings a fresh
 * instance back, to the end of the archive and to a point in time. It measures what the page
 * states: the recovery point (acknowledged writes lost) and the recovery time on this machine.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { DATABASE } from "../../program/names";
import { postgresSettings } from "../../renderers/postgres";
import { BACKUP_ENV, DRILL_ENV, archiveSettings, renderBaseBackupScript, renderRestoreDrillScript, renderRestoreScript } from "../../renderers/postgres-backup";
import {
    NEEDS, PostgresServer, Proc, TEST_ONLY_ARGS, freePort, makeTempDir, postgresBinDir, postgresRunAs, removeTempDir, run, skipUnless,
    startPostgresPrimary, waitFor, writeOwnedFile,
} from "../support/servers";

const ITEMS = `${DATABASE.schema}.items`;
const rows = async (server: { query: PostgresServer["query"] }) => Number((await server.query(`SELECT count(*) AS n FROM ${ITEMS}`)).rows[0].n);

describe("renderers: Postgres backup and restore, against a real server (the restore drill)", function () {
    this.timeout(120_000);
    let primary: PostgresServer | undefined;
    let dir: string;
    const runAs = postgresRunAs();
    const bin = (name: string) => path.join(postgresBinDir() ?? "", name);
    const env = () => ({ PATH: `${postgresBinDir()}${path.delimiter}${process.env.PATH ?? ""}` });

    before(async function () {
        skipUnless(this, NEEDS.postgres);
        dir = makeTempDir("pg-backup-", "postgres");
        for (const sub of ["wal", "base"]) {
            fs.mkdirSync(path.join(dir, sub));
            if (runAs) fs.chownSync(path.join(dir, sub), runAs.uid, runAs.gid);
        }
        // archive_timeout 1 s here so the drill need not wait the rendered minute; the rest is as rendered.
        // Stage 4's roles and pg_hba: the owner over the socket only, the app role over TCP.
        primary = await startPostgresPrimary({
            settings: { ...postgresSettings("primary"), ...archiveSettings({ archiveDir: path.join(dir, "wal"), timeoutSeconds: 1 }) },
            leastPrivilege: { appCidr: "127.0.0.1/32" },
        });
    });
    after(async () => {
        await primary?.close();
        if (dir) removeTempDir(dir);
    });

    let marks: { afterFirstBatch: Date; lastId: number } | undefined;

    const insert = async (batch: string, n: number) => {
        await primary!.query(`INSERT INTO ${ITEMS} (name) SELECT $1 || ' ' || g FROM generate_series(1, $2) g`, [batch, n]);
        return (await primary!.query(`SELECT max(id) AS id, pg_current_wal_lsn() AS lsn, clock_timestamp() AS at FROM ${ITEMS}`)).rows[0] as { id: string; lsn: string; at: Date };
    };

    const backup = () => {
        const script = path.join(dir, "backup.sh");
        writeOwnedFile(script, renderBaseBackupScript(), runAs, 0o700);
        return run("backup.sh", "sh", [script], {
            runAs, cwd: dir,
            env: {
                ...env(), PGHOST: primary!.host, PGPORT: String(primary!.port), PGUSER: DATABASE.replicationUser,
                PGPASSWORD: primary!.replicationPassword, [BACKUP_ENV.backupDir]: path.join(dir, "base"), [BACKUP_ENV.keep]: "1",
            },
        });
    };

    /** Restores into a fresh dir, starts it, and waits until it has promoted; returns the server and the seconds it took. */
    const restore = async (name: string, extra: Record<string, string> = {}) => {
        const started = Date.now();
        const data = path.join(dir, `restored-${name}`);
        const script = path.join(dir, "restore.sh");
        writeOwnedFile(script, renderRestoreScript(), runAs, 0o700);
        await run("restore.sh", "sh", [script], {
            runAs, cwd: dir,
            env: { ...env(), PGDATA: data, [BACKUP_ENV.backupDir]: path.join(dir, "base"), [BACKUP_ENV.archiveDir]: path.join(dir, "wal"), ...extra },
        });
        const port = await freePort();
        const proc = new Proc(`postgres-restored-${name}:${port}`, bin("postgres"), ["-D", data, "-p", String(port), "-k", dir, ...TEST_ONLY_ARGS], { runAs, env: env() });
        // The copy keeps the primary's pg_hba: the owner over the socket.
        const config = { host: dir, port, user: DATABASE.ownerUser, password: primary!.password, database: DATABASE.name };
        const query = async (sql: string) => {
            const client = new Client({ ...config, connectionTimeoutMillis: 2000 });
            client.on("error", () => undefined);
            await client.connect();
            try { return await client.query(sql); } finally { await client.end().catch(() => undefined); }
        };
        await waitFor(`restored postgres ${name} promoted`, async () => {
            try { return (await query("SELECT pg_is_in_recovery() AS r")).rows[0].r === false; } catch { return false; }
        }, { proc, timeoutMs: 60_000, intervalMs: 100 });
        return { proc, query: query as PostgresServer["query"], seconds: (Date.now() - started) / 1000, logs: () => proc.output() };
    };

    it("archives WAL with the rendered command: every segment complete under its own name, none overwritten", async () => {
        const before = Number((await primary!.query("SELECT archived_count FROM pg_stat_archiver")).rows[0].archived_count);
        await primary!.query("SELECT pg_switch_wal()");
        await waitFor("a segment archived", async () =>
            Number((await primary!.query("SELECT archived_count FROM pg_stat_archiver")).rows[0].archived_count) > before, { timeoutMs: 15_000 });
        const files = fs.readdirSync(path.join(dir, "wal"));
        assert.ok(files.length > 0 && files.every((f) => /^[0-9A-F]{24}$/.test(f)), `archive: ${files.join(" ")}`);
        assert.equal(Number((await primary!.query("SELECT failed_count FROM pg_stat_archiver")).rows[0].failed_count), 0);
        assert.throws(() => archiveSettings({ archiveDir: "/tmp/x; rm -rf /" }), /plain absolute path/);
    });

    it("takes base backups as the replicator role, keeps only the newest BACKUP_KEEP, and says what it did", async () => {
        const first = await backup();
        assert.match(first, /backup: base-\d{8}T\d{6}Z done, \d+ KiB in \d+ s; kept 1/);
        await new Promise((r) => setTimeout(r, 1100)); // names are per second
        const second = await backup();
        assert.match(second, /kept 1$/m);
        const kept = fs.readdirSync(path.join(dir, "base"));
        assert.deepEqual(kept, [/backup: (base-\S+) done/.exec(second)![1]], "only the newest is kept");
        for (const b of kept) assert.deepEqual(fs.readdirSync(path.join(dir, "base", b)).sort(), ["backup_manifest", "base.tar.gz", "pg_wal.tar.gz"]);
    });

    it("runs the restore drill beside the live primary: restores, promotes, compares and reports in one line", async () => {
        await insert("drill", 50);
        const lsn = (await primary!.query("SELECT pg_current_wal_lsn() AS lsn")).rows[0].lsn;
        await waitFor("the drill's writes archived", async () => {
            const r = (await primary!.query("SELECT last_archived_wal, pg_walfile_name($1::pg_lsn) AS needed FROM pg_stat_archiver", [lsn])).rows[0];
            return r.last_archived_wal !== null && r.last_archived_wal >= r.needed;
        }, { timeoutMs: 20_000 });
        const files = path.join(dir, "drill-files");
        fs.mkdirSync(files);
        if (runAs) fs.chownSync(files, runAs.uid, runAs.gid);
        writeOwnedFile(path.join(files, "restore.sh"), renderRestoreScript(), runAs, 0o500);
        writeOwnedFile(path.join(files, "drill.sh"), renderRestoreDrillScript(), runAs, 0o500);
        writeOwnedFile(path.join(files, "owner"), primary!.password, runAs, 0o400);
        writeOwnedFile(path.join(files, "app"), primary!.app!.password, runAs, 0o400);
        const out = await run("drill.sh", "sh", [path.join(files, "drill.sh")], {
            runAs, cwd: dir,
            env: {
                ...env(), PGDATA: path.join(dir, "drill-data"),
                [BACKUP_ENV.backupDir]: path.join(dir, "base"), [BACKUP_ENV.archiveDir]: path.join(dir, "wal"),
                [DRILL_ENV.restoreScript]: path.join(files, "restore.sh"), [DRILL_ENV.socketDir]: files,
                [DRILL_ENV.ownerPasswordFile]: path.join(files, "owner"),
                [DRILL_ENV.primaryHost]: primary!.host, [DRILL_ENV.primaryPort]: String(primary!.port),
                [DRILL_ENV.appUser]: primary!.app!.user, [DRILL_ENV.appPasswordFile]: path.join(files, "app"),
            },
        });
        const live = await rows(primary!);
        const m = /restore drill: restored (\d+) rows \(last id (\d+)\) in (\d+) s; the primary has (\d+) rows \(last id (\d+)\); lost (\d+) rows, recovery point (\d+) s/.exec(out);
        assert.ok(m, out);
        console.log(`      [figures] ${m[0]} (the line the drill prints; its seconds on this machine)`);
        assert.equal(Number(m[1]), live, "everything archived came back");
        assert.equal(Number(m[4]), live, "the live primary, read as the app's role");
        assert.equal(Number(m[6]), 0);
        // The copy is stopped and the primary untouched.
        assert.equal(fs.existsSync(path.join(dir, "drill-data", "postmaster.pid")), false, "the restored copy was stopped");
        assert.equal(await rows(primary!), live);
    });

    it("restores after the primary is lost: everything archived comes back, and the recovery point is what archive_timeout allows", async () => {
        const a = await insert("before the backup", 200);
        marks = { afterFirstBatch: new Date(a.at), lastId: Number(a.id) };
        await new Promise((r) => setTimeout(r, 20)); // the target instant lies strictly between the batches
        await backup();
        const b = await insert("after the backup", 100);
        // Archived when the segment's archive_timeout (1 s here) passes.
        await waitFor("the writes after the backup archived", async () => {
            const r = (await primary!.query("SELECT last_archived_wal, pg_walfile_name($1::pg_lsn) AS needed FROM pg_stat_archiver", [b.lsn])).rows[0];
            return r.last_archived_wal !== null && r.last_archived_wal >= r.needed;
        }, { timeoutMs: 20_000 });
        const c = await insert("acknowledged just before the crash", 10);
        // The crash: every process of the primary killed at once (a fast shutdown would archive
        // the last segment first), and its data gone with its disk.
        const crashedAt = Date.now();
        const postmaster = Number(fs.readFileSync(path.join(primary!.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        process.kill(-postmaster, "SIGKILL");
        await primary!.close();
        primary = { ...primary!, close: async () => undefined };

        const restored = await restore("end");
        try {
            const n = await rows(restored);
            const last = (await restored.query(`SELECT max(id) AS id, max(created_at) AS at FROM ${ITEMS}`)).rows[0] as { id: string; at: Date };
            // Nothing archived is lost, nothing invented, and what came back is a prefix: no hole.
            assert.ok(Number(last.id) >= Number(b.id), `restored up to id ${last.id}, archived up to ${b.id}`);
            assert.ok(Number(last.id) <= Number(c.id));
            assert.equal(n, Number(last.id), "rows 1..last, no gap");
            assert.equal(Number((await restored.query(`SELECT count(*) AS n FROM ${ITEMS} WHERE id <= ${Number(a.id)}`)).rows[0].n), Number(a.id));
            const lostRows = Number(c.id) - Number(last.id);
            const lostSeconds = Math.max(0, (c.at.getTime() - new Date(last.at).getTime()) / 1000);
            console.log(`      [figures] restore drill: ${n} of ${c.id} acknowledged rows back, ${lostRows} lost ` +
                `(recovery point ${lostSeconds.toFixed(1)} s, bounded by archive_timeout), recovery time ${restored.seconds.toFixed(1)} s ` +
                `(restore script + replay + promotion, from ${((Date.now() - crashedAt) / 1000).toFixed(1)} s after the crash)`);
        } finally {
            await restored.proc.stop("SIGINT", 15_000);
        }
    });

    it("restores to a point in time: everything committed before the target, nothing after", async () => {
        assert.ok(marks, "runs after the restore above, on the same backup and archive");
        // The target: after the first batch committed, before the second began (both archived).
        const pitr = await restore("pitr", { [BACKUP_ENV.targetTime]: marks.afterFirstBatch.toISOString() }); // as a learner pastes it: ISO 8601, UTC
        try {
            const r = (await pitr.query(`SELECT count(*) AS n, max(id) AS last FROM ${ITEMS}`)).rows[0];
            assert.equal(Number(r.last), marks.lastId, "stops at the last write before the target");
            assert.equal(Number(r.n), marks.lastId, "and everything before it, no gap");
            assert.match(pitr.logs(), /recovery stopping before commit/);
        } finally {
            await pitr.proc.stop("SIGINT", 15_000);
        }
    });

    it("refuses to restore over a database, or without a backup, in one line", async () => {
        const script = path.join(dir, "restore.sh");
        writeOwnedFile(script, renderRestoreScript(), runAs, 0o700);
        const empty = path.join(dir, "nobackups");
        fs.mkdirSync(empty);
        if (runAs) fs.chownSync(empty, runAs.uid, runAs.gid);
        await assert.rejects(run("restore.sh", "sh", [script], {
            runAs, cwd: dir, env: { ...env(), PGDATA: path.join(dir, "fresh"), [BACKUP_ENV.backupDir]: empty, [BACKUP_ENV.archiveDir]: path.join(dir, "wal") },
        }), /no base backup in/);
        await assert.rejects(run("restore.sh", "sh", [script], {
            runAs, cwd: dir, env: { ...env(), PGDATA: path.join(dir, "restored-end"), [BACKUP_ENV.backupDir]: path.join(dir, "base"), [BACKUP_ENV.archiveDir]: path.join(dir, "wal") },
        }), /already holds a database/);
    });
});
