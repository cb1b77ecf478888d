/**
 * The route table in Hono 4 on Node (`@hono/node-server`), under `/accounts`, beside a route of the
 * application's own. Run it with `npx tsx examples/hono.ts` (in-memory storage, emails printed to the
 * console). The mount is one line: `app.all('/accounts/*', …)` handing the standard `Request` to
 * `toFetchHandler`, with the peer address (a Fetch `Request` does not carry it). On Bun, Deno or
 * Workers, pass that runtime's address instead of `getConnInfo` from `@hono/node-server/conninfo`.
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { DefaultLib, generateHs256Secret } from '../src/adapters/lib';
import { MemoryIo } from '../src/adapters/memory';
import { createAccounts } from '../src/create-accounts';
import { type AccountsHandlers, createHandlers, toFetchHandler } from '../src/handlers';

/** A Hono app serving the accounts API at `/accounts` and its own `POST /echo`. */
export function createHonoApp(handlers: AccountsHandlers): Hono {
  const accounts = toFetchHandler(handlers, { basePath: '/accounts' });
  const app = new Hono();
  app.post('/echo', async (c) => c.json({ echo: await c.req.json() }));
  app.all('/accounts/*', (c) => accounts(c.req.raw, getConnInfo(c).remote.address));
  return app;
}

if (require.main === module) {
  const accounts = createAccounts({
    io: new MemoryIo(),
    lib: new DefaultLib({ tokens: { secret: generateHs256Secret() } }),
  });
  const port = Number(process.env.PORT ?? 3003);
  serve({ fetch: createHonoApp(createHandlers(accounts)).fetch, port, hostname: '127.0.0.1' }, () => {
    console.log(`accounts-module (Hono, in memory) at http://127.0.0.1:${port}/accounts`);
  });
}
