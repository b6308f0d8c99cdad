/** Writes policy-pack/config/stageN.json from the policies' metadata (npm run policy-config). */
import * as fs from "fs";
import * as path from "path";
import { STAGE_NUMBERS } from "../profiles/profile";
import { configPath, renderStageConfig } from "../policy-pack/stage-config";

for (const stage of STAGE_NUMBERS) {
    const file = configPath(stage);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = renderStageConfig(stage);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (current !== text) fs.writeFileSync(file, text);
    console.log(`${path.relative(process.cwd(), file)}: ${current === text ? "unchanged" : "written"}`);
}
