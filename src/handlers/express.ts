import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountsHandlers } from './create-handlers';
import { serveNodeRequest } from './node';

/**
 * An Express middleware, typed by what it uses of Express: its `Request` and `Response` are node's
 * `IncomingMessage` and `ServerResponse`, so the library needs no Express types or code. Express's
 * `RequestHandler` accepts it as it is.
 */
export type AccountsMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The route table as Express 5 middleware: `app.use('/accounts', accountsRouter(handlers))`, or
 * `app.use(accountsRouter(handlers))` at the root. Every request that reaches it is answered with the
 * envelopes (404 for an unknown path or a bad percent-escape, 405 with `Allow`, `HEAD` as `GET`
 * without the body); it never calls `next`, so routes of your own go before it or outside its mount.
 *
 * Express strips the mount path from `req.url` before a middleware runs, which is the path the
 * handlers route on. The body is read raw from the request stream: put no `express.json()` in front
 * of it (the handlers answer 500 and log `BodyAlreadyReadError` if one drained it). The client address
 * is the socket's: Express's `trust proxy` setting is not read; pass `trustProxy` to `createHandlers`.
 */
export function accountsRouter(handlers: AccountsHandlers): AccountsMiddleware {
  return (request, response) => serveNodeRequest(handlers, request, response, request.url ?? '/');
}
