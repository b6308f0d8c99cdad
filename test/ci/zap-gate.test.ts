import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gate } from "../../scripts/zap-gate";
import { ROOT } from "../support/workflows";

/**
 * ZAP itself cannot run here (no image pulls), so the gate reads reports in the shape ZAP writes:
 * the fields and string-typed codes of its traditional-json template (in the reports add-on of the
 * zaproxy/zap-extensions repository), riskcode being
 * Alert.RISK_INFO..RISK_HIGH = 0..3.
 */
const TARGET = "https://localhost:8443";

function alert(pluginid: string, name: string, riskcode: 0 | 1 | 2 | 3, uris: string[]) {
    const risk = ["Informational", "Low", "Medium", "High"][riskcode];
    return {
        pluginid, alertRef: pluginid, alert: name, name, riskcode: String(riskcode), confidence: "2",
        riskdesc: `${risk} (Medium)`, desc: "<p>…</p>",
        instances: uris.map((uri, i) => ({ id: String(i), uri, nodeName: uri, method: "GET", param: "", attack: "", evidence: "", otherinfo: "" })),
        count: String(uris.length), systemic: false, solution: "<p>…</p>", otherinfo: "", reference: "", cweid: "-1", wascid: "-1", sourceid: "1",
    };
}

function report(sites: { name: string; alerts: ReturnType<typeof alert>[] }[]): string {
    return JSON.stringify({
        "@programName": "ZAP", "@version": "2.17.0", "@generated": "Fri, 4 Dec 2026 03:00:00", created: "2026-12-04T03:00:00Z",
        site: sites.map((s) => {
            const u = new URL(s.name);
            return { "@name": s.name, "@host": u.hostname, "@port": u.port || (u.protocol === "https:" ? "443" : "80"), "@ssl": String(u.protocol === "https:"), alerts: s.alerts };
        }),
    }, null, "\t");
}

const medium = alert("10038", "Content Security Policy (CSP) Header Not Set", 2, [`${TARGET}/`, `${TARGET}/robots.txt`]);
const info = alert("10104", "User Agent Fuzzer", 0, [`${TARGET}/`]);
const high = alert("40012", "Cross Site Scripting (Reflected)", 3, [`${TARGET}/api/items?name=%3Cscript%3E`]);

describe("scripts/zap-gate.ts (ZAP's JSON report, judged by risk)", () => {
    it("passes a report whose worst finding on the target is medium, and counts by risk", () => {
        const r = gate(report([{ name: TARGET, alerts: [medium, info] }]), TARGET);
        assert.equal(r.ok, true);
        assert.deepEqual(r.lines, [
            "zap-gate: https://localhost:8443: 2 alerts (0 high, 1 medium, 0 low, 1 informational)",
            "zap-gate: no high finding",
        ]);
    });

    it("fails on a high finding and names it, its plugin, its count and a URL", () => {
        const r = gate(report([{ name: TARGET, alerts: [medium, high] }]), TARGET);
        assert.equal(r.ok, false);
        assert.ok(r.lines.includes(`zap-gate: HIGH Cross Site Scripting (Reflected) (plugin 40012, 1 instance, e.g. ${TARGET}/api/items?name=%3Cscript%3E)`), r.lines.join("\n"));
        assert.equal(r.lines.at(-1), "zap-gate: 1 high finding: fix them, the HTML report says how");
    });

    it("judges the target's site only: a high finding on another site does not count, and no site for the target fails", () => {
        const other = report([{ name: TARGET, alerts: [medium] }, { name: "https://example.org", alerts: [high] }]);
        assert.equal(gate(other, `${TARGET}/`).ok, true, "the target with a trailing slash is the same origin");
        const missing = gate(report([{ name: "http://localhost:8080", alerts: [] }]), TARGET);
        assert.deepEqual(missing, { ok: false, lines: ["zap-gate: the report has no site https://localhost:8443 (it has: http://localhost:8080): the scan did not reach the target"] });
    });

    it("fails what is not a ZAP report rather than passing it", () => {
        assert.equal(gate("<html>", TARGET).ok, false);
        assert.match(gate("<html>", TARGET).lines[0], /^zap-gate: the report is not JSON/);
        const odd = JSON.parse(report([{ name: TARGET, alerts: [medium] }]));
        odd.site[0].alerts[0].riskcode = "High";
        assert.deepEqual(gate(JSON.stringify(odd), TARGET).lines, [`zap-gate: alert "${medium.name}" has riskcode "High", not 0-3: is this a ZAP JSON report?`]);
    });

    describe("as the workflow runs it (npx ts-node --transpile-only scripts/zap-gate.ts <report> <target>)", () => {
        let dir: string;
        before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "zap-gate-")); });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        const runGate = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/zap-gate.ts"), ...args],
                { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
        });

        it("exits 0 without a high finding, 1 with one or without a report, 2 without its arguments", async () => {
            const clean = path.join(dir, "clean.json");
            const dirty = path.join(dir, "dirty.json");
            fs.writeFileSync(clean, report([{ name: TARGET, alerts: [medium] }]));
            fs.writeFileSync(dirty, report([{ name: TARGET, alerts: [high] }]));
            const [ok, bad, none, usage] = await Promise.all([
                runGate(clean, TARGET), runGate(dirty, TARGET), runGate(path.join(dir, "missing.json"), TARGET), runGate(),
            ]);
            assert.equal(ok.code, 0, ok.stderr);
            assert.match(ok.stdout, /no high finding/);
            assert.equal(bad.code, 1);
            assert.match(bad.stderr, /HIGH Cross Site Scripting/);
            assert.equal(none.code, 1);
            assert.match(none.stderr, /^zap-gate: no report at .*missing\.json: the scan did not run/);
            assert.equal(usage.code, 2);
        });
    });
});
