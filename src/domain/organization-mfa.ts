import { Ok, type Result } from 'ts-results';
import type { Organization } from '../ports/entities';
import type { Io } from '../ports/io';
import { isSystemCaller } from './authorization';
import type { Caller } from './context';
import { type AccountsError, fail } from './errors';
import { hasTwoFactor } from './two-factor';

/**
 * An organization that requires two-factor (`requireMfa`, set by its owners) lets a user act on it
 * only through a session that proved a second factor (docs/security-rules.md §4a): the account must
 * have a confirmed TOTP factor, and the session must have been opened by `POST /authn/mfa`, renewed
 * by a reauthentication with a second factor, or have confirmed the factor itself. Having turned
 * two-factor on is not enough: a session opened with the password alone before (perhaps a stolen
 * one) would otherwise count as two factors.
 *
 * System callers (sysadmins, system clients) and callers without a user (an organization's own
 * client key) are not asked: a key has no second factor to give, and system callers must be able
 * to help an organization whose owners lost theirs. Callers your own code builds without a session
 * (`sessionId: null`, the CLI) are asked for the confirmed factor only.
 */
export async function checkOrganizationMfa(
  io: Io,
  caller: Caller,
  organization: Pick<Organization, 'requireMfa'>,
): Promise<Result<void, AccountsError>> {
  if (!organization.requireMfa || !caller.user || isSystemCaller(caller)) return Ok(undefined);
  return hasTwoFactorSession(io, caller);
}

/** Whether the caller's user has two-factor on and their session proved it (see `checkOrganizationMfa`). */
export async function hasTwoFactorSession(io: Io, caller: Caller): Promise<Result<void, AccountsError>> {
  const user = caller.user;
  if (!user) return fail('MFA_REQUIRED_BY_ORGANIZATION');
  if (!(await hasTwoFactor(io, user.id))) return fail('MFA_REQUIRED_BY_ORGANIZATION');
  if (user.sessionId === null) return Ok(undefined);
  const session = await io.findSessionById(user.sessionId);
  if (session?.authMethod !== 'mfa') {
    return fail('MFA_REQUIRED_BY_ORGANIZATION', {
      message:
        'This organization requires two-factor authentication, and this session was opened without it: ' +
        'reauthenticate with your authenticator (POST /authn/reauthenticate with `totp`) or log in again.',
    });
  }
  return Ok(undefined);
}
