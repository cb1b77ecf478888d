import type { LoginEmail, Session, User } from '../../../ports/entities';
import type { PageRequest, UserPatch } from '../../../ports/io';
import { count, dbTime, dbTimeOrNull, insertUnlessDuplicate, type SqlContext } from '../context';
import { aliasedColumns, selectTuples, statement, tupleReader } from '../prepared';
import {
  fieldsToDb,
  LOGIN_EMAIL_COLUMNS,
  prefixedColumns,
  type Row,
  rolesToDb,
  SESSION_COLUMNS,
  toLoginEmail,
  toSession,
  toUser,
  USER_COLUMNS,
  unprefix,
} from '../rows';
import { keysetPage } from './pages';

function userRow(sql: SqlContext, user: User): Row {
  return {
    id: user.id,
    name: user.name,
    password_hash: user.passwordHash,
    roles: rolesToDb(user.roles),
    created_at: dbTime(sql, user.createdAt),
    updated_at: dbTime(sql, user.updatedAt),
    deleted_at: dbTimeOrNull(sql, user.deletedAt),
    banned_at: dbTimeOrNull(sql, user.bannedAt),
    credential_version: user.credentialVersion,
    fields: fieldsToDb(user.fields, 'user'),
  };
}

export async function insertUser(sql: SqlContext, user: User): Promise<void> {
  await sql.db('users').insert(userRow(sql, user));
}

export async function findUserById(sql: SqlContext, id: string): Promise<User | null> {
  const row = await sql.db('users').where({ id }).first();
  return row ? toUser(row) : null;
}

const SELECT_USER = `select ${USER_COLUMNS.join(', ')} from users where id = ?`;
const LOCK_USER = statement('accounts_lock_user', `${SELECT_USER} for update`, { sqlite: SELECT_USER });
const READ_USER = statement('accounts_read_user', SELECT_USER);
const userOf = tupleReader(USER_COLUMNS);

/**
 * `FOR UPDATE` inside a transaction (a prepared statement: every login and refresh takes it); SQLite
 * has no row locks, and needs none: its one writer runs alone.
 */
const USER_WITH_SESSION = `${aliasedColumns('u', 'u_', USER_COLUMNS)}, ${aliasedColumns('s', 's_', SESSION_COLUMNS)}
   from users u join sessions s on s.user_id = u.id where u.id = ? and s.id = ?`;
/**
 * The user's row is locked before the session's, as on every path that locks a user and then changes
 * its sessions (a credential change, a login's session cap): MySQL locks the rows of a join in join
 * order, which `straight_join` fixes to the written one; PostgreSQL locks only `u`.
 */
export const LOCK_USER_WITH_SESSION = statement(
  'accounts_lock_user_with_session',
  `select straight_join ${USER_WITH_SESSION} for update`,
  {
    postgres: `select ${USER_WITH_SESSION} for update of u`,
    sqlite: `select ${USER_WITH_SESSION}`,
  },
);
const READ_USER_WITH_SESSION = statement('accounts_read_user_with_session', `select ${USER_WITH_SESSION}`);
const sessionAfterUser = tupleReader(SESSION_COLUMNS, USER_COLUMNS.length);

export async function lockUserWithSession(
  sql: SqlContext,
  userId: string,
  sessionId: string,
): Promise<{ user: User; session: Session } | null> {
  const query = sql.inTransaction ? LOCK_USER_WITH_SESSION : READ_USER_WITH_SESSION;
  const [row] = await selectTuples(sql, query, [userId, sessionId]);
  if (!row) {
    // The user's row must be locked all the same, whatever became of the session.
    if (sql.inTransaction) await lockUser(sql, userId);
    return null;
  }
  return { user: toUser(userOf(row)), session: toSession(sessionAfterUser(row)) };
}

export async function lockUser(sql: SqlContext, id: string): Promise<User | null> {
  const [row] = await selectTuples(sql, sql.inTransaction ? LOCK_USER : READ_USER, [id]);
  return row ? toUser(userOf(row)) : null;
}

export async function findUserByEmail(
  sql: SqlContext,
  address: string,
): Promise<{ user: User; email: LoginEmail } | null> {
  const row: Row | undefined = await sql
    .db('login_emails as e')
    .join('users as u', 'u.id', 'e.user_id')
    .where('e.address', address)
    .first([...prefixedColumns('u', USER_COLUMNS), ...prefixedColumns('e', LOGIN_EMAIL_COLUMNS)]);
  return row ? { user: toUser(unprefix(row, 'u')), email: toLoginEmail(unprefix(row, 'e')) } : null;
}

export async function updateUser(sql: SqlContext, id: string, patch: UserPatch): Promise<boolean> {
  const changes: Row = { updated_at: dbTime(sql, patch.updatedAt) };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.passwordHash !== undefined) changes.password_hash = patch.passwordHash;
  if (patch.roles !== undefined) changes.roles = rolesToDb(patch.roles);
  if (patch.deletedAt !== undefined) changes.deleted_at = dbTimeOrNull(sql, patch.deletedAt);
  if (patch.bannedAt !== undefined) changes.banned_at = dbTimeOrNull(sql, patch.bannedAt);
  if (patch.credentialVersion !== undefined) changes.credential_version = patch.credentialVersion;
  if (patch.fields !== undefined) changes.fields = fieldsToDb(patch.fields, 'user');
  return count(await sql.db('users').where({ id }).update(changes)) > 0;
}

export function insertLoginEmail(sql: SqlContext, email: LoginEmail): Promise<boolean> {
  const row = {
    address: email.address,
    user_id: email.userId,
    verified_at: dbTimeOrNull(sql, email.verifiedAt),
    created_at: dbTime(sql, email.createdAt),
  };
  return insertUnlessDuplicate(sql, 'login_emails', row, ['address'], 'PRIMARY');
}

export async function findLoginEmail(sql: SqlContext, address: string): Promise<LoginEmail | null> {
  const row = await sql.db('login_emails').where({ address }).first();
  return row ? toLoginEmail(row) : null;
}

export async function listLoginEmails(sql: SqlContext, userId: string): Promise<LoginEmail[]> {
  const rows = await sql.db('login_emails').where({ user_id: userId }).orderBy(['created_at', 'address']);
  return rows.map(toLoginEmail);
}

/** Keyed by (created_at, address): the address is the primary key. */
export async function listLoginEmailsPage(sql: SqlContext, userId: string, page: PageRequest): Promise<LoginEmail[]> {
  const query = sql.db('login_emails').where({ user_id: userId });
  const rows = await keysetPage(sql, query, page, { createdAt: 'created_at', id: 'address' }, 'asc');
  return rows.map(toLoginEmail);
}

export async function deleteLoginEmails(sql: SqlContext, userId: string, addresses: string[]): Promise<number> {
  if (addresses.length === 0) return 0;
  return count(await sql.db('login_emails').where({ user_id: userId }).whereIn('address', addresses).delete());
}

export async function deleteAllLoginEmails(sql: SqlContext, userId: string): Promise<number> {
  return count(await sql.db('login_emails').where({ user_id: userId }).delete());
}

export async function markLoginEmailVerified(sql: SqlContext, address: string, at: Date): Promise<boolean> {
  const changed = await sql
    .db('login_emails')
    .where({ address })
    .whereNull('verified_at')
    .update({ verified_at: dbTime(sql, at) });
  return count(changed) > 0;
}

/** One conditional DELETE: an owner who verifies the address meanwhile keeps it. */
export async function releaseUnverifiedLoginEmail(
  sql: SqlContext,
  address: string,
  createdBefore: Date,
): Promise<boolean> {
  const deleted = await sql
    .db('login_emails')
    .where({ address })
    .whereNull('verified_at')
    .where('created_at', '<', dbTime(sql, createdBefore))
    .delete();
  return count(deleted) > 0;
}
