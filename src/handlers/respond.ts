import { Err, Ok, type Result } from 'ts-results';
import { type AccountsError, accountsError } from '../domain/errors';
import type { Page, PageInput } from '../domain/pagination';
import { BASE_HEADERS } from './errors';
import type { ActionRequest, Outcome } from './types';

/** `{ data }` with a status: 200, or 201 for creations. */
export function dataResponse<T>(result: Result<T, AccountsError>, status = 200): Outcome {
  return result.ok ? Ok({ status, headers: { ...BASE_HEADERS }, body: { data: result.val } }) : result;
}

/** 200 with a page of a list: `{ data: [ … ], nextCursor }` (docs/http.md, "Pagination"). */
export function pageResponse<T>(result: Result<Page<T>, AccountsError>): Outcome {
  if (!result.ok) return result;
  const { data, nextCursor } = result.val;
  return Ok({ status: 200, headers: { ...BASE_HEADERS }, body: { data, nextCursor } });
}

/**
 * The `limit` and `cursor` query parameters of a list route, handed to the service as they came
 * (a repeated parameter as its array): the service decodes them, so a bad one is `VALIDATION_FAILED`
 * naming it. Other query parameters are ignored, as caches and proxies add their own.
 */
export function pageQuery(request: ActionRequest): PageInput {
  const input: Record<string, unknown> = {};
  for (const name of ['limit', 'cursor']) if (request.query[name] !== undefined) input[name] = request.query[name];
  return asInput<PageInput>(input);
}

/** 204 with no body. */
export function noContentResponse(result: Result<unknown, AccountsError>): Outcome {
  return result.ok ? Ok({ status: 204, headers: { 'cache-control': 'no-store' } }) : result;
}

/**
 * 202 `{ data: null }`: "accepted, maybe sent". The same answer whether or not anything was sent, so it
 * tells nothing about which addresses exist (docs/security-rules.md §4).
 */
export function acceptedResponse(result: Result<unknown, AccountsError>): Outcome {
  return result.ok ? Ok({ status: 202, headers: { ...BASE_HEADERS }, body: { data: null } }) : result;
}

/**
 * Hands the parsed JSON body to a service as its input type. Safe because every service decodes its
 * input with its io-ts codec before using it: wrong types, missing and unknown fields come back as
 * `VALIDATION_FAILED` naming each field. The static type only says what a good body looks like.
 */
export function asInput<T>(body: unknown): T {
  return body as T;
}

/**
 * The `:id` of a `/users/:id…` path, where `me` stands for the calling user. `me` without a user is
 * UNAUTHENTICATED (a client key alone is not anyone's "me").
 */
export function userIdParam(request: ActionRequest): Result<string, AccountsError> {
  const id = request.params.id ?? '';
  if (id !== 'me') return Ok(id);
  return request.caller.user ? Ok(request.caller.user.id) : Err(accountsError('UNAUTHENTICATED'));
}
