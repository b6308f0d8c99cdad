/**
 * The smoke checks behind `verify`: each one takes the running stage's endpoints (VerifyTarget) and
 * says pass or fail with what it saw. Which checks a stage runs is data in profiles/verify.ts.
 * Nothing here knows Docker: what a container's environment holds comes through `appEnvironments`.
 */
import { HEADERS } from "../program/names";
import { CHECKS, CheckId, checksFor } from "../profiles/verify";
import type { StageNumber } from "../profiles/profile";
import { Reply, header, request, tcpConnects } from "./http";

export interface VerifyTarget {
    /** The stage's entry points (its `entryPoints` output): one edge URL, or one URL per instance. */
    readonly entryPoints: string[];
    /** How many app instances run. */
    readonly instances: number;
    /** The plain-HTTP edge that must redirect (from stage 4). */
    readonly httpEntry?: string;
    /** The edge's certificate (PEM), the only one trusted over HTTPS (its `edgeCertificate` output). */
    readonly ca?: string;
    /** Where the database would answer if it were reachable from the host. */
    readonly databaseFromHost: readonly { host: string; port: number }[];
    /** The running app containers' environments, "KEY=value" (docker inspect behind an input). */
    readonly appEnvironments: () => Promise<{ container: string; env: string[] }[]>;
    /** How long a write may take to reach the replica; default 15 s. */
    readonly replicaWaitMs?: number;
}

export interface CheckOutcome {
    readonly ok: boolean;
    /** What the check saw, in one line. */
    readonly saw: string;
}

export interface CheckResult extends CheckOutcome {
    readonly id: CheckId;
    readonly title: string;
}

type CheckFn = (target: VerifyTarget) => Promise<CheckOutcome>;

const get = (target: VerifyTarget, url: string) => request(url, { ca: target.ca });
const instanceOf = (reply: Reply) => header(reply, HEADERS.instance) ?? "(no X-Instance header)";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createItem(target: VerifyTarget, name: string): Promise<{ id?: number; reply: Reply }> {
    const reply = await request(`${target.entryPoints[0]}/api/items`, { method: "POST", json: { name, note: "lab verify" }, ca: target.ca });
    const id = reply.status === 201 ? Number(JSON.parse(reply.body).id) : undefined;
    return { id, reply };
}

export const CHECK_FUNCTIONS: Record<CheckId, CheckFn> = {
    async "entry-answers"(target) {
        const url = target.entryPoints[0];
        if (!url) return { ok: false, saw: "no entry point to ask" };
        const reply = await get(target, `${url}/healthz`);
        return { ok: reply.status === 200, saw: `${url}/healthz answered ${reply.status} from ${instanceOf(reply)}` };
    },

    async spread(target) {
        const seen = new Map<string, number>();
        // Nginx goes round robin; a Kubernetes Service picks at random, hence a few rounds more than needed.
        const rounds = Math.max(target.instances, target.entryPoints.length) * 5;
        for (let i = 0; i < rounds; i++) {
            const url = target.entryPoints[i % target.entryPoints.length];
            // A refused request is part of the picture (a dead instance behind DNS round robin), not the end of it.
            const name = await get(target, `${url}/healthz`).then(
                (reply) => (reply.status === 200 ? instanceOf(reply) : `HTTP ${reply.status}`),
                (err: NodeJS.ErrnoException) => `HTTP error ${err.code ?? err.message}`);
            seen.set(name, (seen.get(name) ?? 0) + 1);
        }
        const summary = [...seen].map(([name, n]) => `${name} x${n}`).join(", ");
        const instances = [...seen.keys()].filter((n) => !n.startsWith("HTTP ") && !n.startsWith("(no"));
        return {
            ok: instances.length >= target.instances && instances.length === seen.size,
            saw: `${rounds} requests answered by ${instances.length} of ${target.instances} instances: ${summary}`,
        };
    },

    async "replica-read"(target) {
        const { id, reply } = await createItem(target, "verify-replica");
        if (id === undefined) return { ok: false, saw: `POST /api/items answered ${reply.status}: ${reply.body.slice(0, 120)}` };
        const deadline = Date.now() + (target.replicaWaitMs ?? 15_000);
        let last = "";
        // Lists are never cached, so X-Db-Node says which node served this very read.
        while (Date.now() < deadline) {
            const list = await get(target, `${target.entryPoints[0]}/api/items?limit=20`);
            const node = header(list, HEADERS.dbNode) ?? "(no X-Db-Node header)";
            const found = list.status === 200 && (JSON.parse(list.body).items as { id: number }[]).some((i) => i.id === id);
            last = `list answered ${list.status} from node ${node}, item ${id} ${found ? "present" : "absent"}`;
            if (found && node === "replica") return { ok: true, saw: `item ${id} written to the primary, read back from the replica` };
            await sleep(250);
        }
        return { ok: false, saw: `item ${id} never read from the replica; last: ${last}` };
    },

    async "cache-hit"(target) {
        const { id, reply } = await createItem(target, "verify-cache");
        if (id === undefined) return { ok: false, saw: `POST /api/items answered ${reply.status}: ${reply.body.slice(0, 120)}` };
        const url = `${target.entryPoints[0]}/api/items/${id}`;
        const first = await get(target, url);
        const second = await get(target, url);
        const states = [first, second].map((r) => `${r.status} ${header(r, HEADERS.cache) ?? "(no X-Cache header)"}`);
        return { ok: second.status === 200 && header(second, HEADERS.cache) === "hit", saw: `two reads of item ${id}: ${states.join(", then ")}` };
    },

    async "db-not-from-host"(target) {
        if (target.databaseFromHost.length === 0) return { ok: false, saw: "no database address to try" };
        const open: string[] = [];
        for (const { host, port } of target.databaseFromHost) if (await tcpConnects(host, port)) open.push(`${host}:${port}`);
        const tried = target.databaseFromHost.map((a) => `${a.host}:${a.port}`).join(", ");
        return open.length
            ? { ok: false, saw: `the host reaches ${open.join(", ")}` }
            : { ok: true, saw: `nothing answers on ${tried}` };
    },

    async tls(target) {
        const url = target.entryPoints.find((u) => u.startsWith("https:"));
        if (!url) return { ok: false, saw: `no https entry point (${target.entryPoints.join(", ") || "none"})` };
        if (!target.ca) return { ok: false, saw: "no certificate to trust (the stage's edgeCertificate output)" };
        const reply = await get(target, `${url}/healthz`);
        const hsts = header(reply, "strict-transport-security");
        return {
            ok: reply.status === 200 && /^TLSv1\.[23]$/.test(reply.protocol ?? "") && hsts !== undefined,
            saw: `${url} answered ${reply.status} over ${reply.protocol ?? "?"}, HSTS ${hsts ? `"${hsts}"` : "missing"}`,
        };
    },

    async "http-redirects"(target) {
        if (!target.httpEntry) return { ok: false, saw: "no plain-HTTP entry point to try" };
        const reply = await request(`${target.httpEntry}/api/items`);
        const location = header(reply, "location") ?? "";
        return {
            ok: [301, 308].includes(reply.status) && location.startsWith("https://"),
            saw: `${target.httpEntry}/api/items answered ${reply.status}${location ? ` to ${location}` : " without a Location"}`,
        };
    },

    async "no-password-env"(target) {
        const environments = await target.appEnvironments();
        if (environments.length === 0) return { ok: false, saw: "no running app container to inspect" };
        // A *_FILE variable names where a secret is, not the secret: that is the point of stage 4.
        const secretish = /(PASSWORD|PASSWD|PASS|SECRET|TOKEN|CREDENTIAL)/i;
        const leaks = environments.flatMap(({ container, env }) => env
            .map((e) => e.slice(0, e.indexOf("=") < 0 ? e.length : e.indexOf("=")))
            .filter((k) => secretish.test(k) && !/_FILE$/.test(k))
            .map((k) => `${container}: ${k}`));
        return leaks.length
            ? { ok: false, saw: `secrets in the environment: ${leaks.join(", ")}` }
            : { ok: true, saw: `${environments.length} app containers, no password, secret or token variable` };
    },
};

/** Runs one check; a check that throws (refused, reset, a bad certificate) fails with what it threw. */
export async function runCheck(id: CheckId, target: VerifyTarget): Promise<CheckResult> {
    let outcome: CheckOutcome;
    try {
        outcome = await CHECK_FUNCTIONS[id](target);
    } catch (err) {
        const e = err as NodeJS.ErrnoException;
        outcome = { ok: false, saw: e.message || String(err) };
    }
    return { id, title: CHECKS[id], ...outcome };
}

/** Runs a stage's checks in order, reporting each as it ends. */
export async function runChecks(
    stage: StageNumber, target: VerifyTarget, onResult: (r: CheckResult) => void = () => undefined, ids: readonly CheckId[] = checksFor(stage),
): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const id of ids) {
        const result = await runCheck(id, target);
        results.push(result);
        onResult(result);
    }
    return results;
}

export const formatResult = (r: CheckResult) => `${r.ok ? "PASS" : "FAIL"}  ${r.title}: ${r.saw}`;
