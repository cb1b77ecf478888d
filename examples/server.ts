/**
 * The example server: `npm start`. It needs no configuration: SQLite under ./data, migrations at
 * start, an HS256 key generated once into ./data/jwt-secret, emails printed to the console, JSON log
 * lines on stdout. The environment variables are listed in the README ("The example server").
 */
import type { Logger } from 'pino';
import { ConfigError, serverOptionsFromEnv, startServer } from './server-app';
import { createServerLogger } from './server-logging';

async function main(logger: Logger): Promise<void> {
  const options = serverOptionsFromEnv(process.env);
  if (options.logLevel) logger.level = options.logLevel;
  const running = await startServer({ ...options, logger });
  logger.info({ url: running.url }, `accounts-module listening on ${running.url}`);
  if (!options.smtpUrl) logger.info({}, 'Emails (with their codes) are printed here: development only.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${signal} received: shutting down`);
    running.close().then(
      () => {
        logger.info({}, 'accounts-module stopped');
        process.exit(0);
      },
      (error: Error) => {
        logger.error({ errorName: error.name }, `shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal (a supervisor and a terminal both sending one) must not kill
  // the process halfway through its shutdown.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Built before the settings are read, so that a bad setting is reported like everything else.
const logger = createServerLogger();
main(logger).catch((error: Error) => {
  // The message only: a driver's error may carry a connection string with its password in the stack.
  const fields = error instanceof ConfigError ? { variable: error.variable } : { errorName: error.name };
  logger.fatal(fields, `accounts-module failed to start: ${error.message}`);
  process.exit(1);
});
