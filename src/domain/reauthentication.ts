import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { AuthMethod, LoginEmail } from '../ports/entities';
import { CodeInput, decode, LoginState, PasswordInput, struct } from './codecs';
import { codeGuessLimits, redeemCode } from './codes';
import type { Caller, Deps, RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent } from './event-log';
import { firstLimitPassed, forgive, passwordGuessLimits } from './limits';
import { sessionHolds } from './session-opening';
import {
  checkSecondFactor,
  hasTwoFactor,
  redeemSecondFactor,
  type SecondFactorProof,
  secondFactorGuessLimits,
} from './two-factor';

/**
 * How the user proves themself again: their password, or a login code requested for one of their
 * verified addresses (`POST /authn/email` with a fresh `state`) with that state. A user with
 * two-factor on gives a second factor (`totp` or `recoveryCode`) with either, or one alone (it is
 * the stronger proof: the device, as GitHub's sudo mode takes it).
 */
export const ReauthenticateInput = struct(
  'ReauthenticateInput',
  {},
  { password: PasswordInput, code: CodeInput, state: LoginState, totp: CodeInput, recoveryCode: CodeInput },
);
export type ReauthenticateInput = t.TypeOf<typeof ReauthenticateInput>;

/** A new access token of the same session, carrying the new `auth_time` and method. */
export interface AccessTokenGrant {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  sessionId: string;
}

/**
 * Step-up (docs/security-rules.md §3): the caller's session proves its user again, and its
 * `authenticatedAt` (the token's `auth_time`) moves to now, so the sensitive actions that need a
 * recent login (`requireRecentAuthentication`) are open again for `reauthenticationMaxAgeMs`. No new
 * session and no new refresh token: the session's refresh-token chain stays the one it was.
 *
 * Password checks count against the same limits as password logins (per account and IP, per account,
 * per IP); code checks against the per-IP code-guess limit, and the code must have been sent to a
 * verified address of the caller: a code for an address someone merely added proves nothing.
 */
export async function reauthenticate(
  deps: Deps,
  caller: Caller,
  input: ReauthenticateInput,
  request: RequestInfo,
): Promise<Result<AccessTokenGrant, AccountsError>> {
  const { io, lib } = deps;
  const userId = caller.user?.id;
  const sessionId = caller.user?.sessionId ?? null;
  if (userId === undefined || sessionId === null) return fail('UNAUTHENTICATED');
  const decoded = decode(ReauthenticateInput, input);
  if (decoded.err) return decoded;
  const { password, code, state, totp, recoveryCode } = decoded.val;
  const byPassword = password !== undefined;
  const bySecondFactor = totp !== undefined || recoveryCode !== undefined;
  const firstFactors = Number(byPassword) + Number(code !== undefined);
  if (
    firstFactors > 1 ||
    (firstFactors === 0 && !bySecondFactor) ||
    (code === undefined) !== (state === undefined) ||
    (totp !== undefined && recoveryCode !== undefined)
  ) {
    return fail('VALIDATION_FAILED', {
      details: [
        {
          path: byPassword ? 'code' : 'password',
          message: 'give `password`, or `code` with `state`, and/or one of `totp` and `recoveryCode`',
        },
      ],
    });
  }
  // Decided before any check, so a refused request uses up no login code and counts no guess.
  const twoFactorOn = await hasTwoFactor(io, userId);
  if (twoFactorOn && !bySecondFactor) return fail('MFA_CODE_REQUIRED');
  if (!twoFactorOn && bySecondFactor) return fail('MFA_NOT_ENABLED');
  let secondFactor: SecondFactorProof | null = null;
  if (bySecondFactor) {
    const limits = secondFactorGuessLimits(lib.config, userId, request.ip);
    const limited = await firstLimitPassed(deps, limits);
    if (limited) return limited;
    secondFactor = await checkSecondFactor(io, lib, userId, { totp, recoveryCode });
    if (!secondFactor) return fail('INVALID_MFA_CODE');
  }

  let method: AuthMethod;
  if (firstFactors === 0) {
    method = 'mfa';
  } else if (password !== undefined) {
    const proven = await provePassword(deps, userId, password, request);
    if (proven.err) return proven;
    method = 'password';
  } else {
    const proven = await proveCode(deps, userId, code!, state!, request);
    if (proven.err) return proven;
    method = 'code';
  }

  const now = lib.now();
  const renewed = await inTransactionWithEvents(deps, actorOf(caller, request), async (tx) => {
    const current = await tx.lockUserWithSession(userId, sessionId);
    if (!current || !sessionHolds(current.session, current.user, now)) return fail('INVALID_TOKEN');
    if (secondFactor && !(await redeemSecondFactor(tx, lib, userId, secondFactor))) return fail('INVALID_MFA_CODE');
    const proven: AuthMethod = secondFactor ? 'mfa' : method;
    await tx.setSessionAuthentication(sessionId, proven, now);
    recordEvent(tx, { type: 'session.reauthenticated', at: now, userId, sessionId, method: proven });
    return Ok(current);
  });
  if (renewed.err) return renewed;
  if (secondFactor) {
    method = 'mfa';
    await forgive(deps, secondFactorGuessLimits(lib.config, userId, request.ip));
  }
  const { user, session } = renewed.val;
  const accessToken = await lib.signAccessToken({
    userId,
    sessionId,
    roles: user.roles,
    clientId: session.clientId,
    authMethod: method,
    authenticatedAt: now,
  });
  return Ok({
    accessToken,
    tokenType: 'Bearer',
    expiresIn: Math.floor(lib.config.accessTokenTtlMs / 1000),
    sessionId,
  });
}

async function provePassword(
  deps: Deps,
  userId: string,
  password: string,
  request: RequestInfo,
): Promise<Result<void, AccountsError>> {
  const { io, lib } = deps;
  const limits = passwordGuessLimits(lib.config, `user:${userId}`, request.ip);
  const limited = await firstLimitPassed(deps, limits);
  if (limited) return limited;
  const user = await io.findUserById(userId);
  // A passwordless user gets the same work and the same answer as a wrong password.
  const hash = user?.passwordHash ?? (await lib.dummyPasswordHash());
  if (!(await lib.verifyPassword(password, hash)) || !user?.passwordHash) return fail('INVALID_CURRENT_PASSWORD');
  await forgive(deps, limits);
  return Ok(undefined);
}

async function proveCode(
  deps: Deps,
  userId: string,
  code: string,
  state: string,
  request: RequestInfo,
): Promise<Result<void, AccountsError>> {
  const { io, lib } = deps;
  const limits = codeGuessLimits(lib.config, request.ip);
  const limited = await firstLimitPassed(deps, limits);
  if (limited) return limited;
  const redeemed = await redeemCode(
    deps,
    actorOf(undefined, request),
    { purpose: 'login', state },
    code,
    // In the consuming transaction, the user locked: the address may have changed hands meanwhile.
    async (tx, loginCode, ownerId) => provesUser(await tx.findLoginEmail(loginCode.address), ownerId, userId),
    // Before the code is consumed: someone else's code, or one of an address the caller has not
    // proven, is refused without using it up (a refused request changes nothing).
    async (ownerId, matched) => (provesUser(await io.findLoginEmail(matched.address), ownerId, userId) ? null : false),
  );
  if (!redeemed?.value) return fail('INVALID_CODE');
  await forgive(deps, limits);
  return Ok(undefined);
}

/** Whether a login code's address is a verified address of the user reauthenticating. */
function provesUser(email: LoginEmail | null, ownerId: string | null, userId: string): boolean {
  return ownerId === userId && email !== null && email.userId === userId && email.verifiedAt !== null;
}
