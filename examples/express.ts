/**
 * The route table in Express 5, under `/accounts`, beside a route of the application's own. Run it with
 * `npx tsx examples/express.ts` (in-memory storage, emails printed to the console). The mount is one
 * line, `app.use('/accounts', accountsRouter(handlers))`; put no `express.json()` in front of it (the
 * handlers read the raw body), but use it on your own routes as usual.
 */
import express, { type Express } from 'express';
import { DefaultLib, generateHs256Secret } from '../src/adapters/lib';
import { MemoryIo } from '../src/adapters/memory';
import { createAccounts } from '../src/create-accounts';
import { type AccountsHandlers, accountsRouter, createHandlers } from '../src/handlers';

/** An Express app serving the accounts API at `/accounts` and its own `POST /echo`. */
export function createExpressApp(handlers: AccountsHandlers): Express {
  const app = express();
  app.disable('x-powered-by');
  app.post('/echo', express.json(), (request, response) => {
    response.json({ echo: request.body });
  });
  app.use('/accounts', accountsRouter(handlers));
  return app;
}

if (require.main === module) {
  const accounts = createAccounts({
    io: new MemoryIo(),
    lib: new DefaultLib({ tokens: { secret: generateHs256Secret() } }),
  });
  const port = Number(process.env.PORT ?? 3001);
  createExpressApp(createHandlers(accounts)).listen(port, '127.0.0.1', () => {
    console.log(`accounts-module (Express, in memory) at http://127.0.0.1:${port}/accounts`);
  });
}
