import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { FirstFactor } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import { CodeInput, decode, Opaque, struct } from './codecs';
import { addMs, type Deps } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents } from './event-log';
import { firstLimitPassed, forgive, loginSuccessLimit, perIpLimit, rateLimited } from './limits';
import { recordLoginFailure } from './login-events';
import {
  type Authentication,
  isUserActive,
  type LoginContext,
  type OpenedSession,
  openSession,
  type Tokens,
} from './session-opening';
import { checkSecondFactor, redeemSecondFactor, type SecondFactorProof, secondFactorGuessLimits } from './two-factor';

/** `POST /authn/mfa`: the challenge and either a TOTP code or a recovery code. */
export const MfaLoginInput = struct(
  'MfaLoginInput',
  { challenge: Opaque },
  { code: CodeInput, recoveryCode: CodeInput },
);
export type MfaLoginInput = t.TypeOf<typeof MfaLoginInput>;

/** What a proven first factor leads to: a session, or (two-factor on) a challenge for the second. */
export type LoginStep = { opened: OpenedSession } | { challenge: string };

/**
 * In the transaction of a login whose first factor was proven (the user's row locked first, as
 * `openSession` does): a session when the user has no confirmed TOTP factor; otherwise no session
 * but a single-use challenge (`mfaChallengeTtlMs`, `mfaChallengeMaxAttempts`) bound to the
 * credential version the first factor was checked against. Null when the user is gone, banned, or
 * their credentials changed since the check.
 */
export async function openSessionOrChallenge(
  tx: Io,
  lib: Lib,
  proof: Authentication & { method: FirstFactor },
  request: LoginContext,
): Promise<LoginStep | null> {
  const user = await tx.lockUser(proof.userId);
  if (!user || !isUserActive(user) || user.credentialVersion !== proof.credentialVersion) return null;
  const factor = await tx.findTotpFactor(user.id);
  if (factor === null || factor.confirmedAt === null) {
    const opened = await openSession(tx, lib, proof, request);
    return opened && { opened };
  }
  const challenge = lib.newSecret();
  const now = lib.now();
  // Under the user's lock: what this user's earlier logins left behind goes before a new row comes.
  await tx.deleteClosedMfaChallenges(user.id, now);
  await tx.insertMfaChallenge({
    tokenHash: lib.hashSecret(challenge),
    userId: user.id,
    firstFactor: proof.method,
    credentialVersion: proof.credentialVersion,
    attempts: 0,
    createdAt: now,
    expiresAt: addMs(now, lib.config.mfaChallengeTtlMs),
    consumedAt: null,
  });
  return { challenge };
}

/**
 * Completes a login that answered `MFA_REQUIRED` (docs/security-rules.md §4a): the challenge and a
 * TOTP code (the current 30-second step or one next to it, each step accepted once per user) or a
 * recovery code (once). Every comparison first takes one of the challenge's attempts atomically (the
 * 5th wrong one kills it) and counts against the per-IP and per-user limits; only then is the
 * factor compared. The challenge, the step or recovery code and the new session are written in one
 * transaction, or none of them: a replayed code changes nothing. The session is opened against the
 * credential version the first factor was checked against, so a password change meanwhile wins.
 */
export async function completeMfaLogin(
  deps: Deps,
  input: MfaLoginInput,
  request: LoginContext,
): Promise<Result<Tokens, AccountsError>> {
  const { io, lib } = deps;
  const decoded = decode(MfaLoginInput, input);
  if (decoded.err) return decoded;
  const { challenge: token, code, recoveryCode } = decoded.val;
  if ((code === undefined) === (recoveryCode === undefined)) {
    return fail('VALIDATION_FAILED', {
      details: [{ path: 'code', message: 'give either `code` (from the authenticator) or `recoveryCode`' }],
    });
  }
  const ipLimits = perIpLimit(
    lib.config,
    'mfa-challenge',
    request.ip,
    lib.config.mfaFailuresPerIp,
    lib.config.loginFailureWindowMs,
  );
  const limitedIp = await firstLimitPassed(deps, ipLimits);
  if (limitedIp) return limitedIp;
  const tokenHash = lib.hashSecret(token);
  const challenge = await io.findMfaChallenge(tokenHash);
  const now = lib.now();
  if (!challenge || challenge.consumedAt !== null || now >= challenge.expiresAt) {
    return failed(deps, 'invalid_mfa_challenge', request, 'INVALID_MFA_CHALLENGE');
  }
  // An unknown challenge was an IP's guess; a known one was found: its own limits take over.
  await forgive(deps, ipLimits);
  const { userId } = challenge;
  const limits = secondFactorGuessLimits(lib.config, userId, request.ip);
  const limited = await firstLimitPassed(deps, limits);
  if (limited) return limited;
  if (!(await io.reserveMfaChallengeAttempt(tokenHash, lib.config.mfaChallengeMaxAttempts, now))) {
    return failed(deps, 'invalid_mfa_challenge', request, 'INVALID_MFA_CHALLENGE');
  }
  const proof = await checkSecondFactor(io, lib, userId, { totp: code, recoveryCode });
  if (!proof) return failed(deps, 'invalid_mfa_code', request, 'INVALID_MFA_CODE');
  // The login's success is counted here, not when the first factor earned the challenge.
  const tooMany = await rateLimited(deps, loginSuccessLimit(lib.config, userId));
  if (tooMany) return tooMany;

  const authentication: Authentication = {
    userId,
    method: 'mfa',
    credentialVersion: challenge.credentialVersion,
  };
  const opened = await inTransactionWithEvents(deps, actorOf(undefined, request), async (tx) =>
    openAfterSecondFactor(tx, lib, tokenHash, proof, authentication, request),
  );
  if (opened.err) {
    const reason = opened.val.code === 'INVALID_MFA_CODE' ? 'invalid_mfa_code' : 'invalid_mfa_challenge';
    return failed(deps, reason, request, opened.val.code);
  }
  await forgive(deps, limits);
  return Ok(opened.val.tokens);
}

/** The one transaction of a right second factor: consume the challenge, use the factor, open the session. */
async function openAfterSecondFactor(
  tx: Io,
  lib: Lib,
  tokenHash: string,
  proof: SecondFactorProof,
  authentication: Authentication,
  request: LoginContext,
): Promise<Result<OpenedSession, AccountsError>> {
  await tx.lockUser(authentication.userId);
  if (!(await tx.consumeMfaChallenge(tokenHash, lib.now()))) return fail('INVALID_MFA_CHALLENGE');
  if (!(await redeemSecondFactor(tx, lib, authentication.userId, proof))) return fail('INVALID_MFA_CODE');
  const opened = await openSession(tx, lib, authentication, request);
  return opened ? Ok(opened) : fail('INVALID_MFA_CHALLENGE');
}

async function failed(
  deps: Deps,
  reason: 'invalid_mfa_code' | 'invalid_mfa_challenge',
  request: LoginContext,
  code: AccountsError['code'],
): Promise<Result<never, AccountsError>> {
  await recordLoginFailure(deps, { method: 'mfa', reason, email: null }, request);
  return fail(code);
}
