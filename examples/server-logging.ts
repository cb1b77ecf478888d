import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { headerValue, type Router } from '../src/handlers';
import { REQUEST_ID_HEADER, usableRequestId } from '../src/handlers/logger';
import type { LogLevel } from './server-config';

/**
 * The example server's logger: one JSON object per line with an ISO timestamp (`time`) and the level
 * by name (`level: "info"`), so that any log collector reads it without a pino-specific parser.
 * Writes synchronously: the last lines before `process.exit` must not be lost.
 */
export function createServerLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * The request's id: its `X-Request-Id` when that is a sane value (see `usableRequestId`), so one id
 * follows a request through a proxy and this server; otherwise a new UUID.
 */
export function requestIdFor(request: IncomingMessage): string {
  return usableRequestId(headerValue(request.headers, REQUEST_ID_HEADER)) ?? randomUUID();
}

/** Routes the example server answers itself, outside the route table; probes are logged at `debug`. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Longest user agent kept in a log line: enough to tell clients apart, too short to flood the log. */
const LOGGED_USER_AGENT_CHARACTERS = 256;

/**
 * The route pattern a request matched (`/users/:id`), never its path: paths hold ids and whatever a
 * client typed. Null when no route matched (the line still has method and status).
 */
export function routePatternOf(router: Router, method: string, pathname: string): string | null {
  if (PROBE_PATHS.has(pathname)) return pathname;
  const found = router.lookup(method, pathname);
  return found !== null && 'match' in found ? found.match.route.path : null;
}

/**
 * Logs one line when the response is done: request id, method, route pattern, status and duration,
 * and the user agent. Never the path, query string, another header or a body, so no token, key,
 * password or code reaches the log. Logged on 'close', which also fires for a request the client
 * abandoned before the answer was written (`aborted: true`, at `warn`).
 */
export function logRequest(
  logger: Logger,
  request: IncomingMessage,
  response: ServerResponse,
  details: { requestId: string; route: string | null },
): void {
  const started = process.hrtime.bigint();
  response.once('close', () => {
    const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
    const aborted = !response.writableFinished;
    const status = aborted ? null : response.statusCode;
    const method = request.method ?? 'GET';
    const fields = {
      requestId: details.requestId,
      method,
      route: details.route,
      status,
      durationMs,
      userAgent: headerValue(request.headers, 'user-agent')?.slice(0, LOGGED_USER_AGENT_CHARACTERS) ?? null,
      ...(aborted ? { aborted } : {}),
    };
    const level = levelOf(status, details.route);
    logger[level](fields, `${method} ${details.route ?? '(no route)'} ${status ?? 'aborted'} ${durationMs}ms`);
  });
}

function levelOf(status: number | null, route: string | null): Level {
  if (status === null) return 'warn';
  if (status >= 500) return 'error';
  // Probes come every few seconds from an orchestrator: at info they would drown the requests.
  return route !== null && PROBE_PATHS.has(route) ? 'debug' : 'info';
}
