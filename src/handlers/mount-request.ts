import { accountsError } from '../domain/errors';
import { errorResponse } from './errors';
import type { HttpHeaders, HttpRequest, HttpResponse } from './types';

/**
 * What every adapter (node:http, Express, Fastify, Fetch) does the same way between the framework's
 * request and `handlers.dispatch`: finding the path under the mount, parsing the query string and
 * answering what is outside the mount. Kept in one place so that the four adapters cannot drift.
 */

/** A mount path without its trailing slashes (`/accounts/` → `/accounts`; `/` → the root, `''`). */
export function normalizeBasePath(basePath: string | undefined): string {
  return (basePath ?? '').replace(/\/+$/, '');
}

/** The path and the query string of a request target (`/users/me?x=1`), without the `?`. */
export function splitTarget(target: string): { pathname: string; search: string } {
  const queryStart = target.indexOf('?');
  return queryStart === -1
    ? { pathname: target, search: '' }
    : { pathname: target.slice(0, queryStart), search: target.slice(queryStart + 1) };
}

/**
 * The path under `basePath`, still percent-encoded (the router decodes each segment, so a bad escape
 * is a 404 in every adapter alike), or null when the request is outside the mount. `/accountsx` is
 * outside `/accounts`: the mount ends at a segment boundary.
 */
export function pathUnderBase(pathname: string, basePath: string): string | null {
  if (basePath === '') return pathname === '' ? '/' : pathname;
  if (pathname === basePath) return '/';
  return pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : null;
}

/** A query string as the handlers take it: a repeated name gives an array, in order. */
export function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

/** What an adapter knows about a request once it has read the body. */
export interface MountedRequest {
  method: string;
  /** The request target relative to the mount: path and query string, still percent-encoded. */
  target: string;
  headers: HttpHeaders;
  body: Uint8Array;
  remoteAddress: string | null | undefined;
}

/** The handlers' request for a mounted one. Parameters are left to `dispatch`, which routes itself. */
export function toHttpRequest(request: MountedRequest): HttpRequest {
  const { pathname, search } = splitTarget(request.target);
  return {
    method: request.method,
    path: pathname === '' ? '/' : pathname,
    query: parseQuery(search),
    headers: request.headers,
    body: request.body,
    // The socket's peer; `createHandlers({ trustProxy })`, not the framework's setting, decides
    // whether `X-Forwarded-For` replaces it, so every framework reads the client address alike.
    remoteAddress: request.remoteAddress ?? null,
  };
}

/** The 404 envelope for a request outside the mount or a path no route has. */
export function noSuchRouteResponse(): HttpResponse {
  return errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' }));
}

/** The serialized body of a response, or null when it has none (204, HEAD). */
export function responsePayload(result: HttpResponse): Buffer | null {
  return result.body === undefined ? null : Buffer.from(JSON.stringify(result.body), 'utf8');
}

/** Whether a request asks for the headers only: the answer is GET's, sent without its body (RFC 9110 §9.3.2). */
export function isHeadRequest(method: string | undefined): boolean {
  return method?.toUpperCase() === 'HEAD';
}
