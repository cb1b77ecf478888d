import type { AccountsHandlers } from './create-handlers';
import { errorResponse, httpError, internalErrorResponse } from './errors';
import {
  isHeadRequest,
  normalizeBasePath,
  noSuchRouteResponse,
  pathUnderBase,
  responsePayload,
  toHttpRequest,
} from './mount-request';
import type { HttpResponse } from './types';

export interface FetchHandlerOptions {
  /** Where the routes are mounted, e.g. `/accounts`; requests outside it get 404. Default: the root. */
  basePath?: string;
}

/**
 * A handler over the standard Fetch API (`Request` → `Response`), for Hono, Bun, Deno, Cloudflare
 * Workers and anything else built on it. The runtime's `Request` does not carry the peer address, so
 * pass it as the second argument (e.g. Hono's `getConnInfo(c).remote.address`); without it the
 * address is unknown, and `ip` restrictions and per-IP limits cannot apply. Every answer is an
 * envelope: 404 outside `basePath` and for unknown paths or bad percent-escapes, 405 with `Allow`,
 * and `HEAD` as `GET` without the body.
 */
export function toFetchHandler(
  handlers: AccountsHandlers,
  options: FetchHandlerOptions = {},
): (request: Request, remoteAddress?: string | null) => Promise<Response> {
  const basePath = normalizeBasePath(options.basePath);
  return async (request, remoteAddress = null) => {
    const method = request.method;
    const url = new URL(request.url);
    const path = pathUnderBase(url.pathname, basePath);
    if (path === null) return toResponse(noSuchRouteResponse(), method);
    let body: Uint8Array | null;
    try {
      body = await readBody(request, handlers.bodyLimitBytes);
    } catch {
      // The client went away while sending: nobody reads this answer, but the runtime needs one.
      return toResponse(internalErrorResponse(), method);
    }
    if (body === null) return toResponse(errorResponse(httpError('PAYLOAD_TOO_LARGE')), method);
    const result = await handlers.dispatch(
      toHttpRequest({
        method,
        target: `${path}${url.search}`,
        headers: Object.fromEntries(request.headers),
        body,
        // Hono's `app.mount()` passes its runtime bindings here, which are no address.
        remoteAddress: typeof remoteAddress === 'string' ? remoteAddress : null,
      }),
    );
    return toResponse(result, method);
  };
}

/** The body within the limit, or null when it is over; stops reading as soon as it passes the limit. */
async function readBody(request: Request, limitBytes: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) return null;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function toResponse(result: HttpResponse, method: string): Response {
  const payload = responsePayload(result);
  const headers = new Headers(result.headers);
  if (payload === null) return new Response(null, { status: result.status, headers });
  headers.set('content-length', String(payload.length));
  // A HEAD answer keeps GET's headers, its length included, and drops the body (RFC 9110 §9.3.2).
  return new Response(isHeadRequest(method) ? null : payload, { status: result.status, headers });
}
