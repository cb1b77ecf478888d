import type { Result } from 'ts-results';
import type { Accounts } from '../domain/accounts';
import type { Caller } from '../domain/context';
import type { AccountsError, ErrorCode } from '../domain/errors';
import type { LoginContext } from '../domain/sessions';
import type { AnyCodec } from '../domain/views';
import type { HandlerLoggerOption } from './logger';

/** Header values as frameworks hand them over; names are matched case-insensitively. */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/**
 * A request as any HTTP framework can describe it. The body is passed raw (as received), so that every
 * integration gets the same JSON-only parsing, size limit and errors (400 / 413 / 415).
 */
export interface HttpRequest {
  /** `GET`, `POST`… (any case). */
  method: string;
  /** The path relative to where the route table is mounted, without the query string: `/users/me`. */
  path: string;
  /** Path parameters (`{ id: 'usr_…' }`), already decoded. `dispatch` fills them from `path`. */
  params?: Record<string, string>;
  /** The parsed query string: list routes read `limit` and `cursor` from it (docs/http.md, "Pagination"). */
  query?: Record<string, string | string[] | undefined>;
  headers: HttpHeaders;
  /** The raw body: bytes or a string (UTF-8). Absent or empty for requests without one. */
  body?: string | Uint8Array | null;
  /** The peer address of the socket. `X-Forwarded-For` replaces it only with `trustProxy`. */
  remoteAddress?: string | null;
}

/** A response for the framework to write: `body` is a JSON value (serialize with `JSON.stringify`), or absent. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** A handler of the route table: a plain async function from request to response. It never throws. */
export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** One entry of the route table; `path` uses `:name` parameters, as Express, Fastify and Hono do. */
export interface Route {
  method: HttpMethod;
  path: string;
  handler: HttpHandler;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * What an action (the part of a handler that is about accounts, not HTTP) receives: the request once
 * its credentials are checked and its body parsed.
 */
export interface ActionRequest {
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (`{}` when the request had none). The services decode and validate it. */
  body: unknown;
  /** The authenticated user and/or client; empty for an anonymous request. */
  caller: Caller;
  /** Address, user agent and client, for sessions, limits and events. */
  info: LoginContext;
}

/** What an action gives back: a response, or the domain error for the route to map to a status. */
export type Outcome = Result<HttpResponse, AccountsError>;

/**
 * The accounts-specific part of a handler: calls one service and says which response to give. HTTP
 * concerns (body parsing, credentials, error statuses) are the route's, so an action is short enough
 * to copy into another framework.
 */
export type Action = (accounts: Accounts, request: ActionRequest) => Promise<Outcome>;

/** A route before it is bound to an `Accounts` instance and wrapped with parsing and authentication. */
export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  /** `json` (default for POST, PATCH) reads a JSON body; `none` accepts only an empty one (or `{}`). */
  body: 'json' | 'none';
  action: Action;
  /** Statuses that differ on this route from `httpStatusOf` (e.g. `INVALID_CODE` is 401 on a login). */
  statusOverrides?: Partial<Record<ErrorCode, number>>;
  /** What the OpenAPI document and the route listing say about it (see `openApiDocument`). */
  docs?: RouteDocs;
}

/** A route definition that documents itself: every route of `ROUTE_DEFINITIONS` is one. */
export type DocumentedRoute = RouteDefinition & { docs: RouteDocs };

/**
 * Who may call a route, as credentials: `anyone` (credentials optional), `user` (an access token),
 * `caller` (an access token, an API key, or both).
 */
export type RouteCallers = 'anyone' | 'user' | 'caller';

/**
 * A route's contract, written beside its action so that each route is described in one place: the
 * OpenAPI document (`openApiDocument`) and the routes table of docs/http.md are generated from it,
 * and the request and response schemas from the codecs named here.
 */
export interface RouteDocs {
  /** One line: what the route does. */
  summary: string;
  /** The least privileged caller allowed, in words (`self, employee, sysadmin`). */
  who: string;
  /** Which credentials the route needs. */
  callers: RouteCallers;
  /** The codec the service decodes the JSON body with (routes with `body: 'json'`). */
  request?: AnyCodec;
  /** A body that `request` accepts, shown in the document and checked by its tests. */
  example?: unknown;
  /**
   * The answer on success: `data` is the codec of `{ data }` (its output side is the wire form),
   * `bare` that of a body without the envelope, `page` that of a list route's whole body
   * (`{ data, nextCursor }`, whose route then takes the `limit` and `cursor` query parameters); with
   * none, 202 is `{ data: null }` and 204 empty.
   */
  success: { status: 200 | 201 | 202 | 204; description: string; data?: AnyCodec; bare?: AnyCodec; page?: AnyCodec };
  /**
   * The route's own query parameters (optional, besides the `limit` and `cursor` of a list route), by
   * name: the codec the service decodes each with, and what it means. An array codec is sent
   * comma-separated (`?type=a,b`).
   */
  query?: Readonly<Record<string, QueryParameterDocs>>;
  /**
   * The domain errors particular to this route. Those any route can answer (bad credentials, body
   * hygiene, validation, rate limits, 500; `NOT_FOUND` with a path parameter; `UNAUTHENTICATED` and
   * `FORBIDDEN` where a caller is needed) are added by the document.
   */
  errors?: readonly ErrorCode[];
}

/** One query parameter of a route (`RouteDocs.query`). */
export interface QueryParameterDocs {
  codec: AnyCodec;
  description: string;
}

export type { ErrorOnlyLogger, HandlerLogger, HandlerLoggerOption, LogFields, LogMethod } from './logger';

export interface HandlersOptions {
  /**
   * The API name of this mount, checked against `api` access restrictions of client keys (docs/security-rules.md §5).
   * Default `accounts`.
   */
  apiName?: string;
  /**
   * Whether the peer is a reverse proxy whose `X-Forwarded-For` can be believed. `false` (default): the
   * socket address is the client. `true`: one proxy, so the right-most entry (the address that proxy
   * saw) is the client. A number `n`: `n` proxies in a chain, so the n-th entry from the right. The
   * left-most entry is never used on its own: the client writes it, so it could fake its address
   * past `ip` restrictions and per-IP limits.
   */
  trustProxy?: boolean | number;
  /** Largest accepted body, in bytes; larger ones get 413. Default 102,400. */
  bodyLimitBytes?: number;
  /**
   * Where the handlers report: unexpected failures (500) at `error`, once each, with the request's
   * `X-Request-Id` when it has a usable one. Takes pino's call shape, so `logger: pino()` works as it
   * is. Default: the console.
   */
  logger?: HandlerLoggerOption;
  /**
   * Called once for every request `dispatch` answers, 404 and 405 included, after its response is
   * ready (metrics: see `accounts-module/metrics`). What it throws or rejects with is logged once and
   * never changes a response. Requests an adapter refuses before dispatching (a body over the limit,
   * a path outside `basePath`) are not reported.
   */
  onRequestFinished?: (info: RequestFinishedInfo) => void;
}

/** One answered request, as `HandlersOptions.onRequestFinished` receives it: nothing of its path, headers or body. */
export interface RequestFinishedInfo {
  /** The request's method, upper case, as the client sent it (`HEAD` stays `HEAD`). */
  method: string;
  /**
   * The route pattern that matched (`/users/:id`), never the path, which holds ids and whatever a
   * client typed. Null when no route matched the path and method (the 404 and 405 of `dispatch`).
   */
  route: string | null;
  status: number;
  /** Time spent in `dispatch`: credentials, body parsing and the service; not reading or writing the body. */
  durationMs: number;
}
