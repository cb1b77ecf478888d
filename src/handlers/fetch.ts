import { accountsError } from '../domain/errors';
import type { AccountsHandlers } from './create-handlers';
import { errorResponse, httpError } from './errors';
import type { HttpResponse } from './types';

export interface FetchHandlerOptions {
  /** Where the routes are mounted, e.g. `/accounts`; requests outside it get 404. Default: the root. */
  basePath?: string;
}

/**
 * A handler over the standard Fetch API (`Request` → `Response`), for Hono, Bun, Deno, Cloudflare
 * Workers and anything else built on it. The runtime's `Request` does not carry the peer address, so
 * pass it as the second argument (e.g. Hono's `getConnInfo(c).remote.address`); without it the
 * address is unknown, and `ip` restrictions and per-IP limits cannot apply.
 */
export function toFetchHandler(
  handlers: AccountsHandlers,
  options: FetchHandlerOptions = {},
): (request: Request, remoteAddress?: string | null) => Promise<Response> {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  return async (request, remoteAddress = null) => {
    const url = new URL(request.url);
    let path = url.pathname;
    if (basePath !== '') {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        return toResponse(errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' })));
      }
      path = path.slice(basePath.length) || '/';
    }
    const body = await readBody(request, handlers.bodyLimitBytes);
    if (body === null) return toResponse(errorResponse(httpError('PAYLOAD_TOO_LARGE')));
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const result = await handlers.dispatch({
      method: request.method,
      path,
      query,
      headers: Object.fromEntries(request.headers),
      body,
      remoteAddress,
    });
    return toResponse(result);
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

function toResponse(result: HttpResponse): Response {
  const payload = result.body === undefined ? null : JSON.stringify(result.body);
  return new Response(payload, { status: result.status, headers: result.headers });
}
