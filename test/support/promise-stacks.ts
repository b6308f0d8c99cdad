/**
 * Loaded first by every mocha run (.mocharc.json). The Pulumi SDK stamps each of its promises with
 * `new Error().stack`, read only by its leak report at exit (@pulumi/pulumi runtime/debuggable.js,
 * debuggablePromise). Under ts-node every such stack went through source maps when made, thousands
 * per stage: most of a program's run under mocks. Here they are formatted if the report reads them;
 * every other error's stack is formatted (and mapped) as before. And runs under the recorder keep
 * no frames at all (LAB_RECORD_WITHOUT_STACKS, read by lab/record.ts): only for tests, since the
 * bench times the program as `pulumi up` runs it, and `pulumi up` pays for those stacks.
 */
// Runs of the program under the recorder keep no frames at all (lab/record.ts recordRun).
process.env.LAB_RECORD_WITHOUT_STACKS = "1";

const formatStack = Error.prepareStackTrace;
if (formatStack) {
    Error.prepareStackTrace = (error, frames) =>
        frames[0]?.getFunctionName() === "debuggablePromise" ? { toString: () => formatStack(error, frames) } : formatStack(error, frames);
}

export {};
