/**
 * Mounting the route table in Express 5. Run it with `npx tsx examples/express.ts` (in-memory storage,
 * emails printed to the console), or copy `accountsRouter` into your application:
 *
 *     app.use('/accounts', accountsRouter(createHandlers(accounts, { apiName: 'accounts' })));
 *
 * Do not put `express.json()` in front of it: the handlers read the raw body themselves, so that every
 * framework gets the same JSON-only parsing, size limit and error envelopes.
 */
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { DefaultLib, generateHs256Secret } from '../src/adapters/lib';
import { MemoryIo } from '../src/adapters/memory';
import { createAccounts } from '../src/create-accounts';
import type { Accounts } from '../src/domain/accounts';
import { accountsError } from '../src/domain/errors';
import {
  type AccountsHandlers,
  createHandlers,
  errorResponse,
  type HandlersOptions,
  type HttpHandler,
  type HttpRequest,
  httpError,
  readRequestBody,
  writeResponse,
} from '../src/handlers';

/** The request as the handlers want it: Express has already split the path and decoded its parameters. */
async function toHttpRequest(request: Request, limitBytes: number): Promise<HttpRequest | null> {
  const read = await readRequestBody(request, limitBytes);
  if (read.tooLarge) return null;
  return {
    method: request.method,
    path: request.path,
    params: { ...request.params } as Record<string, string>,
    query: request.query as HttpRequest['query'],
    headers: request.headers,
    body: read.body,
    // The socket's address; pass `trustProxy` to `createHandlers` (not Express's setting) behind a proxy.
    remoteAddress: request.socket.remoteAddress ?? null,
  };
}

function serveWith(handler: HttpHandler, limitBytes: number) {
  return async (request: Request, response: Response): Promise<void> => {
    try {
      const httpRequest = await toHttpRequest(request, limitBytes);
      if (httpRequest === null) {
        const tooLarge = errorResponse(httpError('PAYLOAD_TOO_LARGE'));
        tooLarge.headers.connection = 'close';
        writeResponse(response, tooLarge);
        return;
      }
      writeResponse(response, await handler(httpRequest));
    } catch {
      // Reading the body failed: the client went away.
      response.destroy();
    }
  };
}

/** An Express router with one Express route per entry of the route table, and the 404 / 405 envelopes. */
export function accountsRouter(handlers: AccountsHandlers): Router {
  const router = express.Router();
  for (const route of handlers.routes) {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
    router[method](route.path, serveWith(route.handler, handlers.bodyLimitBytes));
  }
  // Whatever no route took: `dispatch` answers 404, or 405 with `Allow` for a known path.
  router.use(serveWith(handlers.dispatch, handlers.bodyLimitBytes));
  // Express fails a path it cannot decode (`%FF`) before any route runs: answer as for an unknown path.
  router.use((_error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    writeResponse(response, errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' })));
  });
  return router;
}

/** An Express app serving the accounts API at its root. */
export function createExpressApp(accounts: Accounts, options: HandlersOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(accountsRouter(createHandlers(accounts, options)));
  return app;
}

if (require.main === module) {
  const accounts = createAccounts({
    io: new MemoryIo(),
    lib: new DefaultLib({ tokens: { secret: generateHs256Secret() } }),
  });
  const port = Number(process.env.PORT ?? 3001);
  createExpressApp(accounts).listen(port, '127.0.0.1', () => {
    console.log(`accounts-module (Express, in memory) listening on http://127.0.0.1:${port}`);
  });
}
