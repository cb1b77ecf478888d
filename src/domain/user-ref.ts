import { Ok, type Result } from 'ts-results';
import type { Caller } from './context';
import { type AccountsError, fail } from './errors';

/** The user id that stands for the calling user, in the services as in `/users/me…` paths. */
export const ME = 'me';

/**
 * A user id as the services take it: the id itself, or `'me'` for the calling user. `'me'` without a
 * user is UNAUTHENTICATED: a client key alone is not anyone's "me". Resolved here, once, so every
 * service and the HTTP routes answer it alike.
 */
export function resolveUserId(caller: Caller, userRef: string): Result<string, AccountsError> {
  if (userRef !== ME) return Ok(userRef);
  return caller.user ? Ok(caller.user.id) : fail('UNAUTHENTICATED');
}
