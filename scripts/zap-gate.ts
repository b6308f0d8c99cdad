/**
 * The DAST gate of .github/workflows/e2e.yml: reads the JSON report of ZAP's baseline scan
 * (`zap-baseline.py -J`) and fails on any High finding. zap-baseline.py's exit code cannot say that:
 * it counts rules set to WARN or FAIL, whatever their risk. The report is ZAP's "traditional JSON"
 * (the traditional-json report template of the zaproxy/zap-extensions repository): `site[]`, each with
 * `@name` (scheme://host:port) and `alerts[]`, each with `riskcode` "0".."3" (informational, low,
 * medium, high), `name`, `pluginid`, `count` and `instances[].uri`.
 *
 *   npx ts-node --transpile-only scripts/zap-gate.ts <report.json> <target URL>
 */
import * as fs from "node:fs";

export const RISKS = ["informational", "low", "medium", "high"] as const;
export const HIGH = 3;

export interface ZapAlert {
    readonly pluginid: string;
    readonly name: string;
    readonly riskcode: string;
    readonly count?: string;
    readonly instances?: { readonly uri?: string }[];
}

export interface GateResult {
    readonly ok: boolean;
    readonly lines: string[];
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
/** scheme://host:port as ZAP names a site ("https://localhost:8443"); what is not a URL matches nothing. */
const originOf = (url: string) => URL.canParse(url) ? new URL(url).origin : `(not a URL: ${url})`;

/** The verdict on one report for one target: one line per risk, and one per High finding. */
export function gate(reportText: string, target: string): GateResult {
    let report: { site?: { "@name"?: string; alerts?: ZapAlert[] }[] };
    try {
        report = JSON.parse(reportText);
    } catch (err) {
        return { ok: false, lines: [`zap-gate: the report is not JSON (${(err as Error).message}): did the scan write it?`] };
    }
    const origin = originOf(target);
    const site = (report.site ?? []).find((s) => s["@name"] !== undefined && originOf(s["@name"]) === origin);
    if (!site) {
        const names = (report.site ?? []).map((s) => s["@name"]).join(", ") || "none";
        return { ok: false, lines: [`zap-gate: the report has no site ${origin} (it has: ${names}): the scan did not reach the target`] };
    }
    const alerts = site.alerts ?? [];
    const bad = alerts.find((a) => !/^[0-3]$/.test(String(a.riskcode)));
    if (bad) return { ok: false, lines: [`zap-gate: alert "${bad.name}" has riskcode ${JSON.stringify(bad.riskcode)}, not 0-3: is this a ZAP JSON report?`] };
    const counts = RISKS.map((risk, code) => `${alerts.filter((a) => Number(a.riskcode) === code).length} ${risk}`);
    const high = alerts.filter((a) => Number(a.riskcode) === HIGH);
    const lines = [
        `zap-gate: ${origin}: ${plural(alerts.length, "alert")} (${counts.reverse().join(", ")})`,
        ...high.map((a) => `zap-gate: HIGH ${a.name} (plugin ${a.pluginid}, ${plural(Number(a.count ?? a.instances?.length ?? 0), "instance")}, e.g. ${a.instances?.[0]?.uri ?? "no uri"})`),
    ];
    lines.push(high.length ? `zap-gate: ${plural(high.length, "high finding")}: fix them, the HTML report says how` : "zap-gate: no high finding");
    return { ok: high.length === 0, lines };
}

if (require.main === module) {
    const [reportPath, target] = process.argv.slice(2);
    if (!reportPath || !target) {
        process.stderr.write("usage: ts-node scripts/zap-gate.ts <report.json> <target URL>\n");
        process.exit(2);
    }
    if (!fs.existsSync(reportPath)) {
        process.stderr.write(`zap-gate: no report at ${reportPath}: the scan did not run (see its output above)\n`);
        process.exit(1);
    }
    const result = gate(fs.readFileSync(reportPath, "utf8"), target);
    result.lines.forEach((l) => (result.ok ? process.stdout : process.stderr).write(`${l}\n`));
    process.exit(result.ok ? 0 : 1);
}
