/**
 * The route table in Fastify 5, under `/accounts`, beside a route of the application's own. Run it with
 * `npx tsx examples/fastify.ts` (in-memory storage, emails printed to the console). The mount is one
 * line, `app.register(accountsPlugin(handlers), { prefix: '/accounts' })`; `frameworkErrors` gives
 * the envelope to the paths Fastify's router refuses before any plugin runs (bad percent-escapes).
 * The plugin is encapsulated: `POST /echo` keeps Fastify's JSON parser and errors.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { DefaultLib, generateHs256Secret } from '../src/adapters/lib';
import { MemoryIo } from '../src/adapters/memory';
import { createAccounts } from '../src/create-accounts';
import { type AccountsHandlers, accountsFrameworkErrors, accountsPlugin, createHandlers } from '../src/handlers';

/** A Fastify app serving the accounts API at `/accounts` and its own `POST /echo`. */
export function createFastifyApp(handlers: AccountsHandlers): FastifyInstance {
  const app = Fastify({ frameworkErrors: accountsFrameworkErrors('/accounts') });
  app.post('/echo', async (request) => ({ echo: request.body }));
  app.register(accountsPlugin(handlers), { prefix: '/accounts' });
  return app;
}

if (require.main === module) {
  const accounts = createAccounts({
    io: new MemoryIo(),
    lib: new DefaultLib({ tokens: { secret: generateHs256Secret() } }),
  });
  const port = Number(process.env.PORT ?? 3002);
  createFastifyApp(createHandlers(accounts))
    .listen({ port, host: '127.0.0.1' })
    .then(() => console.log(`accounts-module (Fastify, in memory) at http://127.0.0.1:${port}/accounts`));
}
