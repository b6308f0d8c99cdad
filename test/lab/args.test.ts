import * as assert from "node:assert/strict";
import { STAGE_NUMBERS } from "../../profiles/profile";
import { USAGE, UsageError, parseArgs, parseStage } from "../../lab/args";

const [first] = STAGE_NUMBERS;
const last = STAGE_NUMBERS[STAGE_NUMBERS.length - 1];

describe("lab CLI: arguments", () => {
    it("parses every command with its stages", () => {
        assert.deepEqual(parseArgs(["up", String(first)]), { name: "up", stage: first, yes: false });
        assert.deepEqual(parseArgs(["up", `stage${last}`, "--yes"]), { name: "up", stage: last, yes: true });
        assert.deepEqual(parseArgs(["-y", "reset", "2"]), { name: "reset", stage: 2, yes: true });
        assert.deepEqual(parseArgs(["preview", "3"]), { name: "preview", stage: 3, yes: false });
        assert.deepEqual(parseArgs(["verify"]), { name: "verify", stage: undefined, yes: false });
        assert.deepEqual(parseArgs(["verify", "4"]), { name: "verify", stage: 4, yes: false });
        assert.deepEqual(parseArgs(["down"]), { name: "down", stage: undefined, yes: false });
        assert.deepEqual(parseArgs(["status"]), { name: "status", yes: false });
        assert.deepEqual(parseArgs(["diff", "1", String(last)]), { name: "diff", from: 1, to: last, yes: false });
    });

    it("shows help for no arguments, help, --help and -h", () => {
        for (const argv of [[], ["help"], ["--help"], ["up", "-h"]]) assert.equal(parseArgs(argv).name, "help", argv.join(" "));
        assert.match(USAGE, /npm run lab -- <command>/);
        for (const c of ["up", "preview", "verify", "down", "reset", "status", "diff"]) assert.match(USAGE, new RegExp(`^  ${c} `, "m"));
        assert.match(USAGE, /stages: 1, 2, 3, 4, 5, 6 /);
    });

    it("refuses an unknown command, naming the known ones", () => {
        assert.throws(() => parseArgs(["launch", "1"]), (e: Error) =>
            e instanceof UsageError && e.message === 'unknown command "launch": use one of up, preview, verify, down, reset, status, output, pull, doctor, diff, drill');
    });

    it("parses output with a stage, an optional output's name and --show-secrets only with a name", () => {
        assert.deepEqual(parseArgs(["output", "4"]), { name: "output", stage: 4, key: undefined, showSecrets: false, yes: false });
        assert.deepEqual(parseArgs(["output", "1", "databasePassword", "--show-secrets"]), { name: "output", stage: 1, key: "databasePassword", showSecrets: true, yes: false });
        assert.throws(() => parseArgs(["output"]), /output needs a stage/);
        assert.throws(() => parseArgs(["output", "1", "--show-secrets"]), /--show-secrets prints one output: name it/);
        assert.throws(() => parseArgs(["output", "1", "a", "b"]), /at most one output's name/);
    });

    it("refuses an unknown option", () => {
        assert.throws(() => parseArgs(["up", "1", "--force"]), { message: "unknown option --force" });
    });

    it("refuses a stage that is not a number of the journey", () => {
        for (const bad of ["0", "7", "x", "1.5", "-", "stage", ""]) {
            assert.throws(() => parseStage(bad), (e: Error) => e instanceof UsageError && /is not a stage: use one of/.test(e.message), bad);
        }
        assert.throws(() => parseArgs(["up", "9"]), { message: '"9" is not a stage: use one of 1, 2, 3, 4, 5, 6' });
    });

    it("accepts every stage of the journey", () => {
        for (const n of STAGE_NUMBERS) {
            assert.equal(parseStage(String(n)), n);
            assert.equal(parseStage(`stage${n}`), n);
        }
    });

    it("says how many stages a command takes", () => {
        assert.throws(() => parseArgs(["up"]), { message: "up needs a stage, e.g. npm run lab -- up 1" });
        assert.throws(() => parseArgs(["up", "1", "2"]), { message: "up takes at most 1 stage, got: 1 2" });
        assert.throws(() => parseArgs(["diff", "1"]), { message: "diff needs 2 stages, e.g. npm run lab -- diff 3 4" });
        assert.throws(() => parseArgs(["status", "1"]), { message: "status takes no stage, got: 1" });
        assert.throws(() => parseArgs(["verify", "1", "2"]), { message: "verify takes at most 1 stage, got: 1 2" });
    });

    it("parses a drill: a stage and the drill's name, each refused in one line", () => {
        assert.deepEqual(parseArgs(["drill", "6", "restore"]), { name: "drill", stage: 6, drill: "restore", yes: false });
        assert.deepEqual(parseArgs(["drill", "stage6", "backup", "--yes"]), { name: "drill", stage: 6, drill: "backup", yes: true });
        assert.throws(() => parseArgs(["drill", "6"]), { message: "drill needs a stage and a drill (backup or restore), e.g. npm run lab -- drill 6 restore" });
        assert.throws(() => parseArgs(["drill", "6", "explode"]), { message: '"explode" is not a drill: use backup or restore' });
        assert.throws(() => parseArgs(["drill", "9", "restore"]), { message: '"9" is not a stage: use one of 1, 2, 3, 4, 5, 6' });
    });
});

