/**
 * `npm run docs`: writes the generated parts of docs/stages/ (every stage's page and the index), and
 * of Pulumi.yaml and README.md (the settings of program/config.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderConfigFiles } from "./config-files";
import { DocFile, renderDocs } from "./docs";

async function main(): Promise<void> {
    const files: DocFile[] = [...(await renderDocs()), ...renderConfigFiles()];
    for (const doc of files) {
        fs.mkdirSync(path.dirname(doc.file), { recursive: true });
        const current = fs.existsSync(doc.file) ? fs.readFileSync(doc.file, "utf8") : undefined;
        if (current !== doc.text) fs.writeFileSync(doc.file, doc.text);
        if (doc.replaces) fs.rmSync(doc.replaces);
        const rel = path.relative(process.cwd(), doc.file);
        console.log(`${rel}: ${doc.replaces ? `written (was ${path.basename(doc.replaces)})` : current === doc.text ? "unchanged" : "written"}`);
    }
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});
