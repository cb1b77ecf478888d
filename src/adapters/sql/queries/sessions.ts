import type { AuthMethod, RefreshToken, Session, User } from '../../../ports/entities';
import type { PageRequest, RefreshRotation } from '../../../ports/io';
import { count, dbTime, dbTimeOrNull, type SqlContext } from '../context';
import { aliasedColumns, changeRows, selectTuples, statement, tupleReader } from '../prepared';
import { SESSION_COLUMNS, toRefreshToken, toSession, toUser, USER_COLUMNS } from '../rows';
import { BY_ID, keysetPage } from './pages';

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

const sessionOf = tupleReader(SESSION_COLUMNS);
const userOf = tupleReader(USER_COLUMNS, SESSION_COLUMNS.length);

export const FIND_SESSION_WITH_USER = statement(
  'accounts_find_session_with_user',
  `select ${aliasedColumns('s', 's_', SESSION_COLUMNS)}, ${aliasedColumns('u', 'u_', USER_COLUMNS)}
   from sessions s join users u on u.id = s.user_id where s.id = ?`,
);

/**
 * Strict access-token validation runs this on every request: one primary-key join, one round trip,
 * a prepared statement (see `prepared.ts`).
 */
export async function findSessionWithUser(
  sql: SqlContext,
  sessionId: string,
): Promise<{ session: Session; user: User } | null> {
  const [row] = await selectTuples(sql, FIND_SESSION_WITH_USER, [sessionId]);
  return row ? { session: toSession(sessionOf(row)), user: toUser(userOf(row)) } : null;
}

/** A user's sessions live at `now` (not revoked, neither idle- nor absolutely expired), newest first. */
function liveSessionsOf(sql: SqlContext, userId: string, now: Date) {
  return liveSessionsWhere(sql, userId, now).orderBy([
    { column: 'created_at', order: 'desc' },
    { column: 'id', order: 'desc' },
  ]);
}

function liveSessionsWhere(sql: SqlContext, userId: string, now: Date) {
  const at = dbTime(sql, now);
  return sql
    .db('sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('idle_expires_at', '>', at)
    .where('expires_at', '>', at);
}

export async function listActiveSessions(sql: SqlContext, userId: string, now: Date): Promise<Session[]> {
  return (await liveSessionsOf(sql, userId, now)).map(toSession);
}

/** Newest first, so a page continues with older sessions (`sessions_user_id_index` serves the range). */
export async function listActiveSessionsPage(
  sql: SqlContext,
  userId: string,
  now: Date,
  page: PageRequest,
): Promise<Session[]> {
  return (await keysetPage(sql, liveSessionsWhere(sql, userId, now), page, BY_ID, 'desc')).map(toSession);
}

const TOUCH_SESSION = statement(
  'accounts_touch_session',
  'update sessions set last_used_at = ?, idle_expires_at = ? where id = ?',
);

export async function touchSession(sql: SqlContext, id: string, lastUsedAt: Date, idleExpiresAt: Date): Promise<void> {
  await changeRows(sql, TOUCH_SESSION, [dbTime(sql, lastUsedAt), dbTime(sql, idleExpiresAt), id]);
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

export async function setSessionAuthentication(
  sql: SqlContext,
  id: string,
  method: AuthMethod,
  at: Date,
): Promise<boolean> {
  const changed = await sql
    .db('sessions')
    .where({ id })
    .update({ auth_method: method, authenticated_at: dbTime(sql, at) });
  return count(changed) === 1;
}

export async function setSessionCredentialVersion(
  sql: SqlContext,
  id: string,
  credentialVersion: number,
): Promise<void> {
  await sql.db('sessions').where({ id }).update({ credential_version: credentialVersion });
}

export const INSERT_REFRESH_TOKEN = statement(
  'accounts_insert_refresh_token',
  'insert into refresh_tokens (token_hash, session_id, created_at, expires_at, consumed_at) values (?, ?, ?, ?, ?)',
);

export async function insertRefreshToken(sql: SqlContext, token: RefreshToken): Promise<void> {
  await changeRows(sql, INSERT_REFRESH_TOKEN, [
    token.tokenHash,
    token.sessionId,
    dbTime(sql, token.createdAt),
    dbTime(sql, token.expiresAt),
    dbTimeOrNull(sql, token.consumedAt),
  ]);
}

const REFRESH_TOKEN_COLUMNS = ['token_hash', 'session_id', 'created_at', 'expires_at', 'consumed_at'] as const;
const refreshTokenOf = tupleReader(REFRESH_TOKEN_COLUMNS);
const FIND_REFRESH_TOKEN = statement(
  'accounts_find_refresh_token',
  `select ${REFRESH_TOKEN_COLUMNS.join(', ')} from refresh_tokens where token_hash = ?`,
);

export async function findRefreshToken(sql: SqlContext, tokenHash: string): Promise<RefreshToken | null> {
  const [row] = await selectTuples(sql, FIND_REFRESH_TOKEN, [tokenHash]);
  return row ? toRefreshToken(refreshTokenOf(row)) : null;
}

const CONSUME_REFRESH_TOKEN = statement(
  'accounts_consume_refresh_token',
  'update refresh_tokens set consumed_at = ? where token_hash = ? and consumed_at is null',
);

/** One conditional UPDATE: the affected-row count names the single winner of concurrent refreshes. */
export async function consumeRefreshToken(sql: SqlContext, tokenHash: string, at: Date): Promise<boolean> {
  return (await changeRows(sql, CONSUME_REFRESH_TOKEN, [dbTime(sql, at), tokenHash])) === 1;
}

const tokenAt0 = tupleReader(REFRESH_TOKEN_COLUMNS);
const sessionAfterToken = tupleReader(SESSION_COLUMNS, REFRESH_TOKEN_COLUMNS.length);
const userAfterTokenAndSession = tupleReader(USER_COLUMNS, REFRESH_TOKEN_COLUMNS.length + SESSION_COLUMNS.length);

export const FIND_REFRESH_TOKEN_WITH_SESSION = statement(
  'accounts_find_refresh_token_with_session',
  `select ${aliasedColumns('t', 't_', REFRESH_TOKEN_COLUMNS)}, ${aliasedColumns('s', 's_', SESSION_COLUMNS)},
     ${aliasedColumns('u', 'u_', USER_COLUMNS)}
   from refresh_tokens t join sessions s on s.id = t.session_id join users u on u.id = s.user_id
   where t.token_hash = ?`,
);

/** The first read of every refresh: token, session and user by primary keys, one round trip. */
export async function findRefreshTokenWithSession(
  sql: SqlContext,
  tokenHash: string,
): Promise<{ token: RefreshToken; session: Session; user: User } | null> {
  const [row] = await selectTuples(sql, FIND_REFRESH_TOKEN_WITH_SESSION, [tokenHash]);
  if (!row) return null;
  return {
    token: toRefreshToken(tokenAt0(row)),
    session: toSession(sessionAfterToken(row)),
    user: toUser(userAfterTokenAndSession(row)),
  };
}

/**
 * Consuming the presented token and touching its session in one statement where the dialect can:
 * MySQL's multi-table UPDATE (the row count is 0 when another refresh consumed the token first);
 * PostgreSQL chains the consume, the touch and the insert of the next token in one statement with
 * data-modifying CTEs, so a refresh writes in one round trip there. Both refuse a session revoked
 * meanwhile: PostgreSQL's lock (`lockUserWithSession`) holds the user's row only, so a logout (which
 * takes no user lock) can commit between the lock and the rotation.
 */
export const CONSUME_AND_TOUCH = statement(
  'accounts_consume_refresh_token_and_touch',
  `update refresh_tokens t join sessions s on s.id = t.session_id
   set t.consumed_at = ?, s.last_used_at = ?, s.idle_expires_at = ?
   where t.token_hash = ? and t.consumed_at is null and t.session_id = ? and s.revoked_at is null`,
);
export const ROTATE_POSTGRES = statement(
  'accounts_rotate_refresh_token',
  `with consumed as (
     update refresh_tokens set consumed_at = ?::timestamptz
     where token_hash = ? and consumed_at is null
       and session_id in (select id from sessions where id = ? and revoked_at is null)
     returning session_id
   ), touched as (
     update sessions set last_used_at = ?::timestamptz, idle_expires_at = ?::timestamptz
     where id in (select session_id from consumed) returning id
   )
   insert into refresh_tokens (token_hash, session_id, created_at, expires_at)
   select ?, id, ?::timestamptz, ?::timestamptz from touched`,
);

export async function rotateRefreshToken(sql: SqlContext, rotation: RefreshRotation): Promise<boolean> {
  const { consumedTokenHash, at, idleExpiresAt, next } = rotation;
  const consumedAt = dbTime(sql, at);
  if (sql.dialect === 'postgres') {
    const inserted = await changeRows(sql, ROTATE_POSTGRES, [
      consumedAt,
      consumedTokenHash,
      next.sessionId,
      consumedAt,
      dbTime(sql, idleExpiresAt),
      next.tokenHash,
      dbTime(sql, next.createdAt),
      dbTime(sql, next.expiresAt),
    ]);
    return inserted === 1;
  }
  if (sql.dialect === 'mysql') {
    const changed = await changeRows(sql, CONSUME_AND_TOUCH, [
      consumedAt,
      consumedAt,
      dbTime(sql, idleExpiresAt),
      consumedTokenHash,
      next.sessionId,
    ]);
    if (changed === 0) return false;
  } else {
    // SQLite: three local statements; its one writer makes the consume the only decision point.
    const consumed = await changeRows(sql, CONSUME_REFRESH_TOKEN_OF_SESSION, [
      consumedAt,
      consumedTokenHash,
      next.sessionId,
    ]);
    if (consumed !== 1) return false;
    await touchSession(sql, next.sessionId, at, idleExpiresAt);
  }
  await insertRefreshToken(sql, next);
  return true;
}

const CONSUME_REFRESH_TOKEN_OF_SESSION = statement(
  'accounts_consume_refresh_token_of_session',
  `update refresh_tokens set consumed_at = ? where token_hash = ? and consumed_at is null
   and session_id in (select id from sessions where id = ? and revoked_at is null)`,
);
