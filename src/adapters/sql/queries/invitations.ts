import type { Invitation, MembershipRole } from '../../../ports/entities';
import type { PageRequest } from '../../../ports/io';
import { count, dbTime, type SqlContext } from '../context';
import { fromDbTime } from '../dialect';
import { prefixedColumns, type Row, unprefix } from '../rows';
import { BY_ID, keysetPage } from './pages';

const INVITATION_COLUMNS = [
  'id',
  'organization_id',
  'address',
  'role',
  'token_hash',
  'invited_by_user_id',
  'invited_by_client_id',
  'created_at',
  'expires_at',
] as const;

const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

function toInvitation(row: Row): Invitation {
  return {
    id: String(row.id),
    organizationId: String(row.organization_id),
    address: String(row.address),
    role: String(row.role) as MembershipRole,
    tokenHash: String(row.token_hash),
    invitedByUserId: textOrNull(row.invited_by_user_id),
    invitedByClientId: textOrNull(row.invited_by_client_id),
    createdAt: fromDbTime(row.created_at),
    expiresAt: fromDbTime(row.expires_at),
  };
}

/**
 * One statement: an upsert on the (organization, address) unique index, so two concurrent invitations
 * of one address leave one row, and the replaced token's hash is gone with it. MySQL's
 * `ON DUPLICATE KEY UPDATE` could also fire on the token hash index, which a fresh 256-bit token never hits.
 */
export async function putInvitation(sql: SqlContext, invitation: Invitation): Promise<void> {
  await sql
    .db('invitations')
    .insert({
      id: invitation.id,
      organization_id: invitation.organizationId,
      address: invitation.address,
      role: invitation.role,
      token_hash: invitation.tokenHash,
      invited_by_user_id: invitation.invitedByUserId,
      invited_by_client_id: invitation.invitedByClientId,
      created_at: dbTime(sql, invitation.createdAt),
      expires_at: dbTime(sql, invitation.expiresAt),
    })
    .onConflict(['organization_id', 'address'])
    .merge();
}

export async function findInvitationById(sql: SqlContext, id: string): Promise<Invitation | null> {
  const row = await sql.db('invitations').where({ id }).first();
  return row ? toInvitation(row) : null;
}

export async function findInvitationByTokenHash(sql: SqlContext, tokenHash: string): Promise<Invitation | null> {
  const row = await sql.db('invitations').where({ token_hash: tokenHash }).first();
  return row ? toInvitation(row) : null;
}

export async function findInvitationFor(
  sql: SqlContext,
  organizationId: string,
  address: string,
): Promise<Invitation | null> {
  const row = await sql.db('invitations').where({ organization_id: organizationId, address }).first();
  return row ? toInvitation(row) : null;
}

export async function listInvitations(sql: SqlContext, organizationId: string, now: Date): Promise<Invitation[]> {
  const rows = await sql
    .db('invitations')
    .where({ organization_id: organizationId })
    .where('expires_at', '>', dbTime(sql, now))
    .orderBy(['created_at', 'id']);
  return rows.map(toInvitation);
}

export async function listInvitationsPage(
  sql: SqlContext,
  organizationId: string,
  now: Date,
  page: PageRequest,
): Promise<Invitation[]> {
  const query = sql
    .db('invitations')
    .where({ organization_id: organizationId })
    .where('expires_at', '>', dbTime(sql, now));
  return (await keysetPage(sql, query, page, BY_ID, 'asc')).map(toInvitation);
}

/** One join, one page: the organization's name comes with each invitation. */
export async function listInvitationsTo(
  sql: SqlContext,
  addresses: string[],
  now: Date,
  page: PageRequest,
): Promise<Array<{ invitation: Invitation; organizationName: string }>> {
  if (addresses.length === 0) return [];
  const query = sql
    .db('invitations as i')
    .join('organizations as o', 'o.id', 'i.organization_id')
    .select([...prefixedColumns('i', INVITATION_COLUMNS), 'o.name as organization_name'])
    .whereIn('i.address', addresses)
    .where('i.expires_at', '>', dbTime(sql, now));
  const rows: Row[] = await keysetPage(sql, query, page, { createdAt: 'i.created_at', id: 'i.id' }, 'asc');
  return rows.map((row) => ({
    invitation: toInvitation(unprefix(row, 'i')),
    organizationName: String(row.organization_name),
  }));
}

/** The delete's affected-row count decides the one winner of concurrent acceptances. */
export async function consumeInvitation(sql: SqlContext, id: string, now: Date): Promise<boolean> {
  return count(await sql.db('invitations').where({ id }).where('expires_at', '>', dbTime(sql, now)).delete()) === 1;
}

export async function deleteInvitation(sql: SqlContext, id: string): Promise<boolean> {
  return count(await sql.db('invitations').where({ id }).delete()) === 1;
}
