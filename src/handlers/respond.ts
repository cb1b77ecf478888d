import { Err, Ok, type Result } from 'ts-results';
import { type AccountsError, accountsError } from '../domain/errors';
import { BASE_HEADERS } from './errors';
import type { ActionRequest, Outcome } from './types';

/** `{ data }` with a status: 200, or 201 for creations. */
export function dataResponse<T>(result: Result<T, AccountsError>, status = 200): Outcome {
  return result.ok ? Ok({ status, headers: { ...BASE_HEADERS }, body: { data: result.val } }) : result;
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
