import { Err, Ok, type Result } from 'ts-results';
import { MAX_FIELD_PROBLEMS } from '../domain/codecs';
import { type AccountsError, accountsError } from '../domain/errors';
import { type HttpErrorCode, httpError } from './errors';
import { headerValue } from './request';
import type { HttpHeaders } from './types';

/** Default largest body accepted, in bytes (docs/http.md). */
export const DEFAULT_BODY_LIMIT_BYTES = 102_400;

type BodyError = { code: HttpErrorCode; message: string } | AccountsError;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Size of a raw body in bytes. */
export function bodyByteLength(body: string | Uint8Array | null | undefined): number {
  if (body === null || body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/**
 * Reads a raw body as JSON, the only format the handlers speak. An empty body is `{}`, so routes whose
 * fields are all optional need none, and a missing field is reported by name by the service's codec.
 * A non-empty body needs `Content-Type: application/json` (a `charset` other than UTF-8 is refused):
 * form posts and text bodies get 415 rather than being guessed at.
 */
export function parseJsonBody(
  body: string | Uint8Array | null | undefined,
  headers: HttpHeaders,
  limitBytes: number = DEFAULT_BODY_LIMIT_BYTES,
): Result<unknown, BodyError> {
  const size = bodyByteLength(body);
  if (size > limitBytes) return Err(httpError('PAYLOAD_TOO_LARGE'));
  if (size === 0 || body === null || body === undefined) return Ok({});
  if (!isJsonContentType(headerValue(headers, 'content-type'))) return Err(httpError('UNSUPPORTED_MEDIA_TYPE'));
  let text: string;
  try {
    text = typeof body === 'string' ? body : utf8.decode(body);
  } catch {
    return Err(httpError('INVALID_JSON'));
  }
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return Err(httpError('INVALID_JSON'));
  }
  const problem = bodyProblem(value, 0);
  if (problem !== null) {
    return Err(accountsError('VALIDATION_FAILED', { details: [{ path: '(body)', message: problem }] }));
  }
  return Ok(value);
}

/** `application/json`, optionally with `charset=utf-8`; media types are case-insensitive (RFC 9110 §8.3.1). */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=').map((part) => part.trim());
    if (name !== 'charset') return true;
    return ['utf-8', 'utf8', '"utf-8"'].includes(value);
  });
}

/**
 * Deeper bodies are refused (400 `VALIDATION_FAILED`): no route takes more than three levels, and
 * nothing downstream should have to walk thousands of nested arrays. (`JSON.parse` itself copes;
 * with a reviver it ran out of stack past about 2,700 levels.)
 */
export const MAX_JSON_DEPTH = 32;

/**
 * What is wrong with a parsed body as a whole, or null: nesting past `MAX_JSON_DEPTH` (looked at no
 * deeper than that, so the walk itself stays shallow), or a U+0000 in a key or string, which
 * PostgreSQL cannot store in text (it fails the whole query) and no field has a use for.
 */
function bodyProblem(value: unknown, depth: number): string | null {
  if (typeof value === 'string') return value.includes('\0') ? 'must not contain U+0000' : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return `must not nest deeper than ${MAX_JSON_DEPTH} levels`;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\0')) return 'must not contain U+0000';
    const problem = bodyProblem(item, depth + 1);
    if (problem !== null) return problem;
  }
  return null;
}

/**
 * For routes that take no input: an empty body or `{}` passes; anything else is refused like an
 * unknown field elsewhere, so a client that thinks it is sending options learns it is not.
 */
export function expectNoFields(body: unknown): Result<void, AccountsError> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return Err(accountsError('VALIDATION_FAILED', { details: [{ path: '(body)', message: 'must be empty' }] }));
  }
  const keys = Object.keys(body);
  if (keys.length === 0) return Ok(undefined);
  const details = keys.slice(0, MAX_FIELD_PROBLEMS).map((path) => ({ path, message: 'is not a known field' }));
  if (keys.length > MAX_FIELD_PROBLEMS) {
    details.push({ path: '(more)', message: `and ${keys.length - MAX_FIELD_PROBLEMS} more problems` });
  }
  return Err(accountsError('VALIDATION_FAILED', { details }));
}
