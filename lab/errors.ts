/** A user-facing failure: one line, a non-zero exit, no stack trace. */
export class LabError extends Error {}
