import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountsError } from '../domain/errors';
import type { AccountsHandlers } from './create-handlers';
import { errorResponse, httpError, internalErrorResponse } from './errors';
import type { HttpResponse } from './types';

export interface NodeListenerOptions {
  /** Where the routes are mounted, e.g. `/accounts`; requests outside it get 404. Default: the root. */
  basePath?: string;
}

/** A body read within the limit, or the news that it was over it. */
export type BodyRead = { tooLarge: false; body: Buffer } | { tooLarge: true };

/** The request stream was drained before the handlers saw it: an integration mistake, not the client's. */
export class BodyAlreadyReadError extends Error {
  constructor() {
    super(
      'accounts-module: the request body was already read by another middleware; mount the routes before any body parser',
    );
    this.name = 'BodyAlreadyReadError';
  }
}

/**
 * Reads a request body, keeping at most `limitBytes`. A declared `Content-Length` over the limit is
 * refused before reading anything; a streamed body is refused as soon as it passes the limit, and what
 * follows is never buffered. Rejects when the client aborts.
 */
export function readRequestBody(request: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  // A body parser mounted before the handlers (express.json() …) has drained the stream: waiting
  // for 'end' would hang the request forever, so say what is wrong instead.
  if (request.readableEnded) return Promise.reject(new BodyAlreadyReadError());
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        // Keep the stream flowing without listeners: the rest is discarded until the response closes the socket.
        request.resume();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ tooLarge: false, body: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('request closed before its body was read'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/** Writes a handler's response: the JSON body serialized, with its length. */
export function writeResponse(response: ServerResponse, result: HttpResponse): void {
  response.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  if (result.body === undefined) {
    response.end();
    return;
  }
  const payload = Buffer.from(JSON.stringify(result.body), 'utf8');
  response.setHeader('content-length', payload.length);
  response.end(payload);
}

/**
 * A `node:http` request listener serving the route table: `http.createServer(toNodeListener(handlers))`.
 * It reads the body within the handlers' limit (413 without reading further), splits path and query,
 * and passes the socket address, which the handlers replace with `X-Forwarded-For` only when told to
 * trust the proxy.
 */
export function toNodeListener(
  handlers: AccountsHandlers,
  options: NodeListenerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  return (request, response) => {
    serve(handlers, basePath, request, response).catch((error: unknown) => {
      if (error instanceof BodyAlreadyReadError) {
        handlers.logger.error(error.message, { errorName: error.name });
        writeResponse(response, internalErrorResponse());
        return;
      }
      // Otherwise reading the body failed because the client went away: there is nobody left to answer.
      response.destroy();
    });
  };
}

async function serve(
  handlers: AccountsHandlers,
  basePath: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
  const search = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const path = stripBase(pathname, basePath);
  if (path === null) {
    writeResponse(response, errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' })));
    return;
  }

  const read = await readRequestBody(request, handlers.bodyLimitBytes);
  if (read.tooLarge) {
    const tooLarge = errorResponse(httpError('PAYLOAD_TOO_LARGE'));
    // The unread rest of the body makes the connection unusable for another request.
    tooLarge.headers.connection = 'close';
    writeResponse(response, tooLarge);
    return;
  }
  const result = await handlers.dispatch({
    method: request.method ?? 'GET',
    path,
    query: parseQuery(search),
    headers: request.headers,
    body: read.body,
    remoteAddress: request.socket.remoteAddress ?? null,
  });
  writeResponse(response, result);
}

/** The path under `basePath`, or null when the request is outside it. */
function stripBase(pathname: string, basePath: string): string | null {
  if (basePath === '') return pathname;
  if (pathname === basePath) return '/';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : null;
}

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}
