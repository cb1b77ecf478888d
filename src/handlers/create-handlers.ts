import type { Accounts } from '../domain/accounts';
import { accountsError } from '../domain/errors';
import { authenticateCaller } from './auth';
import { DEFAULT_BODY_LIMIT_BYTES, expectNoFields, parseJsonBody } from './body';
import { clientRoutes } from './clients';
import { emailRoutes } from './emails';
import { errorResponse, httpStatusOf, internalErrorResponse } from './errors';
import { eventRoutes } from './events';
import { invitationRoutes } from './invitations';
import { type HandlerLogger, type LogFields, REQUEST_ID_HEADER, toHandlerLogger, usableRequestId } from './logger';
import { openApiRoute } from './openapi/route';
import { organizationRoutes } from './organizations';
import { passwordResetRoutes } from './password-reset';
import { clientAddress, headerValue } from './request';
import { isPlausibleParam, Router } from './router';
import { sessionRoutes } from './sessions';
import { twoFactorRoutes } from './two-factor';
import type {
  DocumentedRoute,
  HandlersOptions,
  HttpHandler,
  HttpRequest,
  RequestFinishedInfo,
  Route,
  RouteDefinition,
} from './types';
import { userRoutes } from './users';

/**
 * Every route of docs/http.md, and `GET /openapi.json` describing them all, before binding: the order only
 * matters for the `Allow` header.
 */
export const ROUTE_DEFINITIONS: readonly DocumentedRoute[] = [
  ...userRoutes,
  ...emailRoutes,
  ...sessionRoutes,
  ...passwordResetRoutes,
  ...twoFactorRoutes,
  ...organizationRoutes,
  ...clientRoutes,
  ...invitationRoutes,
  ...eventRoutes,
  openApiRoute(() => ROUTE_DEFINITIONS),
];

/** The route table and its dispatcher, bound to one `Accounts`. */
export interface AccountsHandlers {
  /** One entry per route: mount each in your framework's router, or use `dispatch` for all of them. */
  routes: Route[];
  /** Finds the route of a request and runs it; 404 / 405 envelopes for unknown paths and methods. */
  dispatch: HttpHandler;
  /** The body limit in force, for adapters that read the body stream (see `toNodeListener`). */
  bodyLimitBytes: number;
  /**
   * The logger in force, every level (the console by default), for adapters that meet failures of
   * their own (see `toNodeListener`).
   */
  logger: HandlerLogger;
}

const NO_SUCH_ROUTE = accountsError('NOT_FOUND', { message: 'No such route.' });

/**
 * Binds the route table to an `Accounts`. Each handler builds the caller from `Authorization: Bearer`
 * and `X-Api-Key` (401 / 403), reads the JSON body (400 / 413 / 415), runs one service and maps its
 * result to a status with `httpStatusOf`. Handlers never throw: an unexpected error is logged once
 * and answered with a bare 500.
 */
export function createHandlers(accounts: Accounts, options: HandlersOptions = {}): AccountsHandlers {
  const bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(bodyLimitBytes) || bodyLimitBytes < 0) {
    throw new TypeError('createHandlers: bodyLimitBytes must be a whole number of bytes');
  }
  const logger = toHandlerLogger(options.logger);
  const routes = ROUTE_DEFINITIONS.map((definition) => ({
    method: definition.method,
    path: definition.path,
    handler: bindRoute(accounts, definition, { ...options, bodyLimitBytes, logger }),
  }));
  const router = new Router(routes);
  const dispatch = options.onRequestFinished
    ? reportingDispatch(router, options.onRequestFinished, logger)
    : router.dispatch;
  return { routes, dispatch, bodyLimitBytes, logger };
}

/**
 * `dispatch` that tells `onRequestFinished` about every request it answers. The hook is an observer:
 * whatever it throws (or an async hook rejects with) is logged, once per handlers so that a broken
 * hook cannot write a line per request, and the response goes out unchanged.
 */
function reportingDispatch(
  router: Router,
  onRequestFinished: NonNullable<HandlersOptions['onRequestFinished']>,
  logger: HandlerLogger,
): HttpHandler {
  let hookFailed = false;
  const hookFailure = (error: unknown) => {
    if (hookFailed) return;
    hookFailed = true;
    const errorName = error instanceof Error ? error.name : typeof error;
    logger.error({ errorName }, 'accounts-module: onRequestFinished failed (further failures are not logged)');
  };
  return async (request) => {
    const started = performance.now();
    const found = router.lookup(request.method, request.path);
    // The bound routes never throw, so this is 500 only for a route table's own failure.
    let status = 500;
    try {
      const response = await router.answer(found, request);
      status = response.status;
      return response;
    } finally {
      const info: RequestFinishedInfo = {
        method: request.method.toUpperCase(),
        route: found !== null && 'match' in found ? found.match.route.path : null,
        status,
        durationMs: performance.now() - started,
      };
      try {
        const pending: unknown = onRequestFinished(info);
        if (pending instanceof Promise) pending.catch(hookFailure);
      } catch (error) {
        hookFailure(error);
      }
    }
  };
}

/** Wraps one route definition with the HTTP concerns every route shares. */
export function bindRoute(accounts: Accounts, definition: RouteDefinition, options: HandlersOptions = {}): HttpHandler {
  const apiName = options.apiName ?? 'accounts';
  const logger = toHandlerLogger(options.logger);
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const label = `${definition.method} ${definition.path}`;

  return async (request: HttpRequest) => {
    // Only an id that passes `usableRequestId`: a client must not write what it likes into the log.
    const requestId = usableRequestId(headerValue(request.headers, REQUEST_ID_HEADER));
    const failed = (fields: LogFields) =>
      logger.error(requestId === undefined ? fields : { ...fields, requestId }, `accounts-module: ${label} failed`);
    try {
      const params = request.params ?? {};
      if (!Object.values(params).every(isPlausibleParam)) return errorResponse(NO_SUCH_ROUTE);

      // Credentials first: a present but invalid one is a 401 whatever else is wrong (docs/http.md).
      const ip = clientAddress(request.remoteAddress, request.headers, options.trustProxy);
      const caller = await authenticateCaller(accounts, request.headers, { ip, apiName });
      if (caller.err) return errorResponse(caller.val);

      const body = parseJsonBody(request.body, request.headers, limit);
      if (body.err) return errorResponse(body.val);

      if (definition.body === 'none') {
        const empty = expectNoFields(body.val);
        if (empty.err) return errorResponse(empty.val);
      }

      const outcome = await definition.action(accounts, {
        params,
        query: request.query ?? {},
        body: body.val,
        caller: caller.val,
        info: {
          ip,
          userAgent: headerValue(request.headers, 'user-agent')?.slice(0, 512) ?? null,
          clientId: caller.val.client?.id ?? null,
        },
      });
      if (outcome.ok) return outcome.val;
      const { code } = outcome.val;
      if (code === 'INTERNAL') failed({ errorName: 'AccountsError', code });
      return errorResponse(outcome.val, definition.statusOverrides?.[code] ?? httpStatusOf(code));
    } catch (error) {
      // Name and message only: a stack or the request could carry tokens, passwords or personal data.
      const { name, message } = error instanceof Error ? error : { name: typeof error, message: String(error) };
      failed({ errorName: name, errorMessage: message });
      return internalErrorResponse();
    }
  };
}
