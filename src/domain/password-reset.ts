import type * as t from 'io-ts';
import { Err, Ok, type Result } from 'ts-results';
import { proveAddress } from './address-proof';
import { deliverAfterAnswer } from './code-delivery';
import { CodeInput, decode, Email, LoginState, PasswordInput, struct } from './codecs';
import { codeGuessLimits, codeRequestLimits, prepareCode, redeemCode, withinSendLimit } from './codes';
import { type Deps, NO_REQUEST_INFO, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, recordEvent } from './event-log';
import { firstLimitPassed, forgive, perIdentifierAndIpLimit } from './limits';
import { newPasswordRefusal } from './password-policy';
import { changeCredentials, isUserActive } from './session-opening';
import {
  checkSecondFactor,
  hasTwoFactor,
  redeemSecondFactor,
  type SecondFactorProof,
  secondFactorGuessLimits,
} from './two-factor';

/**
 * `state` (optional, 16–128 printable ASCII characters, as for login codes): the code is bound to it,
 * valid only together with it, and no other request voids it, so nobody can spoil the owner's code
 * by asking for codes of their own. Without one, the next stateless request voids it.
 */
export const PasswordResetRequestInput = struct('PasswordResetRequestInput', { email: Email }, { state: LoginState });
export type PasswordResetRequestInput = t.TypeOf<typeof PasswordResetRequestInput>;

/** `totp` or `recoveryCode`: the second factor a user with two-factor on must give with the code. */
export const PasswordResetInput = struct(
  'PasswordResetInput',
  { email: Email, code: CodeInput, newPassword: PasswordInput },
  { state: LoginState, totp: CodeInput, recoveryCode: CodeInput },
);
export type PasswordResetInput = t.TypeOf<typeof PasswordResetInput>;

type ResetOutcome = Result<
  { outcome: 'reset'; userId: string } | { outcome: 'released'; userId: string },
  AccountsError
>;

/**
 * Password reset by an emailed code (docs/security-rules.md §4, §8): for the user who forgot their
 * password. The code proves control of the address, so a reset is an address proof like a code
 * login (`proveAddress`, pre-hijacking): it never hands an account proven by another address to
 * whoever holds an address someone added to it, and on an account with no proven address it removes
 * what unproven claimants set up. Every session of the user is revoked.
 */
export class PasswordResetService {
  constructor(private readonly deps: Deps) {}

  /**
   * Sends a `password-reset` code to a known address. Answers the same (accepted) whatever the
   * address, after the same work, exactly like a login-code request: a code is stored for any
   * address, the address is looked up and the email sent only after the answer, requests are
   * limited per IP and sends per (address, IP) and per address.
   */
  async request(
    input: PasswordResetRequestInput,
    request: RequestInfo = NO_REQUEST_INFO,
  ): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(PasswordResetRequestInput, input);
    if (decoded.err) return decoded;
    const { email, state } = decoded.val;
    const limited = await firstLimitPassed(this.deps, codeRequestLimits(lib.config, request.ip));
    if (limited) return limited;
    if (!(await withinSendLimit(this.deps, email, request.ip))) return Ok(undefined);
    const codeRequest = {
      purpose: 'password-reset' as const,
      address: email,
      ...(state === undefined ? {} : { state }),
    };
    const message = await io.transaction((tx) => prepareCode(tx, lib, codeRequest));
    await deliverAfterAnswer(this.deps, async () => {
      const found = await io.findUserByEmail(email);
      return found && isUserActive(found.user) ? [message] : [];
    });
    return Ok(undefined);
  }

  /**
   * Sets a new password with the code sent to `email`. The code is compared first (one lookup, one
   * attempt); only a right code leads to the password policy and the bcrypt hash, outside any
   * transaction, so a wrong code answers alike for every address. A refused new password leaves the
   * code usable for another try (its attempts still count). Wrong codes are limited per
   * (address, IP), below the code's own attempts so guesses from one place cannot kill the owner's
   * code, and per IP.
   */
  async reset(input: PasswordResetInput, request: RequestInfo = NO_REQUEST_INFO): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(PasswordResetInput, input);
    if (decoded.err) return decoded;
    const { email: address, code, newPassword, state, totp, recoveryCode } = decoded.val;
    if (totp !== undefined && recoveryCode !== undefined) {
      return fail('VALIDATION_FAILED', {
        details: [{ path: 'recoveryCode', message: 'give `totp` or `recoveryCode`' }],
      });
    }
    const { config } = lib;
    const limits = [
      ...perIdentifierAndIpLimit(
        config,
        'reset-guess',
        address,
        request.ip,
        config.codeFailuresPerAddressAndIp,
        config.loginFailureWindowMs,
        'reset',
      ),
      ...codeGuessLimits(config, request.ip),
    ];
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) return limited;

    let passwordHash: string | null = null;
    let secondFactor: SecondFactorProof | null = null;
    const redeemed = await redeemCodeUnlessSecondFactorUsed<ResetOutcome>(
      this.deps,
      actorOf(undefined, request),
      // The code of this state, or (none given) the newest stateless one: never one bound to a state
      // the request does not know, so guesses without it cannot spend the owner's attempts.
      { purpose: 'password-reset', address, state: state ?? null },
      code,
      async (tx, _code, ownerId): Promise<ResetOutcome> => {
        const user = ownerId === null ? null : await tx.lockUser(ownerId);
        if (!user || user.deletedAt || passwordHash === null) return fail('INVALID_CODE');
        if (user.bannedAt) return fail('ACCOUNT_DISABLED');
        // Lost to a concurrent use of the same TOTP step or recovery code: roll the code's consumption back.
        if (secondFactor && !(await redeemSecondFactor(tx, lib, user.id, secondFactor))) throw new SecondFactorUsed();
        const proof = await proveAddress(lib, tx, user, address, { passwordHash });
        if (!proof) return fail('INVALID_CODE');
        const now = lib.now();
        const userId = user.id;
        // Committed all the same: the release is what a proven code on such an account grants.
        if (proof.outcome === 'released') return Ok({ outcome: 'released' as const, userId });
        // A claim replaced the credentials already; otherwise the new password ends every session.
        if (!proof.claimed) await changeCredentials(tx, user, now, { passwordHash });
        recordEvent(tx, { type: 'password.reset', at: now, userId, address });
        recordEvent(tx, { type: 'session.revoked', at: now, userId, sessionId: null, reason: 'password_reset' });
        return Ok({ outcome: 'reset' as const, userId });
      },
      async (ownerId) => {
        // The code matched: its guess is given back, so a right code refused for a weak password
        // does not use up the owner's own budget (the code's attempts still count).
        await forgive(this.deps, limits);
        const user = ownerId === null ? null : await io.findUserById(ownerId);
        if (!user || user.deletedAt) return fail('INVALID_CODE');
        if (user.bannedAt) return fail('ACCOUNT_DISABLED');
        const refusal = await newPasswordRefusal(io, lib, user, 'newPassword', newPassword);
        if (refusal) return Err(refusal);
        // Two-factor on: the emailed code alone does not reset the password (the code stays usable).
        if (await hasTwoFactor(io, user.id)) {
          if (totp === undefined && recoveryCode === undefined) return fail('MFA_CODE_REQUIRED');
          const limited = await firstLimitPassed(this.deps, secondFactorGuessLimits(config, user.id, request.ip));
          if (limited) return limited;
          secondFactor = await checkSecondFactor(io, lib, user.id, { totp, recoveryCode });
          if (!secondFactor) return fail('INVALID_MFA_CODE');
        }
        // Hashed before the transaction that consumes the code (docs/security-rules.md §8).
        passwordHash = await lib.hashPassword(newPassword);
        return null;
      },
    );
    if (!redeemed) return fail('INVALID_CODE');
    const outcome = redeemed.value;
    if (outcome.ok && secondFactor) {
      // A right second factor gives its guess back, as a login's does.
      await forgive(this.deps, secondFactorGuessLimits(config, outcome.val.userId, request.ip));
    }
    if (outcome.err) return outcome;
    if (outcome.val.outcome === 'released') return fail('ADDRESS_RELEASED');
    return Ok(undefined);
  }
}

/** Thrown in the consuming transaction when the second factor was used meanwhile: rolls it back. */
class SecondFactorUsed extends Error {}

/** `redeemCode`, answering `INVALID_MFA_CODE` (and consuming nothing) when the second factor lost a race. */
async function redeemCodeUnlessSecondFactorUsed<T>(
  ...args: Parameters<typeof redeemCode<T>>
): Promise<{ value: T | Err<AccountsError> } | null> {
  try {
    return await redeemCode<T>(...args);
  } catch (error) {
    if (error instanceof SecondFactorUsed) return { value: fail('INVALID_MFA_CODE') };
    throw error;
  }
}
