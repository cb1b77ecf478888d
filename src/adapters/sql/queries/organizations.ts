import type { Membership, MembershipRole, Organization, OrganizationPatch } from '../../../ports/entities';
import type { PageRequest } from '../../../ports/io';
import { count, dbTime, insertUnlessDuplicate, type SqlContext } from '../context';
import { fieldsToDb, toMembership, toOrganization } from '../rows';
import { BY_ID, keysetPage } from './pages';

export async function insertOrganization(sql: SqlContext, organization: Organization): Promise<void> {
  await sql.db('organizations').insert({
    id: organization.id,
    name: organization.name,
    require_mfa: organization.requireMfa,
    created_at: dbTime(sql, organization.createdAt),
    updated_at: dbTime(sql, organization.updatedAt),
    fields: fieldsToDb(organization.fields, 'organization'),
  });
}

export async function findOrganizationById(sql: SqlContext, id: string): Promise<Organization | null> {
  const row = await sql.db('organizations').where({ id }).first();
  return row ? toOrganization(row) : null;
}

/** `findOrganizationById`, locking the row until the transaction ends (SQLite's transactions run one at a time). */
export async function lockOrganization(sql: SqlContext, id: string): Promise<Organization | null> {
  let query = sql.db('organizations').where({ id });
  if (sql.inTransaction && sql.dialect !== 'sqlite') query = query.forUpdate();
  const row = await query.first();
  return row ? toOrganization(row) : null;
}

export async function updateOrganization(sql: SqlContext, id: string, patch: OrganizationPatch): Promise<boolean> {
  const changed = await sql
    .db('organizations')
    .where({ id })
    .update({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.requireMfa === undefined ? {} : { require_mfa: patch.requireMfa }),
      ...(patch.fields === undefined ? {} : { fields: fieldsToDb(patch.fields, 'organization') }),
      updated_at: dbTime(sql, patch.updatedAt),
    });
  return count(changed) > 0;
}

/** Memberships, clients and their restrictions go with it through `ON DELETE CASCADE`, atomically. */
export async function deleteOrganization(sql: SqlContext, id: string): Promise<boolean> {
  return count(await sql.db('organizations').where({ id }).delete()) > 0;
}

export function insertMembership(sql: SqlContext, membership: Membership): Promise<boolean> {
  const row = {
    id: membership.id,
    organization_id: membership.organizationId,
    user_id: membership.userId,
    role: membership.role,
    created_at: dbTime(sql, membership.createdAt),
    fields: fieldsToDb(membership.fields, 'membership'),
  };
  return insertUnlessDuplicate(
    sql,
    'memberships',
    row,
    ['organization_id', 'user_id'],
    'memberships_organization_id_user_id_unique',
  );
}

export async function findMembershipById(sql: SqlContext, id: string): Promise<Membership | null> {
  const row = await sql.db('memberships').where({ id }).first();
  return row ? toMembership(row) : null;
}

export async function findMembership(
  sql: SqlContext,
  organizationId: string,
  userId: string,
): Promise<Membership | null> {
  const row = await sql.db('memberships').where({ organization_id: organizationId, user_id: userId }).first();
  return row ? toMembership(row) : null;
}

export async function listMemberships(sql: SqlContext, organizationId: string): Promise<Membership[]> {
  const rows = await sql.db('memberships').where({ organization_id: organizationId }).orderBy(['created_at', 'id']);
  return rows.map(toMembership);
}

/** Served by `memberships_organization_id_created_at_index` (organization_id, created_at, id). */
export async function listMembershipsPage(
  sql: SqlContext,
  organizationId: string,
  page: PageRequest,
): Promise<Membership[]> {
  const query = sql.db('memberships').where({ organization_id: organizationId });
  return (await keysetPage(sql, query, page, BY_ID, 'asc')).map(toMembership);
}

export async function listMembershipsOfUser(sql: SqlContext, userId: string): Promise<Membership[]> {
  const rows = await sql.db('memberships').where({ user_id: userId }).orderBy(['created_at', 'id']);
  return rows.map(toMembership);
}

/**
 * Inside a transaction the owner rows are locked (`FOR UPDATE`), so of two concurrent demotions the
 * second waits and then sees the first one's result. Rows are counted in JavaScript because
 * PostgreSQL refuses `FOR UPDATE` with an aggregate. SQLite has one writer at a time and no row locks.
 */
export async function countOwners(sql: SqlContext, organizationId: string): Promise<number> {
  const query = sql.db('memberships').where({ organization_id: organizationId, role: 'owner' }).select('id');
  if (sql.inTransaction && sql.dialect !== 'sqlite') query.forUpdate();
  return (await query).length;
}

export async function updateMembershipRole(sql: SqlContext, id: string, role: MembershipRole): Promise<boolean> {
  return count(await sql.db('memberships').where({ id }).update({ role })) > 0;
}

export async function updateMembershipFields(sql: SqlContext, id: string, fields: object): Promise<boolean> {
  const changed = await sql
    .db('memberships')
    .where({ id })
    .update({ fields: fieldsToDb(fields, 'membership') });
  return count(changed) > 0;
}

export async function deleteMembership(sql: SqlContext, id: string): Promise<boolean> {
  return count(await sql.db('memberships').where({ id }).delete()) > 0;
}

export async function deleteMembershipsOfUser(sql: SqlContext, userId: string): Promise<number> {
  return count(await sql.db('memberships').where({ user_id: userId }).delete());
}
