import { Ok, type Result } from 'ts-results';
import type { Caller, Deps } from './context';
import { type AccountsError, fail } from './errors';
import { hasTwoFactor } from './two-factor-status';

/**
 * Step-up (docs/security-rules.md §3): sensitive actions need a session whose user proved themself
 * recently, not merely one that is still alive, so a stolen or forgotten-open session cannot turn
 * into a takeover (a new password, a new login address, a deleted account, a new client key). The
 * age is read from the session row, not from the token's `auth_time`, so a reauthentication counts at
 * once and a token cannot claim a fresher login than its session had.
 *
 * Applies to callers that speak for a session (every caller built by `sessions.authenticate`);
 * sysadmins acting on others included. Callers without one are exempt: a system client (a key has no
 * login to repeat) and in-process callers your own code builds with `sessionId: null` (the CLI).
 */
export async function requireRecentAuthentication(deps: Deps, caller: Caller): Promise<Result<void, AccountsError>> {
  const sessionId = caller.user?.sessionId ?? null;
  if (sessionId === null || !caller.user) return Ok(undefined);
  const session = await deps.io.findSessionById(sessionId);
  const age =
    session === null ? Number.POSITIVE_INFINITY : deps.lib.now().getTime() - session.authenticatedAt.getTime();
  if (session === null || age > deps.lib.config.reauthenticationMaxAgeMs) return fail('REAUTHENTICATION_REQUIRED');
  // Once the user has two-factor on, a session that never proved it (opened by password before the
  // factor was enrolled: perhaps a stolen one) must not manage the account as if it had: it would
  // replace the recovery codes or disable the factor and make itself the owner's second factor.
  if (session.authMethod !== 'mfa' && (await hasTwoFactor(deps.io, caller.user.id))) {
    return fail('REAUTHENTICATION_REQUIRED', {
      message: 'Two-factor authentication is on and this session was opened without it: reauthenticate with it.',
    });
  }
  return Ok(undefined);
}
