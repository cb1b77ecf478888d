import * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type { PublicSession, Session, User } from '../ports/entities';
import type { SessionRevokeReason } from '../ports/events';
import type { Io } from '../ports/io';
import type { AccessTokenClaims } from '../ports/lib';
import { canReadEverything, hiddenFrom, isSelf, isSystemCaller } from './authorization';
import { CodeInput, decode, Email, LoginState, Opaque, PasswordInput, struct } from './codecs';
import { deliverAfterAnswer, prepareCode, redeemCode } from './codes';
import { addMs, type Caller, type CallerUser, type Deps, emit, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { rateLimited } from './limits';

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

/** What every successful login and refresh returns (SPEC §3). */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  sessionId: string;
}

/** A login's request context; `clientId` is the API client the request came through, if any. */
export interface LoginContext extends RequestInfo {
  clientId?: string | null;
}

export function toPublicSession(session: Session): PublicSession {
  return {
    id: session.id,
    userId: session.userId,
    clientId: session.clientId,
    ip: session.ip,
    userAgent: session.userAgent,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    expiresAt: session.expiresAt,
    idleExpiresAt: session.idleExpiresAt,
  };
}

/** Whether a session can still be used at `now`: not revoked, neither idle- nor absolutely expired. */
export function isSessionLive(session: Session, now: Date): boolean {
  return session.revokedAt === null && now < session.idleExpiresAt && now < session.expiresAt;
}

function isUserActive(user: User): boolean {
  return user.deletedAt === null && user.bannedAt === null;
}

/** Logins, token refresh, logout and access-token validation (SPEC §3, §4, §7). */
export class SessionService {
  constructor(private readonly deps: Deps) {}

  /**
   * Password login. An unknown address, a passwordless user and a wrong password get the same
   * `INVALID_CREDENTIALS` after the same bcrypt work (a dummy hash), so neither the answer nor its
   * timing tells which addresses have accounts. Failures are limited per address and per IP; every
   * attempt is counted before the password is checked, so parallel guesses cannot pass the limit.
   */
  async loginWithPassword(input: PasswordLoginInput, request: LoginContext): Promise<Result<Tokens, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(PasswordLoginInput, input);
    if (decoded.err) return decoded;
    const { email, password } = decoded.val;
    const { config } = lib;
    const emailKey = `login:email:${email}`;
    const ipKey = request.ip === null ? null : `login:ip:${request.ip}`;
    const window = config.loginFailureWindowMs;

    const limited =
      (await rateLimited(this.deps, { key: emailKey, limit: config.loginFailuresPerIdentifier, windowMs: window })) ??
      (ipKey && (await rateLimited(this.deps, { key: ipKey, limit: config.loginFailuresPerIp, windowMs: window })));
    if (limited) {
      this.loginFailed('password', 'rate_limited', email, request);
      return limited;
    }

    const found = await io.findUserByEmail(email);
    const user = found && found.user.deletedAt === null ? found.user : null;
    const hash = user?.passwordHash ?? (await lib.dummyPasswordHash());
    const passwordMatches = await lib.verifyPassword(password, hash);
    if (!user?.passwordHash || !passwordMatches) {
      this.loginFailed('password', 'invalid_credentials', email, request);
      return fail('INVALID_CREDENTIALS');
    }

    // The password is proven: a success resets this address's counter and refunds the IP's attempt.
    await this.deps.rateLimits.reset(emailKey);
    if (ipKey) await this.deps.rateLimits.hit(ipKey, window, lib.now(), -1);

    if (user.bannedAt) {
      this.loginFailed('password', 'banned', email, request);
      return fail('ACCOUNT_DISABLED');
    }
    if (config.requireVerifiedEmail && found?.email.verifiedAt === null) {
      this.loginFailed('password', 'email_not_verified', email, request);
      return fail('EMAIL_NOT_VERIFIED');
    }
    if (lib.passwordNeedsRehash(user.passwordHash)) {
      const passwordHash = await lib.hashPassword(password);
      await io.updateUser(user.id, { passwordHash, updatedAt: lib.now() });
    }
    const tokens = await io.transaction((tx) => this.openSession(tx, user, request));
    emit(lib, {
      type: 'login.succeeded',
      at: lib.now(),
      userId: user.id,
      sessionId: tokens.sessionId,
      method: 'password',
      ip: request.ip,
    });
    return Ok(tokens);
  }

  /**
   * Sends a login code to a known address, bound to the caller's `state`. Always answers the same
   * (accepted), whether the address is unknown, its user banned, over the send limit or sent to.
   */
  async requestLoginCode(input: LoginCodeRequestInput, _request: RequestInfo): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(LoginCodeRequestInput, input);
    if (decoded.err) return decoded;
    const { email, state } = decoded.val;
    const found = await io.findUserByEmail(email);
    if (found && isUserActive(found.user)) {
      const message = await io.transaction((tx) => prepareCode(tx, lib, { purpose: 'login', address: email, state }));
      await deliverAfterAnswer(this.deps, [message]);
    }
    return Ok(undefined);
  }

  /**
   * Exchanges a login code and the state it was requested with for a session. The code proves control
   * of the address, so the address is marked verified in the same transaction.
   */
  async loginWithCode(input: CodeLoginInput, request: LoginContext): Promise<Result<Tokens, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(CodeLoginInput, input);
    if (decoded.err) return decoded;
    const { code, state } = decoded.val;
    // Counted before the guess, like password attempts, so parallel guesses cannot pass the limit.
    const ipKey = request.ip === null ? null : `code-login:ip:${request.ip}`;
    const window = lib.config.loginFailureWindowMs;
    if (ipKey) {
      const limited = await rateLimited(this.deps, {
        key: ipKey,
        limit: lib.config.codeLoginFailuresPerIp,
        windowMs: window,
      });
      if (limited) {
        this.loginFailed('code', 'rate_limited', null, request);
        return limited;
      }
    }
    const now = lib.now();
    const redeemed = await redeemCode(io, lib, { purpose: 'login', state }, code, async (tx, loginCode) => {
      const found = await tx.findUserByEmail(loginCode.address);
      if (!found || found.user.deletedAt) return fail('INVALID_CODE');
      if (found.user.bannedAt) return fail('ACCOUNT_DISABLED');
      const verified = await tx.markLoginEmailVerified(loginCode.address, now);
      const tokens = await this.openSession(tx, found.user, request);
      return Ok({ userId: found.user.id, address: loginCode.address, verified, tokens });
    });
    if (!redeemed) {
      this.loginFailed('code', 'invalid_code', null, request);
      return fail('INVALID_CODE');
    }
    if (redeemed.value.err) {
      // Every failed login is reported (SPEC §9), a proven code of a banned or deleted user included.
      const banned = redeemed.value.val.code === 'ACCOUNT_DISABLED';
      this.loginFailed('code', banned ? 'banned' : 'invalid_code', null, request);
      return redeemed.value;
    }
    const { userId, address, verified, tokens } = redeemed.value.val;
    // A proven code gives its attempt back, so an office behind one address is never locked out.
    if (ipKey) await this.deps.rateLimits.hit(ipKey, window, lib.now(), -1);
    // The code proved control of the address: that is a verification, reported like one (SPEC §9).
    if (verified) emit(lib, { type: 'email.verified', at: now, userId, address });
    emit(lib, {
      type: 'login.succeeded',
      at: now,
      userId,
      sessionId: tokens.sessionId,
      method: 'code',
      ip: request.ip,
    });
    return Ok(tokens);
  }

  /**
   * Rotates a refresh token within its session: the presented token is consumed and a new one issued,
   * atomically. A token presented after it was consumed is reuse — someone holds a copy — and revokes
   * the whole session (RFC 9700 §4.14.2). Of concurrent refreshes with one token exactly one wins; the
   * others get `INVALID_REFRESH_TOKEN` without revoking, as a race is indistinguishable from a
   * client's retry (a later presentation of the old token is reuse all the same).
   */
  async refresh(input: RefreshInput, _request: RequestInfo): Promise<Result<Tokens, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(RefreshInput, input);
    if (decoded.err) return decoded;
    const tokenHash = lib.hashSecret(decoded.val.refreshToken);
    const now = lib.now();
    const stored = await io.findRefreshToken(tokenHash);
    if (!stored) return fail('INVALID_REFRESH_TOKEN');

    const found = await io.findSessionWithUser(stored.sessionId);
    if (stored.consumedAt !== null) {
      if (await io.revokeSession(stored.sessionId, now)) {
        const userId = found?.session.userId ?? '';
        emit(lib, { type: 'refresh_token.reused', at: now, userId, sessionId: stored.sessionId });
        emit(lib, {
          type: 'session.revoked',
          at: now,
          userId,
          sessionId: stored.sessionId,
          reason: 'refresh_token_reused',
        });
      }
      return fail('INVALID_REFRESH_TOKEN');
    }
    if (!found || !isSessionLive(found.session, now) || now >= stored.expiresAt || !isUserActive(found.user)) {
      return fail('INVALID_REFRESH_TOKEN');
    }
    const { session, user } = found;
    const refreshToken = lib.newSecret();
    const rotated = await io.transaction(async (tx) => {
      if (!(await tx.consumeRefreshToken(tokenHash, now))) return false;
      const idleExpiresAt = addMs(now, lib.config.sessionIdleTtlMs);
      await tx.touchSession(session.id, now, idleExpiresAt);
      await tx.insertRefreshToken({
        tokenHash: lib.hashSecret(refreshToken),
        sessionId: session.id,
        createdAt: now,
        expiresAt: minDate(idleExpiresAt, session.expiresAt),
        consumedAt: null,
      });
      return true;
    });
    if (!rotated) return fail('INVALID_REFRESH_TOKEN');
    return Ok(await this.tokensFor(user, session, refreshToken));
  }

  /** Ends the caller's current session, or all of their sessions with `{ all: true }`. */
  async logout(caller: Caller, input: LogoutInput = {}): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const decoded = decode(LogoutInput, input);
    if (decoded.err) return decoded;
    if (!caller.user) return fail('UNAUTHENTICATED');
    const { id: userId, sessionId } = caller.user;
    const now = lib.now();
    if (decoded.val.all) {
      await io.revokeUserSessions(userId, now);
      this.sessionRevoked(userId, null, 'logout_all');
    } else if (sessionId !== null) {
      await io.revokeSession(sessionId, now);
      this.sessionRevoked(userId, sessionId, 'logout');
    }
    return Ok(undefined);
  }

  /** The live sessions of a user: for the user themself, employees and system callers. */
  async list(caller: Caller, userId: string): Promise<Result<PublicSession[], AccountsError>> {
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    const sessions = await this.deps.io.listActiveSessions(userId, this.deps.lib.now());
    return Ok(sessions.map(toPublicSession));
  }

  /** Revokes one session: its own user's or a system caller's to revoke; hidden from anyone else. */
  async revoke(caller: Caller, sessionId: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const session = await io.findSessionById(sessionId);
    const owned = session !== null && isSelf(caller, session.userId);
    if (!session || (!owned && !isSystemCaller(caller))) return hiddenFrom(caller);
    if (await io.revokeSession(sessionId, lib.now())) {
      this.sessionRevoked(session.userId, sessionId, owned ? 'revoked_by_user' : 'revoked_by_admin');
    }
    return Ok(undefined);
  }

  /**
   * Strict validation of an access token: signature, expiry, issuer and audience, then in one indexed
   * lookup that the session is live and its user neither banned nor deleted. The caller gets the
   * user's current roles, not those frozen in the token.
   */
  async authenticate(accessToken: string): Promise<Result<CallerUser, AccountsError>> {
    const { io, lib } = this.deps;
    const claims = await lib.verifyAccessToken(accessToken);
    if (!claims) return fail('INVALID_TOKEN');
    const found = await io.findSessionWithUser(claims.sid);
    if (!found || found.session.userId !== claims.sub) return fail('INVALID_TOKEN');
    if (!isSessionLive(found.session, lib.now()) || !isUserActive(found.user)) return fail('INVALID_TOKEN');
    return Ok({ id: found.user.id, roles: [...found.user.roles], sessionId: found.session.id });
  }

  /**
   * Stateless validation: signature, expiry, issuer and audience only, no storage. A revoked session's
   * token stays valid this way until it expires (at most the access-token lifetime).
   */
  async verifyStateless(accessToken: string): Promise<Result<AccessTokenClaims, AccountsError>> {
    const claims = await this.deps.lib.verifyAccessToken(accessToken);
    return claims ? Ok(claims) : fail('INVALID_TOKEN');
  }

  /** Creates a session with its first refresh token (in the caller's transaction) and signs tokens. */
  private async openSession(tx: Io, user: User, request: LoginContext): Promise<Tokens> {
    const { lib } = this.deps;
    const now = lib.now();
    const session: Session = {
      id: lib.newId('session'),
      userId: user.id,
      clientId: request.clientId ?? null,
      // Bounded like their columns: both come from request headers when a proxy is trusted.
      ip: request.ip === null ? null : request.ip.slice(0, 64),
      userAgent: request.userAgent === null ? null : request.userAgent.slice(0, 512),
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: addMs(now, lib.config.sessionIdleTtlMs),
      expiresAt: addMs(now, lib.config.sessionAbsoluteTtlMs),
      revokedAt: null,
    };
    const refreshToken = lib.newSecret();
    await tx.insertSession(session);
    await tx.insertRefreshToken({
      tokenHash: lib.hashSecret(refreshToken),
      sessionId: session.id,
      createdAt: now,
      expiresAt: minDate(session.idleExpiresAt, session.expiresAt),
      consumedAt: null,
    });
    return this.tokensFor(user, session, refreshToken);
  }

  private async tokensFor(user: User, session: Session, refreshToken: string): Promise<Tokens> {
    const { lib } = this.deps;
    const accessToken = await lib.signAccessToken({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      clientId: session.clientId,
    });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: Math.floor(lib.config.accessTokenTtlMs / 1000),
      sessionId: session.id,
    };
  }

  private loginFailed(
    method: 'password' | 'code',
    reason: 'invalid_credentials' | 'invalid_code' | 'rate_limited' | 'banned' | 'email_not_verified',
    email: string | null,
    request: RequestInfo,
  ): void {
    emit(this.deps.lib, { type: 'login.failed', at: this.deps.lib.now(), method, reason, email, ip: request.ip });
  }

  private sessionRevoked(userId: string, sessionId: string | null, reason: SessionRevokeReason): void {
    emit(this.deps.lib, { type: 'session.revoked', at: this.deps.lib.now(), userId, sessionId, reason });
  }
}

function minDate(a: Date, b: Date): Date {
  return a < b ? a : b;
}
