import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { accountsError } from '../domain/errors';
import type { AccountsHandlers } from './create-handlers';
import { errorResponse, httpError, internalErrorResponse } from './errors';
import {
  normalizeBasePath,
  noSuchRouteResponse,
  pathUnderBase,
  responsePayload,
  splitTarget,
  toHttpRequest,
} from './mount-request';
import { type BodyRead, payloadTooLargeResponse, readBodyStream, readRequestBody } from './node';
import type { HttpResponse } from './types';

/*
 * Fastify is not a dependency of the library: the plugin is typed by the few members it uses
 * (declared as methods, which TypeScript compares loosely enough for Fastify's generic types to fit).
 */

/** What the plugin reads of a Fastify request. */
export interface FastifyRequestLike {
  method: string;
  /** The full request target, prefix included. */
  url: string;
  headers: IncomingHttpHeaders;
  raw: IncomingMessage;
}

/** What the plugin uses of a Fastify reply. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** An error as Fastify hands it to error handlers. */
export interface FastifyErrorLike {
  name: string;
  message: string;
  code?: string;
  statusCode?: number;
}

type FastifyHandlerLike = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike>;

/** What the plugin uses of the (encapsulated) Fastify instance it is registered in. */
export interface FastifyInstanceLike {
  /** The prefix of the registration (`{ prefix: '/accounts' }`), `''` at the root. */
  prefix: string;
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    parser: (
      request: FastifyRequestLike,
      payload: Readable,
      done: (error: Error | null, body?: unknown) => void,
    ) => void,
  ): void;
  route(options: { method: string[]; url: string; exposeHeadRoutes: boolean; handler: FastifyHandlerLike }): unknown;
  setNotFoundHandler(handler: FastifyHandlerLike): unknown;
  setErrorHandler(
    handler: (error: FastifyErrorLike, request: FastifyRequestLike, reply: FastifyReplyLike) => FastifyReplyLike,
  ): unknown;
}

/** The methods routed to the handlers; any other reaches them too, through the not-found handler. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The route table as a Fastify 5 plugin: `app.register(accountsPlugin(handlers), { prefix: '/accounts' })`.
 *
 * Everything under the prefix goes to `handlers.dispatch`, so Fastify answers exactly what node:http,
 * Express and Hono answer: 404 / 405 (with `Allow`) envelopes, `HEAD` as `GET` without the body (the
 * plugin's routes set `exposeHeadRoutes: false`, Fastify adds no HEAD routes of its own). Inside the
 * plugin, and only there (Fastify encapsulation: your other routes keep their parsers and handlers):
 * one content-type parser takes every body raw within the handlers' limit, so the handlers answer
 * 400 / 413 / 415 themselves; the not-found and error handlers answer with the envelopes.
 *
 * A path that does not percent-decode is refused by Fastify's router before any plugin runs: pass
 * `frameworkErrors: accountsFrameworkErrors('/accounts')` to `Fastify()` for the envelope there too.
 */
export function accountsPlugin(
  handlers: AccountsHandlers,
): (instance: FastifyInstanceLike, options: unknown) => Promise<void> {
  return async (instance) => {
    const basePath = normalizeBasePath(instance.prefix);
    // The bodies the parser read, by request: a hook of the application could replace `request.body`.
    const bodies = new WeakMap<IncomingMessage, BodyRead>();

    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (request, payload, done) => {
      readBodyStream(payload, request.headers['content-length'], handlers.bodyLimitBytes).then((read) => {
        bodies.set(request.raw, read);
        done(null);
      }, done);
    });

    const serve: FastifyHandlerLike = async (request, reply) => {
      // Fastify parses no body of GET and HEAD, and none of a request without one: read what is there.
      const read = bodies.get(request.raw) ?? (await readRequestBody(request.raw, handlers.bodyLimitBytes));
      if (read.tooLarge) return sendResponse(reply, payloadTooLargeResponse());
      const { pathname, search } = splitTarget(request.url);
      const path = pathUnderBase(pathname, basePath);
      // Only with `caseSensitive: false` can Fastify route here a path that is not under the prefix as written.
      if (path === null) return sendResponse(reply, noSuchRouteResponse());
      const httpRequest = toHttpRequest({
        method: request.method,
        target: search === '' ? path : `${path}?${search}`,
        headers: request.headers,
        body: read.body,
        remoteAddress: request.raw.socket.remoteAddress,
      });
      return sendResponse(reply, await handlers.dispatch(httpRequest));
    };

    for (const url of ['/', '/*']) instance.route({ method: METHODS, url, exposeHeadRoutes: false, handler: serve });
    instance.setNotFoundHandler(serve);
    instance.setErrorHandler((error, _request, reply) => {
      const status = error.statusCode ?? 500;
      if (status === 413) return sendResponse(reply, payloadTooLargeResponse());
      if (status === 415) return sendResponse(reply, errorResponse(httpError('UNSUPPORTED_MEDIA_TYPE')));
      // Name and message only, as the handlers log their own failures: never the request.
      const fields = { errorName: error.name, errorCode: error.code, errorMessage: error.message };
      if (status >= 400 && status < 500) {
        // The client's fault (a request Fastify could not read, a connection it dropped): an answer
        // in our envelope, and no error-level line an anonymous client could flood the logs with.
        handlers.logger.debug(fields, 'accounts-module: Fastify refused a request');
        if (status === 404)
          return sendResponse(reply, errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' })));
        if (status === 405) return sendResponse(reply, errorResponse(httpError('METHOD_NOT_ALLOWED')));
        return sendResponse(
          reply,
          errorResponse(accountsError('VALIDATION_FAILED', { message: 'The request could not be read.' })),
        );
      }
      if (error.code === 'ECONNRESET' || error.message === 'aborted') {
        handlers.logger.warn(fields, 'accounts-module: request aborted by the client');
        return sendResponse(reply, internalErrorResponse());
      }
      handlers.logger.error(fields, 'accounts-module: Fastify failed');
      return sendResponse(reply, internalErrorResponse());
    });
  };
}

/**
 * A Fastify `frameworkErrors` option answering with the 404 envelope the paths under `prefix` that
 * Fastify's router refuses before any plugin runs (a bad percent-escape, an over-long parameter),
 * as the other adapters do. Errors outside the prefix keep Fastify's own answer.
 */
export function accountsFrameworkErrors(
  prefix: string,
): (error: FastifyErrorLike, request: FastifyRequestLike, reply: FastifyReplyLike) => void {
  const basePath = normalizeBasePath(prefix);
  return (error, request, reply) => {
    if (pathUnderBase(splitTarget(request.url).pathname, basePath) !== null) {
      sendResponse(reply, noSuchRouteResponse());
      return;
    }
    reply.code(error.statusCode ?? 500).send(error);
  };
}

function sendResponse(reply: FastifyReplyLike, result: HttpResponse): FastifyReplyLike {
  reply.code(result.status);
  for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
  // Fastify leaves the body out of a HEAD answer and keeps the length of the one given.
  return reply.send(responsePayload(result) ?? undefined);
}
