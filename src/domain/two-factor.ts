import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { RecoveryCode, User } from '../ports/entities';
import type { Io } from '../ports/io';
import type { AccountsConfig, Lib, TotpEnrolment } from '../ports/lib';
import { checkSelfOrSystem, hiddenFrom, isSelf } from './authorization';
import { CodeInput, decode, struct } from './codecs';
import { type Caller, type Deps, inTransaction, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent, transactWithEvents } from './event-log';
import { firstLimitPassed, forgive, type Limit, perIdentifierAndIpLimit, perIpLimit } from './limits';
import { isUserActive } from './session-opening';
import { requireRecentAuthentication } from './step-up';
import { hasTwoFactor } from './two-factor-status';
import { resolveUserId } from './user-ref';

export { hasTwoFactor };

/** How many recovery codes a user holds: each is single use. */
export const RECOVERY_CODE_COUNT = 10;

export const ConfirmTotpInput = struct('ConfirmTotpInput', { code: CodeInput });
export type ConfirmTotpInput = t.TypeOf<typeof ConfirmTotpInput>;

/** The recovery codes, shown once: at confirmation and at each replacement. */
export interface RecoveryCodes {
  recoveryCodes: string[];
}

/** A second factor as a request gives it: a TOTP code, or one of the recovery codes. */
export interface SecondFactorInput {
  totp?: string;
  recoveryCode?: string;
}

/**
 * A second factor checked against what is stored, not yet redeemed: the TOTP step it matched, or the
 * hash of a recovery code. `redeemSecondFactor` uses it up atomically, in the caller's transaction.
 */
export type SecondFactorProof = { kind: 'totp'; step: number } | { kind: 'recovery'; codeHash: string };

/**
 * The limits a second-factor check counts against (docs/security-rules.md §4a), tightest first: wrong
 * codes per (user, IP), a higher ceiling per user from anywhere, and per IP. They count over all the
 * user's challenges, so a new challenge (a new password login) buys no new guesses; and, as for
 * passwords, one place stuck at its tight limit adds nothing to the user's ceiling, so a guesser who
 * holds the password cannot lock the owner out of their second factor. Counted before the
 * comparison and given back when it is right.
 */
export function secondFactorGuessLimits(config: AccountsConfig, userId: string, ip: string | null): Limit[] {
  const windowMs = config.loginFailureWindowMs;
  return [
    ...perIdentifierAndIpLimit(config, 'mfa-guess', `user:${userId}`, ip, config.mfaFailuresPerUserAndIp, windowMs),
    { key: `mfa-guess:user:${userId}`, limit: config.mfaFailuresPerUser, windowMs },
    ...perIpLimit(config, 'mfa-guess', ip, config.mfaFailuresPerIp, windowMs),
  ];
}

/**
 * Checks a second factor of a user with two-factor on, outside any transaction (decrypting the
 * secret and computing codes is work no lock should wait for): a TOTP code of the current step or
 * one next to it, or one of the user's recovery codes. Null when it matches nothing. A match is not
 * yet a success: `redeemSecondFactor` refuses a step already used and a recovery code already used.
 */
export async function checkSecondFactor(
  io: Io,
  lib: Lib,
  userId: string,
  input: SecondFactorInput,
): Promise<SecondFactorProof | null> {
  if (input.recoveryCode !== undefined) {
    return { kind: 'recovery', codeHash: lib.hashCode(userId, normalizeRecoveryCode(input.recoveryCode)) };
  }
  if (input.totp === undefined) return null;
  const factor = await io.findTotpFactor(userId);
  if (!factor || factor.confirmedAt === null) return null;
  const secret = lib.openSecret(factor.sealedSecret, userId);
  if (secret === null) return null;
  const step = lib.totpCodeStep(secret, input.totp.trim(), lib.now());
  return step === null ? null : { kind: 'totp', step };
}

/**
 * Uses up a checked second factor, atomically, in the caller's transaction: a TOTP step only if it
 * is later than the last one accepted (so a code is never accepted twice, nor an adjacent earlier
 * one after it), a recovery code only if unused. False when another request used it first.
 */
export async function redeemSecondFactor(tx: Io, lib: Lib, userId: string, proof: SecondFactorProof): Promise<boolean> {
  if (proof.kind === 'totp') return tx.acceptTotpStep(userId, proof.step);
  if (!(await tx.useRecoveryCode(userId, proof.codeHash, lib.now()))) return false;
  // A used recovery code is worth an event (someone lost their device, or stole the codes).
  const remaining = await tx.countUnusedRecoveryCodes(userId);
  recordEvent(tx, { type: 'mfa.recovery_code_used', at: lib.now(), userId, remaining });
  return true;
}

/** Recovery codes are compared lower-case, without the spaces and dashes people type between groups. */
function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/**
 * Two-factor authentication by TOTP (RFC 6238) with recovery codes (docs/security-rules.md §4a):
 * enrolment, confirmation, disabling and new recovery codes. The login side is in `mfa-login.ts`.
 * The secret is stored sealed (`Lib.sealSecret`), recovery codes as keyed hashes; both are shown
 * once, never again, and never go into events.
 */
export class TwoFactorService {
  constructor(private readonly deps: Deps) {}

  /**
   * Starts an enrolment for the caller themself (nobody else can scan their authenticator's QR
   * code), after a recent login (step-up): a new secret, stored sealed and pending, replacing a
   * pending one. The answer is the only time the secret and its URI are shown. Refused while a
   * confirmed factor is on: it must be disabled first, with step-up too.
   */
  async beginTotpEnrolment(caller: Caller, userRef: string): Promise<Result<TotpEnrolment, AccountsError>> {
    const { io, lib } = this.deps;
    const own = await this.ownAccount(caller, userRef);
    if (own.err) return own;
    const user = own.val;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    if (await hasTwoFactor(io, user.id)) return fail('MFA_ALREADY_ENABLED');
    const emails = await io.listLoginEmails(user.id);
    const verified = emails.find((email) => email.verifiedAt !== null);
    // An account no address of which was proven can be claimed by whoever proves one (pre-hijacking),
    // and a claim removes what was set up before: a factor enrolled then would be a promise the next
    // code login breaks. Verify an address first.
    if (!verified) {
      return fail('EMAIL_NOT_VERIFIED', {
        message: 'Verify a login email before turning two-factor authentication on.',
      });
    }
    const account = verified.address;
    const enrolment = await lib.newTotpEnrolment(account);
    const sealedSecret = lib.sealSecret(enrolment.secret, user.id);
    const stored = await inTransaction(io, async (tx) => {
      await tx.lockUser(user.id);
      // Under the lock: a confirmation that won meanwhile is not overwritten by a pending factor.
      const current = await tx.findTotpFactor(user.id);
      if (current?.confirmedAt) return fail('MFA_ALREADY_ENABLED');
      await tx.putTotpFactor({
        userId: user.id,
        sealedSecret,
        createdAt: lib.now(),
        confirmedAt: null,
        lastUsedStep: null,
      });
      return Ok(undefined);
    });
    if (stored.err) return stored;
    return Ok(enrolment);
  }

  /**
   * Turns two-factor on with a right current code of the pending secret, and returns the 10
   * recovery codes, once. The confirming code's step counts as used, so it cannot also log in.
   * Wrong codes count against the second-factor limits.
   */
  async confirmTotp(
    caller: Caller,
    userRef: string,
    input: ConfirmTotpInput,
    request: RequestInfo,
  ): Promise<Result<RecoveryCodes, AccountsError>> {
    const { io, lib } = this.deps;
    const own = await this.ownAccount(caller, userRef);
    if (own.err) return own;
    const userId = own.val.id;
    const decoded = decode(ConfirmTotpInput, input);
    if (decoded.err) return decoded;
    const factor = await io.findTotpFactor(userId);
    if (!factor) return fail('MFA_NOT_ENABLED');
    if (factor.confirmedAt !== null) return fail('MFA_ALREADY_ENABLED');
    const limits = secondFactorGuessLimits(lib.config, userId, request.ip);
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) return limited;
    const secret = lib.openSecret(factor.sealedSecret, userId);
    const step = secret === null ? null : lib.totpCodeStep(secret, decoded.val.code, lib.now());
    if (step === null) return fail('INVALID_MFA_CODE');
    const { codes, rows } = this.newRecoveryCodes(userId);
    const confirmed = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.lockUser(userId);
      if (!(await tx.confirmTotpFactor(userId, factor.sealedSecret, step, lib.now()))) return fail('INVALID_MFA_CODE');
      recordEvent(tx, { type: 'mfa.enabled', at: lib.now(), userId });
      await tx.replaceRecoveryCodes(userId, rows);
      // The session that confirms has just proven both factors (step-up before the enrolment, the
      // code now): it counts as a two-factor session, as one opened by POST /authn/mfa would.
      const sessionId = caller.user?.sessionId ?? null;
      if (sessionId !== null) await tx.setSessionAuthentication(sessionId, 'mfa', lib.now());
      return Ok(undefined);
    });
    if (confirmed.err) return confirmed;
    await forgive(this.deps, limits);
    return Ok({ recoveryCodes: codes });
  }

  /**
   * Turns two-factor off (the factor, pending or confirmed, and every recovery code go): for the
   * user and for system callers (a sysadmin helping someone who lost their device), after a recent
   * login of the caller's session (step-up).
   */
  async disableTotp(caller: Caller, userRef: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const user = await io.findUserById(userId);
    if (!user || user.deletedAt) return fail('NOT_FOUND');
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const removed = await transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.lockUser(userId);
      const deleted = await tx.deleteTwoFactor(userId);
      if (deleted) recordEvent(tx, { type: 'mfa.disabled', at: lib.now(), userId, reason: 'disabled' });
      return deleted;
    });
    if (!removed) return fail('MFA_NOT_ENABLED');
    return Ok(undefined);
  }

  /** Replaces the caller's recovery codes with 10 new ones (the old ones stop working), after step-up. */
  async replaceRecoveryCodes(caller: Caller, userRef: string): Promise<Result<RecoveryCodes, AccountsError>> {
    const { lib } = this.deps;
    const own = await this.ownAccount(caller, userRef);
    if (own.err) return own;
    const userId = own.val.id;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    const { codes, rows } = this.newRecoveryCodes(userId);
    const replaced = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.lockUser(userId);
      if (!(await hasTwoFactor(tx, userId))) return fail('MFA_NOT_ENABLED');
      await tx.replaceRecoveryCodes(userId, rows);
      recordEvent(tx, { type: 'mfa.recovery_codes_replaced', at: lib.now(), userId });
      return Ok(undefined);
    });
    if (replaced.err) return replaced;
    return Ok({ recoveryCodes: codes });
  }

  /** Whether two-factor is on for a user (what `GET /users/:id` shows). */
  async status(userId: string): Promise<{ totp: boolean }> {
    return { totp: await hasTwoFactor(this.deps.io, userId) };
  }

  /** The caller's own live, unbanned account: a factor is enrolled and its codes seen by its user alone. */
  private async ownAccount(caller: Caller, userRef: string): Promise<Result<User, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    if (!isSelf(caller, target.val)) return hiddenFrom(caller);
    const user = await this.deps.io.findUserById(target.val);
    if (!user || !isUserActive(user)) return fail('NOT_FOUND');
    return Ok(user);
  }

  /** Ten new codes and their rows (keyed hashes), made before any transaction. */
  private newRecoveryCodes(userId: string): { codes: string[]; rows: RecoveryCode[] } {
    const { lib } = this.deps;
    const now = lib.now();
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => lib.newRecoveryCode());
    const rows = codes.map((code) => ({
      userId,
      codeHash: lib.hashCode(userId, normalizeRecoveryCode(code)),
      createdAt: now,
      usedAt: null,
    }));
    return { codes, rows };
  }
}
