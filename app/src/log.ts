/** Structured JSON logs, one object per line, with the level as a word and the instance on every line. */
import pino, { type Logger } from "pino";
import type { LogLevel } from "./config";

export function createLogger(level: LogLevel, instance?: string, destination?: pino.DestinationStream): Logger {
    return pino(
        {
            level,
            base: instance ? { instance } : { pid: process.pid },
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            // Credentials never reach the log, whatever a caller sends.
            redact: { paths: ["req.headers.authorization", "req.headers.cookie", "password", "*.password"], censor: "[redacted]" },
        },
        destination ?? pino.destination({ dest: 1, sync: true }),
    );
}
