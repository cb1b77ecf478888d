import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountsError } from '../src/domain/errors';
import { errorResponse, headerValue, httpError, internalErrorResponse, writeResponse } from '../src/handlers';
import { AccountsMetrics } from '../src/metrics';

/**
 * Where the example server serves its Prometheus metrics with `ACCOUNTS_METRICS=1`, outside the
 * route table (like the probes). Never expose it publicly: it tells anyone how many logins fail and
 * where the rate limits bite. Keep the port off the internet (scrape it from the private network, or
 * let the proxy refuse `/metrics`), or set `ACCOUNTS_METRICS_TOKEN` so that a scrape needs
 * `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: … }`).
 */
export const METRICS_PATH = '/metrics';

/** The example server's metrics: the accounts metrics and prom-client's process metrics, in a registry of their own. */
export function createServerMetrics(): AccountsMetrics {
  return new AccountsMetrics({ defaultMetrics: true });
}

/**
 * Answers `GET /metrics` (HEAD too, without the body) with the text exposition; other methods get the
 * 405 envelope. With a `token`, a request without `Authorization: Bearer <token>` gets 401 and no
 * metric. Never rejects.
 */
export function serveMetrics(
  metrics: AccountsMetrics,
  request: IncomingMessage,
  response: ServerResponse,
  token: string | undefined,
): void {
  const method = (request.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') {
    const refused = errorResponse(httpError('METHOD_NOT_ALLOWED'));
    refused.headers.allow = 'GET, HEAD';
    writeResponse(response, refused);
    return;
  }
  if (token !== undefined && !bearerMatches(headerValue(request.headers, 'authorization'), token)) {
    writeResponse(response, errorResponse(accountsError('UNAUTHENTICATED')));
    return;
  }
  metrics.registry.metrics().then(
    (text) => {
      const payload = Buffer.from(text, 'utf8');
      response.statusCode = 200;
      response.setHeader('content-type', metrics.registry.contentType);
      response.setHeader('cache-control', 'no-store');
      response.setHeader('content-length', payload.length);
      response.end(payload);
    },
    () => writeResponse(response, internalErrorResponse()),
  );
}

/**
 * Whether `Authorization` carries the token. Compared as SHA-256 digests in constant time: equal
 * lengths for `timingSafeEqual`, and no timing that tells how much of a guess was right.
 */
function bearerMatches(authorization: string | null | undefined, token: string): boolean {
  const given = /^Bearer +(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}
