import * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { PublicSession } from '../ports/entities';
import type { LoginFailureReason } from '../ports/events';
import type { AccessTokenClaims } from '../ports/lib';
import { canReadEverything, checkSelfOrSystem, hiddenFrom, isSelf, isSystemCaller } from './authorization';
import { deliverAfterAnswer } from './code-delivery';
import { type CodeLoginGrant, grantCodeLogin } from './code-login';
import { CodeInput, decode, Email, LoginState, Opaque, PasswordInput, struct } from './codecs';
import { codeGuessLimits, codeRequestLimits, prepareCode, redeemCode, withinSendLimit } from './codes';
import { addMs, type Caller, type CallerUser, type Deps, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent, transactWithEvents } from './event-log';
import { firstLimitPassed, forgive, loginSuccessLimit, passwordGuessLimits, rateLimited } from './limits';
import { recordLoginFailure } from './login-events';
import { completeMfaLogin, type MfaLoginInput, openSessionOrChallenge } from './mfa-login';
import { decodePageRequest, keyById, type Page, type PageInput, toPage } from './pagination';
import { type AccessTokenGrant, type ReauthenticateInput, reauthenticate } from './reauthentication';
import {
  changeCredentials,
  isUserActive,
  type LoginContext,
  minDate,
  recordSessionRevoked,
  sessionHolds,
  type Tokens,
  tokensFor,
  toPublicSession,
} from './session-opening';
import { resolveUserId } from './user-ref';

export { isSessionLive, type LoginContext, type Tokens, toPublicSession } from './session-opening';

export const PasswordLoginInput = struct('PasswordLoginInput', { email: Email, password: PasswordInput });
export type PasswordLoginInput = t.TypeOf<typeof PasswordLoginInput>;

export const LoginCodeRequestInput = struct('LoginCodeRequestInput', { email: Email, state: LoginState });
export type LoginCodeRequestInput = t.TypeOf<typeof LoginCodeRequestInput>;

export const CodeLoginInput = struct('CodeLoginInput', { code: CodeInput, state: LoginState });
export type CodeLoginInput = t.TypeOf<typeof CodeLoginInput>;

export const RefreshInput = struct('RefreshInput', { refreshToken: Opaque });
export type RefreshInput = t.TypeOf<typeof RefreshInput>;

export const LogoutInput = struct('LogoutInput', {}, { all: t.boolean });
export type LogoutInput = t.TypeOf<typeof LogoutInput>;

/**
 * Logins, token refresh, logout and access-token validation (docs/security-rules.md §3, §4, §7). A `userId` argument
 * may be `'me'`, the calling user (`resolveUserId`).
 */
export class SessionService {
  constructor(private readonly deps: Deps) {}

  /**
   * Password login. An unknown address, a passwordless user and a wrong password get the same
   * `INVALID_CREDENTIALS` after the same bcrypt work (a dummy hash), so neither the answer nor its
   * timing tells which addresses have accounts. Failures are limited per (account, IP), per account
   * and per IP (`passwordGuessLimits`); every attempt is counted before the password is checked, so
   * parallel guesses cannot pass a limit. The session is opened only if the user's credentials are
   * still those the password was checked against (`openSession`).
   */
  async loginWithPassword(input: PasswordLoginInput, request: LoginContext): Promise<Result<Tokens, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(PasswordLoginInput, input);
    if (decoded.err) return decoded;
    const { email, password } = decoded.val;
    const { config } = lib;
    const found = await io.findUserByEmail(email);
    const user = found && found.user.deletedAt === null ? found.user : null;
    // Guesses count against the account, not the address: every address of a user, and the current
    // password asked by a change, draw on one budget. An unknown address is counted under its own
    // name, the same work, so the limit tells nothing either.
    const limits = passwordGuessLimits(config, user ? `user:${user.id}` : `email:${email}`, request.ip);
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) {
      await this.loginFailed('password', 'rate_limited', email, request);
      return limited;
    }

    const hash = user?.passwordHash ?? (await lib.dummyPasswordHash());
    const passwordMatches = await lib.verifyPassword(password, hash);
    if (!user?.passwordHash || !passwordMatches) {
      await this.loginFailed('password', 'invalid_credentials', email, request);
      return fail('INVALID_CREDENTIALS');
    }
    await forgive(this.deps, limits);

    if (user.bannedAt) {
      await this.loginFailed('password', 'banned', email, request);
      return fail('ACCOUNT_DISABLED');
    }
    if (config.requireVerifiedEmail && found?.email.verifiedAt === null) {
      await this.loginFailed('password', 'email_not_verified', email, request);
      return fail('EMAIL_NOT_VERIFIED');
    }
    const tooMany = await rateLimited(this.deps, loginSuccessLimit(config, user.id));
    if (tooMany) {
      await this.loginFailed('password', 'rate_limited', email, request);
      return tooMany;
    }
    // Hashed before the transaction (docs/security-rules.md §8); stored only if the password checked is still the one set.
    const upgradedHash = lib.passwordNeedsRehash(user.passwordHash) ? await lib.hashPassword(password) : null;
    const proof = { userId: user.id, method: 'password' as const, credentialVersion: user.credentialVersion };
    const step = await transactWithEvents(this.deps, actorOf(undefined, request), async (tx) => {
      const next = await openSessionOrChallenge(tx, lib, proof, request);
      if (next && upgradedHash) await tx.updateUser(user.id, { passwordHash: upgradedHash, updatedAt: lib.now() });
      return next;
    });
    if (!step) {
      await this.loginFailed('password', 'credentials_changed', email, request);
      return fail('INVALID_CREDENTIALS');
    }
    if ('challenge' in step) {
      // Not a login yet: a challenge is counted as a success only once its second factor completes
      // it, or whoever holds the password alone could spend the owner's budget of logins.
      await forgive(this.deps, [loginSuccessLimit(config, user.id)]);
      return fail('MFA_REQUIRED', { challenge: step.challenge });
    }
    return Ok(step.opened.tokens);
  }

  /**
   * Sends a login code to a known address, bound to the caller's `state`. Always answers the same
   * (accepted), whether the address is unknown, its user banned, over a send limit or sent to; and
   * after the same work: a code is stored for any address (one never sent is of use to nobody), and
   * only after the answer is the address looked up and the email sent, so timing tells nothing either
   * (docs/security-rules.md §4; `npm run bench` measures it).
   * Requests are limited per IP (429), sends per (address, IP) and per address (silently).
   */
  async requestLoginCode(input: LoginCodeRequestInput, request: RequestInfo): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(LoginCodeRequestInput, input);
    if (decoded.err) return decoded;
    const { email, state } = decoded.val;
    const limited = await firstLimitPassed(this.deps, codeRequestLimits(lib.config, request.ip));
    if (limited) return limited;
    if (!(await withinSendLimit(this.deps, email, request.ip))) return Ok(undefined);
    const message = await io.transaction((tx) => prepareCode(tx, lib, { purpose: 'login', address: email, state }));
    await deliverAfterAnswer(this.deps, async () => {
      const found = await io.findUserByEmail(email);
      return found && isUserActive(found.user) ? [message] : [];
    });
    return Ok(undefined);
  }

  /**
   * Exchanges a login code and the state it was requested with for a session; one request is
   * compared against the one code bound to that state. The code proves control of the address, so
   * the address is marked verified in the same transaction, and (docs/security-rules.md §4, pre-hijacking):
   * - when it is the account's first verified address, the password, the sessions and the other
   *   unverified addresses set up before by whoever registered it go (`account.claimed`);
   * - when the address is unverified on an account that another verified address proves, the login
   *   lands nowhere: the address is released from that account (`ADDRESS_RELEASED`).
   * Wrong codes are limited per IP, right ones per user (`loginSuccessesPerUser`).
   */
  async loginWithCode(input: CodeLoginInput, request: LoginContext): Promise<Result<Tokens, AccountsError>> {
    const { lib } = this.deps;
    const decoded = decode(CodeLoginInput, input);
    if (decoded.err) return decoded;
    const { code, state } = decoded.val;
    // Counted before the guess, like password attempts, so parallel guesses cannot pass the limit.
    const limits = codeGuessLimits(lib.config, request.ip);
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) {
      await this.loginFailed('code', 'rate_limited', null, request);
      return limited;
    }
    const redeemed = await redeemCode<CodeLoginGrant>(
      this.deps,
      actorOf(undefined, request),
      { purpose: 'login', state },
      code,
      (tx, loginCode, ownerId) => grantCodeLogin(lib, tx, loginCode, ownerId, request),
      async (ownerId) => (ownerId === null ? null : rateLimited(this.deps, loginSuccessLimit(lib.config, ownerId))),
    );
    if (!redeemed) {
      await this.loginFailed('code', 'invalid_code', null, request);
      return fail('INVALID_CODE');
    }
    // A proven code gives its attempt back, so an office behind one address is never locked out.
    await forgive(this.deps, limits);
    if (redeemed.value.err) {
      await this.loginFailed('code', codeLoginFailureReason(redeemed.value.val), null, request);
      return redeemed.value;
    }
    const grant = redeemed.value.val;
    // What the proof changed (released addresses, a claim, a verification) was recorded with it.
    if (grant.outcome === 'released') {
      await this.loginFailed('code', 'address_released', null, request);
      return fail('ADDRESS_RELEASED');
    }
    const { userId, step } = grant;
    // The address stays proven; the session waits for the second factor (`POST /authn/mfa`), which
    // counts the login's success then (see `loginWithPassword`).
    if ('challenge' in step) {
      await forgive(this.deps, [loginSuccessLimit(lib.config, userId)]);
      return fail('MFA_REQUIRED', { challenge: step.challenge });
    }
    return Ok(step.opened.tokens);
  }

  /** Completes a login that answered `MFA_REQUIRED` with its second factor: see `completeMfaLogin` (mfa-login.ts). */
  completeMfaLogin(input: MfaLoginInput, request: LoginContext): Promise<Result<Tokens, AccountsError>> {
    return completeMfaLogin(this.deps, input, request);
  }

  /**
   * Rotates a refresh token within its session: the presented token is consumed and a new one issued,
   * atomically, under the user's lock, so a change of credentials committed meanwhile wins. A token presented after it was consumed is reuse — someone holds a copy — and revokes
   * the whole session (RFC 9700 §4.14.2). Of concurrent refreshes with one token exactly one wins; the
   * others get `INVALID_REFRESH_TOKEN` without revoking, as a race is indistinguishable from a
   * client's retry (a later presentation of the old token is reuse all the same).
   */
  async refresh(input: RefreshInput, request: RequestInfo): Promise<Result<Tokens, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(RefreshInput, input);
    if (decoded.err) return decoded;
    const tokenHash = lib.hashSecret(decoded.val.refreshToken);
    const now = lib.now();
    const found = await io.findRefreshTokenWithSession(tokenHash);
    if (!found) return fail('INVALID_REFRESH_TOKEN');
    const { token: stored, session, user } = found;
    if (stored.consumedAt !== null) {
      await transactWithEvents(this.deps, actorOf(undefined, request), async (tx) => {
        if (!(await tx.revokeSession(session.id, now))) return;
        recordEvent(tx, { type: 'refresh_token.reused', at: now, userId: user.id, sessionId: session.id });
        recordEvent(tx, {
          type: 'session.revoked',
          at: now,
          userId: user.id,
          sessionId: session.id,
          reason: 'refresh_token_reused',
        });
      });
      return fail('INVALID_REFRESH_TOKEN');
    }
    if (!sessionHolds(session, user, now) || now >= stored.expiresAt) return fail('INVALID_REFRESH_TOKEN');
    const refreshToken = lib.newSecret();
    const rotated = await io.transaction(async (tx) => {
      // Under the user's lock, read again: a change of credentials committed since the read above
      // (a password change, a ban, a claim) must not hand out one more access token.
      const current = await tx.lockUserWithSession(user.id, session.id);
      if (!current || !sessionHolds(current.session, current.user, now)) return false;
      const idleExpiresAt = addMs(now, lib.config.sessionIdleTtlMs);
      return tx.rotateRefreshToken({
        consumedTokenHash: tokenHash,
        at: now,
        idleExpiresAt,
        next: {
          tokenHash: lib.hashSecret(refreshToken),
          sessionId: session.id,
          createdAt: now,
          expiresAt: minDate(idleExpiresAt, session.expiresAt),
          consumedAt: null,
        },
      });
    });
    if (!rotated) return fail('INVALID_REFRESH_TOKEN');
    return Ok(await tokensFor(lib, user, session, refreshToken));
  }

  /** Ends the caller's current session, or all of their sessions with `{ all: true }`. */
  async logout(caller: Caller, input: LogoutInput = {}): Promise<Result<void, AccountsError>> {
    const { lib } = this.deps;
    const decoded = decode(LogoutInput, input);
    if (decoded.err) return decoded;
    if (!caller.user) return fail('UNAUTHENTICATED');
    const { id: userId, sessionId } = caller.user;
    const now = lib.now();
    await transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      if (decoded.val.all) {
        await tx.revokeUserSessions(userId, now);
        recordSessionRevoked(tx, now, userId, null, 'logout_all');
      } else if (sessionId !== null) {
        await tx.revokeSession(sessionId, now);
        recordSessionRevoked(tx, now, userId, sessionId, 'logout');
      }
    });
    return Ok(undefined);
  }

  /**
   * Ends every session of a user, for the user themself or a system caller (ASVS 7.4.5: an
   * administrator can end one user's sessions). The user's credential version moves on too, so a
   * login in flight at that moment opens nothing usable either; the credentials stay as they are.
   */
  async revokeAll(caller: Caller, userRef: string): Promise<Result<void, AccountsError>> {
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    const { lib } = this.deps;
    const allowed = checkSelfOrSystem(caller, userId);
    if (allowed.err) return allowed;
    const self = isSelf(caller, userId);
    const now = lib.now();
    return inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const user = await tx.lockUser(userId);
      if (!user || user.deletedAt) return fail('NOT_FOUND');
      await changeCredentials(tx, user, now);
      recordSessionRevoked(tx, now, userId, null, self ? 'logout_all' : 'revoked_by_admin');
      return Ok(undefined);
    });
  }

  /** One page of a user's live sessions, newest first: for the user themself, employees and system callers. */
  async list(caller: Caller, userRef: string, page?: PageInput): Promise<Result<Page<PublicSession>, AccountsError>> {
    const request = decodePageRequest(page);
    if (request.err) return request;
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    const sessions = await this.deps.io.listActiveSessionsPage(userId, this.deps.lib.now(), request.val);
    return Ok(toPage(sessions, request.val, keyById, toPublicSession));
  }

  /** Revokes one session: its own user's or a system caller's to revoke; hidden from anyone else. */
  async revoke(caller: Caller, sessionId: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const session = await io.findSessionById(sessionId);
    const owned = session !== null && isSelf(caller, session.userId);
    if (!session || (!owned && !isSystemCaller(caller))) return hiddenFrom(caller);
    await transactWithEvents(this.deps, actorOf(caller), async (tx) => {
      if (!(await tx.revokeSession(sessionId, lib.now()))) return;
      recordSessionRevoked(tx, lib.now(), session.userId, sessionId, owned ? 'revoked_by_user' : 'revoked_by_admin');
    });
    return Ok(undefined);
  }

  /**
   * Strict validation of an access token: signature, expiry, issuer and audience, then in one indexed
   * lookup that the session is live, its user neither banned nor deleted, and the user's credentials
   * unchanged since the session was opened. The caller gets the user's current roles, not those
   * frozen in the token.
   */
  async authenticate(accessToken: string): Promise<Result<CallerUser, AccountsError>> {
    const { io, lib } = this.deps;
    const claims = await lib.verifyAccessToken(accessToken);
    if (!claims) return fail('INVALID_TOKEN');
    const found = await io.findSessionWithUser(claims.sid);
    if (!found || found.session.userId !== claims.sub) return fail('INVALID_TOKEN');
    if (!sessionHolds(found.session, found.user, lib.now())) return fail('INVALID_TOKEN');
    return Ok({ id: found.user.id, roles: [...found.user.roles], sessionId: found.session.id });
  }

  /**
   * Step-up: the caller's session proves its user again (the password, or a login code sent to one of
   * their verified addresses) and gets a new access token with a fresh `auth_time`; see
   * `reauthenticate` (reauthentication.ts).
   */
  reauthenticate(
    caller: Caller,
    input: ReauthenticateInput,
    request: RequestInfo,
  ): Promise<Result<AccessTokenGrant, AccountsError>> {
    return reauthenticate(this.deps, caller, input, request);
  }

  /**
   * Stateless validation: signature, expiry, issuer and audience only, no storage. A revoked session's
   * token stays valid this way until it expires (at most the access-token lifetime).
   */
  async verifyStateless(accessToken: string): Promise<Result<AccessTokenClaims, AccountsError>> {
    const claims = await this.deps.lib.verifyAccessToken(accessToken);
    return claims ? Ok(claims) : fail('INVALID_TOKEN');
  }

  /**
   * A refused login, written to the trail on its own (it changes nothing else). Refusals by a limit
   * are written once per IP and window: past the limit an attacker's every request is refused, and
   * each would otherwise add a row.
   */
  private async loginFailed(
    method: 'password' | 'code',
    reason: LoginFailureReason,
    email: string | null,
    request: RequestInfo,
  ): Promise<void> {
    await recordLoginFailure(this.deps, { method, reason, email }, request);
  }
}

function codeLoginFailureReason(error: AccountsError): LoginFailureReason {
  if (error.code === 'ACCOUNT_DISABLED') return 'banned';
  if (error.code === 'RATE_LIMITED') return 'rate_limited';
  return 'invalid_code';
}
