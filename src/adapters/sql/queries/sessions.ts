import type { RefreshToken, Session, User } from '../../../ports/entities';
import { count, dbTime, dbTimeOrNull, type SqlContext } from '../context';
import {
  prefixedColumns,
  type Row,
  SESSION_COLUMNS,
  toRefreshToken,
  toSession,
  toUser,
  USER_COLUMNS,
  unprefix,
} from '../rows';

export async function insertSession(sql: SqlContext, session: Session): Promise<void> {
  await sql.db('sessions').insert({
    id: session.id,
    user_id: session.userId,
    client_id: session.clientId,
    ip: session.ip,
    user_agent: session.userAgent,
    created_at: dbTime(sql, session.createdAt),
    last_used_at: dbTime(sql, session.lastUsedAt),
    idle_expires_at: dbTime(sql, session.idleExpiresAt),
    expires_at: dbTime(sql, session.expiresAt),
    revoked_at: dbTimeOrNull(sql, session.revokedAt),
    credential_version: session.credentialVersion,
    auth_method: session.authMethod,
    authenticated_at: dbTime(sql, session.authenticatedAt),
  });
}

export async function findSessionById(sql: SqlContext, id: string): Promise<Session | null> {
  const row = await sql.db('sessions').where({ id }).first();
  return row ? toSession(row) : null;
}

/** Strict access-token validation runs this on every request: one primary-key join, one round trip. */
export async function findSessionWithUser(
  sql: SqlContext,
  sessionId: string,
): Promise<{ session: Session; user: User } | null> {
  const row: Row | undefined = await sql
    .db('sessions as s')
    .join('users as u', 'u.id', 's.user_id')
    .where('s.id', sessionId)
    .first([...prefixedColumns('s', SESSION_COLUMNS), ...prefixedColumns('u', USER_COLUMNS)]);
  return row ? { session: toSession(unprefix(row, 's')), user: toUser(unprefix(row, 'u')) } : null;
}

/** A user's sessions live at `now` (not revoked, neither idle- nor absolutely expired), newest first. */
function liveSessionsOf(sql: SqlContext, userId: string, now: Date) {
  const at = dbTime(sql, now);
  return sql
    .db('sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('idle_expires_at', '>', at)
    .where('expires_at', '>', at)
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
}

export async function listActiveSessions(sql: SqlContext, userId: string, now: Date): Promise<Session[]> {
  return (await liveSessionsOf(sql, userId, now)).map(toSession);
}

export async function touchSession(sql: SqlContext, id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
  await sql
    .db('sessions')
    .where({ id })
    .update({ last_used_at: dbTime(sql, lastUsedAt), idle_expires_at: dbTime(sql, idleExpiresAt) });
}

export async function revokeSession(sql: SqlContext, id: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('sessions')
    .where({ id })
    .whereNull('revoked_at')
    .update({ revoked_at: dbTime(sql, at) });
  return count(changed) === 1;
}

export async function revokeUserSessions(
  sql: SqlContext,
  userId: string,
  at: Date,
  exceptSessionId?: string,
): Promise<number> {
  const query = sql.db('sessions').where({ user_id: userId }).whereNull('revoked_at');
  if (exceptSessionId !== undefined) query.whereNot({ id: exceptSessionId });
  return count(await query.update({ revoked_at: dbTime(sql, at) }));
}

/**
 * The live sessions past the `keep` newest are found in one indexed read (by user, newest first) and
 * revoked in one statement. Called while the user's row is locked (`openSession`), so two logins
 * cannot both keep the same sessions.
 */
export async function revokeOldestSessions(
  sql: SqlContext,
  userId: string,
  keep: number,
  now: Date,
): Promise<string[]> {
  const rows: Array<{ id: unknown }> = await liveSessionsOf(sql, userId, now)
    .select('id')
    // MySQL accepts OFFSET only after a LIMIT.
    .limit(Number.MAX_SAFE_INTEGER)
    .offset(Math.max(0, keep));
  const ids = rows.map((row) => String(row.id)).reverse();
  if (ids.length > 0) {
    await sql
      .db('sessions')
      .whereIn('id', ids)
      .whereNull('revoked_at')
      .update({ revoked_at: dbTime(sql, now) });
  }
  return ids;
}

export async function setSessionCredentialVersion(
  sql: SqlContext,
  id: string,
  credentialVersion: number,
): Promise<void> {
  await sql.db('sessions').where({ id }).update({ credential_version: credentialVersion });
}

export async function insertRefreshToken(sql: SqlContext, token: RefreshToken): Promise<void> {
  await sql.db('refresh_tokens').insert({
    token_hash: token.tokenHash,
    session_id: token.sessionId,
    created_at: dbTime(sql, token.createdAt),
    expires_at: dbTime(sql, token.expiresAt),
    consumed_at: dbTimeOrNull(sql, token.consumedAt),
  });
}

export async function findRefreshToken(sql: SqlContext, tokenHash: string): Promise<RefreshToken | null> {
  const row = await sql.db('refresh_tokens').where({ token_hash: tokenHash }).first();
  return row ? toRefreshToken(row) : null;
}

/** One conditional UPDATE: the affected-row count names the single winner of concurrent refreshes. */
export async function consumeRefreshToken(sql: SqlContext, tokenHash: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('refresh_tokens')
    .where({ token_hash: tokenHash })
    .whereNull('consumed_at')
    .update({ consumed_at: dbTime(sql, at) });
  return count(changed) === 1;
}
