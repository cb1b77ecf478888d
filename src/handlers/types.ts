import type { Result } from 'ts-results';
import type { Accounts } from '../domain/accounts';
import type { Caller } from '../domain/context';
import type { AccountsError, ErrorCode } from '../domain/errors';
import type { LoginContext } from '../domain/sessions';

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
  /** The parsed query string. No shipped route reads it; it is there for routes you add. */
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
}

/** Receives unexpected failures (a 500): a message and the error's name and message, never a body or header. */
export interface HandlerLogger {
  error(message: string, meta: Record<string, unknown>): void;
}

export interface HandlersOptions {
  /**
   * The API name of this mount, checked against `api` access restrictions of client keys (SPEC §5).
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
  /** Where unexpected errors are reported, once each. Default: `console.error`. */
  logger?: HandlerLogger;
}
