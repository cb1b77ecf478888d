import { accountsError } from '../domain/errors';
import { errorResponse, httpError } from './errors';
import type { HttpHandler, HttpMethod, HttpRequest, HttpResponse, Route } from './types';

type Segment = { literal: string } | { param: string };

interface CompiledRoute {
  route: Route;
  segments: Segment[];
}

/** A route whose path matched, with its decoded parameters. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** The routes found for a path: the one for the method, or the methods the path has (for a 405). */
export type Lookup = { match: RouteMatch } | { allowed: HttpMethod[] } | null;

/**
 * A minimal router for the route table: `:name` segments match one non-empty, percent-decoded path
 * segment (at most 256 characters, no control characters); everything else matches literally. A
 * trailing slash is ignored. `HEAD` is answered wherever `GET` is, with GET's status and headers; the
 * adapters leave the body out (node:http does so itself), so `dispatch` returns GET's answer whole.
 */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: compile(route.path) }));
  }

  /** The route of a method and path. `HEAD` finds the `GET` route: adapters send its answer without the body. */
  lookup(method: string, path: string): Lookup {
    const parts = splitPath(path);
    if (parts === null) return null;
    const upper = method.toUpperCase();
    const wanted = upper === 'HEAD' ? 'GET' : upper;
    const allowed: HttpMethod[] = [];
    for (const { route, segments } of this.compiled) {
      const params = matchSegments(segments, parts);
      if (params === null) continue;
      if (route.method === wanted) return { match: { route, params } };
      if (!allowed.includes(route.method)) allowed.push(route.method);
    }
    return allowed.length > 0 ? { allowed } : null;
  }

  /** Finds the route of a request and runs it: 404 for an unknown path, 405 (with `Allow`) for a wrong method. */
  readonly dispatch: HttpHandler = async (request: HttpRequest): Promise<HttpResponse> =>
    this.answer(this.lookup(request.method, request.path), request);

  /**
   * Runs what `lookup` found for the request (404 / 405 envelopes when it found no route). Apart from
   * `dispatch` so that a dispatcher which needs the match (to report its route pattern) looks it up once.
   */
  async answer(found: Lookup, request: HttpRequest): Promise<HttpResponse> {
    if (found === null) return errorResponse(accountsError('NOT_FOUND', { message: 'No such route.' }));
    if ('allowed' in found) {
      const response = errorResponse(httpError('METHOD_NOT_ALLOWED'));
      response.headers.allow = found.allowed.join(', ');
      return response;
    }
    return found.match.route.handler({ ...request, params: found.match.params });
  }
}

/** Longest path parameter considered: every id is far shorter. */
const MAX_PARAM_LENGTH = 256;

/**
 * Whether a decoded path parameter could be an id (or `me`). Ids never contain control characters;
 * refusing them (as an unknown path) keeps a `%00` away from databases that reject NUL in text
 * (PostgreSQL fails the query). Checked here and again by each route, for frameworks that route
 * themselves.
 */
export function isPlausibleParam(part: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  return part !== '' && part.length <= MAX_PARAM_LENGTH && !/[\u0000-\u001f\u007f]/.test(part);
}

function compile(path: string): Segment[] {
  return path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? { param: part.slice(1) } : { literal: part }));
}

/** Path segments, percent-decoded; null when the path is malformed (a bad escape matches nothing). */
function splitPath(path: string): string[] | null {
  const pathname = path.split('?')[0];
  const parts = pathname.split('/').filter((part, index, all) => part !== '' || (index > 0 && index < all.length - 1));
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    return null;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index];
    const part = parts[index];
    if ('literal' in segment) {
      if (segment.literal !== part) return null;
    } else {
      if (!isPlausibleParam(part)) return null;
      params[segment.param] = part;
    }
  }
  return params;
}
