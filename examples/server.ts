/**
 * The example server: `npm start`. It needs no configuration: SQLite under ./data, migrations at
 * start, an HS256 key generated once into ./data/jwt-secret, emails printed to the console. The
 * environment variables are listed in docs/http.md ("The example server").
 */
import { serverOptionsFromEnv, startServer } from './server-app';

async function main(): Promise<void> {
  const running = await startServer(serverOptionsFromEnv(process.env));
  console.log(`accounts-module listening on ${running.url}`);
  console.log('Emails (with their codes) are printed here: development only.');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: shutting down`);
    running.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: a second signal (a supervisor and a terminal both sending one) must not kill
  // the process halfway through its shutdown.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  // The message only: a driver's error may carry a connection string with its password in the stack.
  console.error(`accounts-module failed to start: ${error.message}`);
  process.exit(1);
});
