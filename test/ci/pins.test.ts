import * as assert from "node:assert/strict";
import { PINNED_USES, loadWorkflow, parsedUses, usesLines, workflowFiles } from "../support/workflows";

/**
 * Every action of every workflow, GitHub's own included, pinned by commit SHA with its release in a
 * comment. Checked on the raw lines: js-yaml drops comments, so the parsed document cannot say.
 */
describe(".github/workflows: action pins", () => {
    const files = workflowFiles();

    it("finds the workflows", () => {
        assert.ok(files.includes("devsecops.yml"), files.join(", "));
    });

    for (const file of files) {
        const workflow = loadWorkflow(file);
        it(`${file}: every uses: line is owner/repo@<40-hex SHA> # vX.Y.Z`, () => {
            const lines = usesLines(workflow.raw);
            assert.ok(lines.length > 0);
            assert.deepEqual(lines.filter((l) => !l.sha).map((l) => `${file}:${l.line}: ${l.text}`), []);
        });
        it(`${file}: the raw lines are the parsed steps' uses, one for one`, () => {
            // A `uses:` the line pattern cannot see (flow style, a quoted key) would escape the check above.
            const raw = usesLines(workflow.raw).map((l) => /uses:\s+(\S+)/.exec(l.text)![1]);
            assert.deepEqual(parsedUses(workflow).sort(), raw.sort());
        });
    }

    it("pins one action to one commit across all workflows", () => {
        const byRepo = new Map<string, Set<string>>();
        for (const file of files) {
            for (const l of usesLines(loadWorkflow(file).raw)) {
                if (!l.repo) continue;
                byRepo.set(l.repo, (byRepo.get(l.repo) ?? new Set()).add(`${l.sha} # ${l.version}`));
            }
        }
        assert.deepEqual([...byRepo].filter(([, pins]) => pins.size > 1).map(([repo, pins]) => `${repo}: ${[...pins].join(", ")}`), []);
    });

    it("refuses what a tag-pinned or half-pinned line looks like", () => {
        for (const bad of [
            "      - uses: aquasecurity/trivy-action@0.33.1",
            "      - uses: actions/checkout@v4",
            "      - uses: actions/checkout@3d3c42e # v7.0.1",
            "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1",
            "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7",
            "      - uses: actions/checkout@main # v7.0.1",
        ]) assert.doesNotMatch(bad, PINNED_USES, bad);
        assert.match("      - uses: github/codeql-action/init@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2", PINNED_USES);
    });
});
