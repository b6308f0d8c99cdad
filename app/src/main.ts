/**
 * The entry point: read the environment (and, from stage 4, the credentials from Vault), build the
 * app, listen (on every interface unless APP_LISTEN_HOST names one), and shut down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish in-flight requests, close pools, exit 0).
 */
import { buildApp } from "./app";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { ApiKeys, vaultKeySource } from "./keys";
import { createLogger } from "./log";
import { VaultError, withVaultSecrets } from "./vault";

async function main(): Promise<void> {
    let config: AppConfig;
    try {
        config = loadConfig(process.env);
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // A user error: one line naming the variables and what is allowed, no stack trace.
        createLogger("info").fatal({ problems: err.problems }, err.message);
        process.exit(1);
    }

    const logger = createLogger(config.logLevel, config.instance);
    try {
        config = await withVaultSecrets(config, logger);
    } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        logger.fatal({ vault: config.vault?.addr }, err.message);
        process.exit(1);
    }

    let keys: ApiKeys | undefined;
    if (config.auth === "jwt") {
        try {
            keys = await ApiKeys.load(vaultKeySource(config.vault!), logger);
        } catch (err) {
            if (!(err instanceof VaultError)) throw err;
            logger.fatal({ vault: config.vault?.addr }, err.message);
            process.exit(1);
        }
    }

    const app = buildApp(config, { logger, keys });
    let closing = false;
    const shutdown = (signal: NodeJS.Signals) => {
        if (closing) {
            app.log.warn({ signal }, "second signal while shutting down: exiting now");
            process.exit(1);
        }
        closing = true;
        app.log.info({ signal, graceMs: config.timeouts.shutdownMs }, "shutting down: no new connections, finishing in-flight requests");
        const timer = setTimeout(() => {
            app.log.error({ graceMs: config.timeouts.shutdownMs }, "shutdown took too long: exiting with requests still open");
            process.exit(1);
        }, config.timeouts.shutdownMs);
        timer.unref();
        app.close().then(
            () => {
                app.log.info("shut down cleanly");
                process.exit(0);
            },
            (err: unknown) => {
                app.log.error({ err }, "error while shutting down");
                process.exit(1);
            },
        );
    };
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);

    try {
        await app.listen({ host: config.listenHost, port: config.port });
    } catch (err) {
        const code = (err as { code?: string }).code;
        app.log.fatal({ host: config.listenHost, port: config.port, code }, `cannot listen on ${config.listenHost}:${config.port}: ${code ?? String(err)}`);
        process.exit(1);
    }
}

void main();
