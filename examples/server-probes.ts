import { BASE_HEADERS, errorResponse, type HttpResponse, httpError } from '../src/handlers';

/**
 * The example server's probes, answered before the route table (they are not part of it, so a
 * mount of the handlers elsewhere has none unless it adds them, see the README):
 * - `GET /healthz`: 200 `{ "status": "ok" }` whenever the process can answer (liveness);
 * - `GET /readyz`: 200 `{ "status": "ok" }` when the database answered `select 1` in time, else 503
 *   `{ "error": { "code": "NOT_READY", … } }` (readiness: take the instance out of rotation).
 * HEAD is answered like GET, without the body; other methods get the usual 405 envelope. `problem` gives null when ready, else why not (logged,
 * never answered: it may name hosts).
 */
export async function answerProbe(
  path: string,
  method: string,
  problem: () => Promise<string | null>,
): Promise<HttpResponse> {
  // HEAD like GET, as the route table answers it (load balancers often probe with HEAD).
  const verb = method.toUpperCase();
  if (verb !== 'GET' && verb !== 'HEAD') {
    const response = errorResponse(httpError('METHOD_NOT_ALLOWED'));
    response.headers.allow = 'GET, HEAD';
    return response;
  }
  if (path === '/readyz' && (await problem()) !== null) return NOT_READY;
  return { status: 200, headers: { ...BASE_HEADERS }, body: { status: 'ok' } };
}

/**
 * Built by hand: `NOT_READY` is the example server's own code, not one of the library's. The shape
 * is the library's envelope, so clients read every failure the same way.
 */
const NOT_READY: HttpResponse = Object.freeze({
  status: 503,
  headers: { ...BASE_HEADERS, 'retry-after': '5' },
  body: { error: { code: 'NOT_READY', message: 'The service cannot reach its database; try again shortly.' } },
});
