/** `npm run lab -- <command> [stage] [--yes]`: the command line, parsed into a typed command. */
import { STAGE_NUMBERS, StageNumber } from "../profiles/profile";

export const USAGE = `usage: npm run lab -- <command> [stage] [--yes]

  up <stage>        bring a stage up (tears down the running one first: asks, or --yes)
  preview <stage>   what up would do, checked by the policy pack with that stage's config
  verify [stage]    smoke checks against the running stage
  down [stage]      tear a stage down (default: the running one)
  reset <stage>     down, then up
  status            which stage runs, its URLs
  pull <stage>      pull every image the stage needs ahead (and into the kind node for 5-6)
  doctor            before a workshop: what every stage needs of this machine, and what to fix
  output <stage> [name] [--show-secrets]
                    a running stage's outputs, or one alone: npm run -s lab -- output 4 edgeCertificate > lab.crt
  diff <A> <B>      what changes from stage A to stage B (resources, profile, policies)
  drill <stage> <drill>
                    run one of the stage's drills: backup (a base backup now) or restore (restore
                    the newest backup beside the primary and compare), e.g. npm run lab -- drill 6 restore

stages: ${STAGE_NUMBERS.join(", ")}   e.g. npm run lab -- up 1`;

export type LabCommand =
    | { readonly name: "up" | "preview" | "reset" | "pull"; readonly stage: StageNumber; readonly yes: boolean }
    | { readonly name: "verify" | "down"; readonly stage?: StageNumber; readonly yes: boolean }
    | { readonly name: "status" | "doctor"; readonly yes: boolean }
    | { readonly name: "output"; readonly stage: StageNumber; readonly key?: string; readonly showSecrets: boolean; readonly yes: boolean }
    | { readonly name: "diff"; readonly from: StageNumber; readonly to: StageNumber; readonly yes: boolean }
    | { readonly name: "drill"; readonly stage: StageNumber; readonly drill: DrillName; readonly yes: boolean }
    | { readonly name: "help"; readonly yes: boolean };

/** A mistake on the command line: one line, and the usage. */
export class UsageError extends Error {}

const COMMANDS = ["up", "preview", "verify", "down", "reset", "status", "output", "pull", "doctor", "diff", "drill", "help"] as const;

/** The drills `drill` runs against a running stage (lab/plan.ts says how, per drill). */
export const DRILLS = ["backup", "restore"] as const;
export type DrillName = (typeof DRILLS)[number];

/** "3", "stage3": a stage of the journey; anything else says what is allowed. */
export function parseStage(raw: string): StageNumber {
    const m = /^(?:stage)?(\d+)$/i.exec(raw.trim());
    const n = m ? Number(m[1]) : NaN;
    if (!(STAGE_NUMBERS as readonly number[]).includes(n)) {
        throw new UsageError(`"${raw}" is not a stage: use one of ${STAGE_NUMBERS.join(", ")}`);
    }
    return n as StageNumber;
}

export function parseArgs(argv: readonly string[]): LabCommand {
    const flags = argv.filter((a) => a.startsWith("-"));
    const words = argv.filter((a) => !a.startsWith("-"));
    const unknownFlag = flags.find((f) => !["--yes", "-y", "--help", "-h", "--show-secrets"].includes(f));
    if (unknownFlag) throw new UsageError(`unknown option ${unknownFlag}`);
    const yes = flags.includes("--yes") || flags.includes("-y");
    if (flags.includes("--help") || flags.includes("-h") || words.length === 0) return { name: "help", yes };
    const [command, ...rest] = words;
    if (!(COMMANDS as readonly string[]).includes(command)) {
        throw new UsageError(`unknown command "${command}": use one of ${COMMANDS.filter((c) => c !== "help").join(", ")}`);
    }
    const arity = (min: number, max: number) => {
        if (rest.length < min) throw new UsageError(`${command} needs ${min === 1 ? "a stage" : `${min} stages`}, e.g. npm run lab -- ${command} ${min === 2 ? "3 4" : "1"}`);
        if (rest.length > max) throw new UsageError(`${command} takes ${max === 0 ? "no stage" : `at most ${max} stage${max > 1 ? "s" : ""}`}, got: ${rest.join(" ")}`);
    };
    switch (command) {
        case "up":
        case "preview":
        case "reset":
        case "pull":
            arity(1, 1);
            return { name: command, stage: parseStage(rest[0]), yes };
        case "verify":
        case "down":
            arity(0, 1);
            return { name: command, stage: rest[0] === undefined ? undefined : parseStage(rest[0]), yes };
        case "status":
        case "doctor":
            arity(0, 0);
            return { name: command, yes };
        case "output": {
            if (rest.length === 0) throw new UsageError("output needs a stage, e.g. npm run lab -- output 4 edgeCertificate");
            if (rest.length > 2) throw new UsageError(`output takes a stage and at most one output's name, got: ${rest.join(" ")}`);
            if (flags.includes("--show-secrets") && rest.length < 2) {
                throw new UsageError("--show-secrets prints one output: name it, e.g. npm run lab -- output 1 databasePassword --show-secrets");
            }
            return { name: "output", stage: parseStage(rest[0]), key: rest[1], showSecrets: flags.includes("--show-secrets"), yes };
        }
        case "diff": {
            arity(2, 2);
            return { name: "diff", from: parseStage(rest[0]), to: parseStage(rest[1]), yes };
        }
        case "drill": {
            if (rest.length !== 2) throw new UsageError(`drill needs a stage and a drill (${DRILLS.join(" or ")}), e.g. npm run lab -- drill 6 restore`);
            const drill = rest[1] as DrillName;
            if (!DRILLS.includes(drill)) throw new UsageError(`"${rest[1]}" is not a drill: use ${DRILLS.join(" or ")}`);
            return { name: "drill", stage: parseStage(rest[0]), drill, yes };
        }
        default:
            return { name: "help", yes };
    }
}
