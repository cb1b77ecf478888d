import * as t from 'io-ts';
import type { Result } from 'ts-results';
import type { PageKey, PageRequest } from '../ports/io';
import { decode, struct } from './codecs';
import type { AccountsError } from './errors';

/**
 * Cursor pagination of list answers (docs/http.md, "Pagination"). The `Io` pages by key (see
 * `PageRequest`); this file owns what callers see of it: the `limit` and `cursor` inputs and the
 * cursor's encoding, which no adapter needs to know.
 */

/** The page size when the caller names none. */
export const DEFAULT_PAGE_LIMIT = 50;
/** The largest page a caller may ask for: the cost of one request stays bounded (docs/security-rules.md §7). */
export const MAX_PAGE_LIMIT = 200;

/** The version inside every cursor: a change of encoding can refuse old cursors instead of misreading them. */
const CURSOR_VERSION = 1;
/** Longer than any cursor this file writes (an id is at most 256 characters); refused before decoding. */
const MAX_CURSOR_LENGTH = 512;

/** One page of a list: its rows, and the cursor of the next page, or null on the last one. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * What a caller may pass to a list operation: `limit` (1 to `MAX_PAGE_LIMIT`, default
 * `DEFAULT_PAGE_LIMIT`; a decimal string too, as a query string carries it) and `cursor` (a previous
 * page's `nextCursor`, as it came).
 */
export interface PageInput {
  limit?: number | string;
  cursor?: string;
}

/** A cursor's bytes: base64url of a small JSON object (every list's cursor is one). */
export function encodeCursorPayload(payload: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * The JSON object inside a cursor, or null when it is not one: too long, bad base64url, bad JSON, not
 * an object. The caller checks the fields, and that re-encoding gives the cursor back (other base64 or
 * JSON spellings of the same value are not ours).
 */
export function decodeCursorPayload(cursor: string, maxLength: number): Record<string, unknown> | null {
  if (cursor.length === 0 || cursor.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  return parsed as Record<string, unknown>;
}

/** The cursor of the page that follows the row with this key: base64url of a small versioned JSON. */
export function encodeCursor(key: PageKey): string {
  return encodeCursorPayload({ v: CURSOR_VERSION, t: key.createdAt.getTime(), i: key.id });
}

/**
 * The key inside a cursor, or null for anything `encodeCursor` did not write: bad base64url, bad
 * JSON, another version, a missing or ill-typed field, an impossible date. A cursor is not signed:
 * one a caller forges only moves where a list they may read starts, which reveals nothing new.
 */
export function decodeCursor(cursor: string): PageKey | null {
  const parsed = decodeCursorPayload(cursor, MAX_CURSOR_LENGTH);
  if (parsed === null) return null;
  const { v, t: time, i: id, ...rest } = parsed;
  if (v !== CURSOR_VERSION || Object.keys(rest).length > 0) return null;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || Number.isNaN(new Date(time).getTime())) return null;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) return null;
  const key = { createdAt: new Date(time), id };
  return encodeCursor(key) === cursor ? key : null;
}

const PageLimit = new t.Type<number, number | string, unknown>(
  'PageLimit',
  (u): u is number => typeof u === 'number',
  (u, c) => {
    const value = typeof u === 'string' && /^[0-9]{1,4}$/.test(u) ? Number(u) : u;
    return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_PAGE_LIMIT
      ? t.success(value)
      : t.failure(u, c, `must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  },
  t.identity,
);

const PageCursor = new t.Type<PageKey, string, unknown>(
  'PageCursor',
  (u): u is PageKey => typeof u === 'object' && u !== null && 'createdAt' in u && 'id' in u,
  (u, c) => {
    const key = typeof u === 'string' ? decodeCursor(u) : null;
    return key ? t.success(key) : t.failure(u, c, 'must be a nextCursor of an earlier page of this list');
  },
  encodeCursor,
);

/** The codec of `PageInput`: an unknown field, a bad `limit` or a malformed cursor is `VALIDATION_FAILED` naming it. */
export const PageQuery = struct('PageQuery', {}, { limit: PageLimit, cursor: PageCursor });

/** Decodes a caller's `PageInput` into what the `Io` reads; `after` is absent for the first page. */
export function decodePageRequest(input: PageInput | undefined): Result<PageRequest, AccountsError> {
  return decode(PageQuery, input ?? {}).map(({ limit, cursor }) => {
    const request: PageRequest = { limit: limit ?? DEFAULT_PAGE_LIMIT };
    if (cursor) request.after = cursor;
    return request;
  });
}

/**
 * The page answered from the `limit + 1` rows an `Io` returned: the first `limit` shown through
 * `view`, and a cursor after the last of them only when the extra row proved that more follow.
 */
export function toPage<Row, T>(
  rows: readonly Row[],
  request: PageRequest,
  keyOf: (row: Row) => PageKey,
  view: (row: Row) => T,
): Page<T> {
  const shown = rows.slice(0, request.limit);
  const last = shown[shown.length - 1];
  const more = rows.length > request.limit && last !== undefined;
  return { data: shown.map(view), nextCursor: more ? encodeCursor(keyOf(last)) : null };
}

/** The key of a row with an id, as every paged list but login emails keys its rows. */
export const keyById = (row: { createdAt: Date; id: string }): PageKey => ({ createdAt: row.createdAt, id: row.id });

/** An empty last page. */
export function emptyPage<T>(): Page<T> {
  return { data: [], nextCursor: null };
}
