import type { AccountsHandlers } from '../../src/handlers';
import type { HttpHeaders, HttpResponse } from '../../src/handlers/types';

export interface CallOptions {
  /** A JSON value, sent as `application/json`; a string or bytes are sent raw with `headers`. */
  json?: unknown;
  raw?: string | Uint8Array;
  token?: string;
  apiKey?: string;
  headers?: HttpHeaders;
  remoteAddress?: string | null;
}

/** Calls the dispatcher the way an adapter would, with a JSON body and credentials. */
export function call(
  handlers: Pick<AccountsHandlers, 'dispatch'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<HttpResponse> {
  const headers: HttpHeaders = { 'user-agent': 'jest', ...options.headers };
  let body: string | Uint8Array | undefined = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  return handlers.dispatch({
    method,
    path,
    headers,
    body,
    remoteAddress: options.remoteAddress === undefined ? '203.0.113.7' : options.remoteAddress,
  });
}

/** The `data` of a success envelope. */
export function dataOf<T = Record<string, unknown>>(response: HttpResponse): T {
  return (response.body as { data: T }).data;
}

/** The `error` of a failure envelope. */
export function errorOf(response: HttpResponse): { code: string; message: string; details?: { path: string }[] } {
  return (response.body as { error: { code: string; message: string; details?: { path: string }[] } }).error;
}

/** Asserts a documented error: the status, the code, and an envelope with nothing else in it. */
export function expectError(response: HttpResponse, status: number, code: string): void {
  expect({ status: response.status, code: errorOf(response)?.code }).toEqual({ status, code });
  expect(Object.keys(response.body as object)).toEqual(['error']);
  expect(typeof errorOf(response).message).toBe('string');
  expect(response.headers['content-type']).toMatch(/^application\/json/);
}
