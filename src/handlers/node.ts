import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
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
  return readBodyStream(request, request.headers['content-length'], limitBytes);
}

/**
 * `readRequestBody` for any body stream (Fastify hands its parsers the payload stream, which its
 * hooks may have replaced), given the request's declared `Content-Length`.
 */
export function readBodyStream(
  stream: Readable,
  declaredLength: string | undefined,
  limitBytes: number,
): Promise<BodyRead> {
  // A body parser mounted before the handlers (express.json() …) has drained the stream: waiting
  // for 'end' would hang the request forever, so say what is wrong instead.
  if (stream.readableEnded) return Promise.reject(new BodyAlreadyReadError());
  const declared = Number(declaredLength);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        // Keep the stream flowing without listeners: the rest is discarded until the response closes the socket.
        stream.resume();
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
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** The 413 answer to a body over the limit, which was left unread. */
export function payloadTooLargeResponse(): HttpResponse {
  const tooLarge = errorResponse(httpError('PAYLOAD_TOO_LARGE'));
  // The unread rest of the body makes the connection unusable for another request.
  tooLarge.headers.connection = 'close';
  return tooLarge;
}

/**
 * Writes a handler's response: the JSON body serialized, with its length. To a `HEAD` request node
 * sends the headers only, `Content-Length` included, which is what HEAD means.
 */
export function writeResponse(response: ServerResponse, result: HttpResponse): void {
  response.statusCode = result.status;
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  const payload = responsePayload(result);
  if (payload === null) {
    response.end();
    return;
  }
  response.setHeader('content-length', payload.length);
  response.end(payload);
}

/**
 * A `node:http` request listener serving the route table: `http.createServer(toNodeListener(handlers))`.
 * It reads the body within the handlers' limit (413 without reading further), splits path and query,
 * and passes the socket address, which the handlers replace with `X-Forwarded-For` only when told to
 * trust the proxy. Every answer is an envelope: 404 outside `basePath` and for unknown paths or bad
 * percent-escapes, 405 with `Allow`, and `HEAD` as `GET` without the body.
 */
export function toNodeListener(
  handlers: AccountsHandlers,
  options: NodeListenerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const basePath = normalizeBasePath(options.basePath);
  return (request, response) => {
    const { pathname, search } = splitTarget(request.url ?? '/');
    const path = pathUnderBase(pathname, basePath);
    if (path === null) {
      writeResponse(response, noSuchRouteResponse());
      return;
    }
    serveNodeRequest(handlers, request, response, search === '' ? path : `${path}?${search}`);
  };
}

/**
 * Serves one node request whose target (path and query under the mount) is already known: the part
 * that `toNodeListener` and the Express adapter share. Never rejects.
 */
export function serveNodeRequest(
  handlers: AccountsHandlers,
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
): void {
  readRequestBody(request, handlers.bodyLimitBytes)
    .then(async (read) => {
      if (read.tooLarge) return writeResponse(response, payloadTooLargeResponse());
      const httpRequest = toHttpRequest({
        method: request.method ?? 'GET',
        target,
        headers: request.headers,
        body: read.body,
        remoteAddress: request.socket.remoteAddress,
      });
      writeResponse(response, await handlers.dispatch(httpRequest));
    })
    .catch((error: unknown) => {
      if (error instanceof BodyAlreadyReadError) {
        handlers.logger.error({ errorName: error.name }, error.message);
        writeResponse(response, internalErrorResponse());
        return;
      }
      // Otherwise reading the body failed because the client went away: there is nobody left to answer.
      response.destroy();
    });
}
