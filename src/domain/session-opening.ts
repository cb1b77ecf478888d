import type { AuthMethod, PublicSession, Session, User } from '../ports/entities';
import type { SessionRevokeReason } from '../ports/events';
import type { Io, UserPatch } from '../ports/io';
import type { Lib } from '../ports/lib';
import { addMs, type RequestInfo } from './context';
import { recordEvent } from './event-log';

/** What every successful login and refresh returns (docs/security-rules.md §3). */
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
    authMethod: session.authMethod,
    authenticatedAt: session.authenticatedAt,
  };
}

/** Whether a session can still be used at `now`: not revoked, neither idle- nor absolutely expired. */
export function isSessionLive(session: Session, now: Date): boolean {
  return session.revokedAt === null && now < session.idleExpiresAt && now < session.expiresAt;
}

export function isUserActive(user: User): boolean {
  return user.deletedAt === null && user.bannedAt === null;
}

/**
 * Whether a session still speaks for its user: live, the user active, and the user's credentials
 * unchanged since it was opened (docs/security-rules.md §3: a change of credentials wins every race).
 */
export function sessionHolds(session: Session, user: User, now: Date): boolean {
  return isSessionLive(session, now) && isUserActive(user) && session.credentialVersion === user.credentialVersion;
}

/** The fields of a user that change together with its credential version. */
export type CredentialChange = Pick<UserPatch, 'passwordHash' | 'bannedAt' | 'deletedAt'>;

/**
 * Changes a user's credentials (in the caller's transaction, the user's row locked): writes `change`,
 * moves the credential version on and revokes every session but `keepSessionId`, which moves along
 * with it. Every session opened before, and any login still in flight, no longer holds (docs/security-rules.md §3: a
 * change of credentials wins every race). Returns the new version.
 */
export async function changeCredentials(
  tx: Io,
  user: User,
  now: Date,
  change: CredentialChange = {},
  keepSessionId?: string,
): Promise<number> {
  const credentialVersion = user.credentialVersion + 1;
  await tx.updateUser(user.id, { ...change, credentialVersion, updatedAt: now });
  await tx.revokeUserSessions(user.id, now, keepSessionId);
  if (keepSessionId !== undefined) await tx.setSessionCredentialVersion(keepSessionId, credentialVersion);
  return credentialVersion;
}

/** What a login proved, and against which version of the user's credentials. */
export interface Authentication {
  userId: string;
  method: AuthMethod;
  /** The `credentialVersion` of the user row the proof was checked against. */
  credentialVersion: number;
}

export interface OpenedSession {
  tokens: Tokens;
  /** Sessions revoked to stay within `maxSessionsPerUser`, oldest first. */
  revokedSessionIds: string[];
}

/**
 * Opens a session with its first refresh token, in the caller's transaction, and signs its tokens.
 * The user's row is locked first, so this waits for any transaction changing the user's credentials;
 * it opens nothing (null) when the user is gone, banned, or its credentials changed since the proof
 * was checked: a login that was in flight while a password changed must not outlive the change. The
 * oldest sessions beyond `maxSessionsPerUser` are revoked in the same transaction. The transaction
 * records `login.succeeded` (and a `session.revoked` for each session the limit took).
 */
export async function openSession(
  tx: Io,
  lib: Lib,
  proof: Authentication,
  request: LoginContext,
): Promise<OpenedSession | null> {
  const user = await tx.lockUser(proof.userId);
  if (!user || !isUserActive(user) || user.credentialVersion !== proof.credentialVersion) return null;
  const now = lib.now();
  const revokedSessionIds = await tx.revokeOldestSessions(user.id, Math.max(0, lib.config.maxSessionsPerUser - 1), now);
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
    credentialVersion: user.credentialVersion,
    authMethod: proof.method,
    authenticatedAt: now,
  };
  const refreshToken = lib.newSecret();
  for (const sessionId of revokedSessionIds) {
    recordEvent(tx, { type: 'session.revoked', at: now, userId: user.id, sessionId, reason: 'session_limit' });
  }
  recordEvent(tx, {
    type: 'login.succeeded',
    at: now,
    userId: user.id,
    sessionId: session.id,
    method: proof.method,
    ip: request.ip,
  });
  await tx.insertSession(session);
  await tx.insertRefreshToken({
    tokenHash: lib.hashSecret(refreshToken),
    sessionId: session.id,
    createdAt: now,
    expiresAt: minDate(session.idleExpiresAt, session.expiresAt),
    consumedAt: null,
  });
  return { tokens: await tokensFor(lib, user, session, refreshToken), revokedSessionIds };
}

/** Records a revocation of one session (`sessionId`) or of all of a user's (null), in the transaction making it. */
export function recordSessionRevoked(
  tx: Io,
  at: Date,
  userId: string,
  sessionId: string | null,
  reason: SessionRevokeReason,
): void {
  recordEvent(tx, { type: 'session.revoked', at, userId, sessionId, reason });
}

export async function tokensFor(lib: Lib, user: User, session: Session, refreshToken: string): Promise<Tokens> {
  const accessToken = await lib.signAccessToken({
    userId: user.id,
    sessionId: session.id,
    roles: user.roles,
    clientId: session.clientId,
    authMethod: session.authMethod,
    authenticatedAt: session.authenticatedAt,
  });
  return {
    accessToken,
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: Math.floor(lib.config.accessTokenTtlMs / 1000),
    sessionId: session.id,
  };
}

export function minDate(a: Date, b: Date): Date {
  return a < b ? a : b;
}
