import type { AccessRestriction, Client } from '../../../ports/entities';
import type { ClientPatch, PageRequest } from '../../../ports/io';
import { count, dbTime, dbTimeOrNull, type SqlContext } from '../context';
import { aliasedColumns, selectTuples, statement, tupleReader } from '../prepared';
import {
  CLIENT_COLUMNS,
  fieldsToDb,
  RESTRICTION_COLUMNS,
  type Row,
  rolesToDb,
  toAccessRestriction,
  toClient,
} from '../rows';
import { BY_ID, keysetPage } from './pages';

export async function insertClient(sql: SqlContext, client: Client): Promise<void> {
  await sql.db('clients').insert({
    id: client.id,
    organization_id: client.organizationId,
    name: client.name,
    secret_hash: client.secretHash,
    roles: rolesToDb(client.roles),
    reqs_per_sec: client.reqsPerSec,
    created_at: dbTime(sql, client.createdAt),
    updated_at: dbTime(sql, client.updatedAt),
    deleted_at: dbTimeOrNull(sql, client.deletedAt),
    last_used_at: dbTimeOrNull(sql, client.lastUsedAt),
    fields: fieldsToDb(client.fields, 'client'),
  });
}

export async function findClientById(sql: SqlContext, id: string): Promise<Client | null> {
  const row = await sql.db('clients').where({ id }).first();
  return row ? toClient(row) : null;
}

const clientOf = tupleReader(CLIENT_COLUMNS);
const restrictionOf = tupleReader(RESTRICTION_COLUMNS, CLIENT_COLUMNS.length);

export const FIND_CLIENT_WITH_RESTRICTIONS = statement(
  'accounts_find_client_with_restrictions',
  `select ${aliasedColumns('c', 'c_', CLIENT_COLUMNS)}, ${aliasedColumns('r', 'r_', RESTRICTION_COLUMNS)}
   from clients c left join access_restrictions r on r.client_id = c.id
   where c.id = ? order by r.created_at, r.id`,
);

/**
 * Key authentication runs this on every request carrying a key: one query, the client joined to its
 * restrictions (a client has a handful, so repeating the client columns costs little), a prepared
 * statement (see `prepared.ts`).
 */
export async function findClientWithRestrictions(
  sql: SqlContext,
  id: string,
): Promise<{ client: Client; restrictions: AccessRestriction[] } | null> {
  const rows = await selectTuples(sql, FIND_CLIENT_WITH_RESTRICTIONS, [id]);
  if (rows.length === 0) return null;
  const restrictions = rows
    .filter((row) => row[CLIENT_COLUMNS.length] !== null)
    .map((row) => toAccessRestriction(restrictionOf(row)));
  return { client: toClient(clientOf(rows[0]!)), restrictions };
}

export async function listClients(sql: SqlContext, organizationId: string): Promise<Client[]> {
  const rows = await sql
    .db('clients')
    .where({ organization_id: organizationId })
    .whereNull('deleted_at')
    .orderBy(['created_at', 'id']);
  return rows.map(toClient);
}

/** Live clients only; `clients_organization_id_index` (organization_id, created_at) serves the range. */
export async function listClientsPage(sql: SqlContext, organizationId: string, page: PageRequest): Promise<Client[]> {
  const query = sql.db('clients').where({ organization_id: organizationId }).whereNull('deleted_at');
  return (await keysetPage(sql, query, page, BY_ID, 'asc')).map(toClient);
}

export async function updateClient(sql: SqlContext, id: string, patch: ClientPatch): Promise<boolean> {
  const changes: Row = { updated_at: dbTime(sql, patch.updatedAt) };
  if (patch.name !== undefined) changes.name = patch.name;
  if (patch.secretHash !== undefined) changes.secret_hash = patch.secretHash;
  if (patch.roles !== undefined) changes.roles = rolesToDb(patch.roles);
  if (patch.reqsPerSec !== undefined) changes.reqs_per_sec = patch.reqsPerSec;
  if (patch.deletedAt !== undefined) changes.deleted_at = dbTimeOrNull(sql, patch.deletedAt);
  if (patch.fields !== undefined) changes.fields = fieldsToDb(patch.fields, 'client');
  return count(await sql.db('clients').where({ id }).update(changes)) > 0;
}

/** Conditional, so instances authenticating the same key write `last_used_at` once per interval. */
export async function touchClientLastUsed(sql: SqlContext, id: string, at: Date, staleBefore: Date): Promise<boolean> {
  const changed = await sql
    .db('clients')
    .where({ id })
    .where((stale) => stale.whereNull('last_used_at').orWhere('last_used_at', '<', dbTime(sql, staleBefore)))
    .update({ last_used_at: dbTime(sql, at) });
  return count(changed) === 1;
}

export async function insertAccessRestrictions(sql: SqlContext, restrictions: AccessRestriction[]): Promise<void> {
  if (restrictions.length === 0) return;
  await sql.db('access_restrictions').insert(
    restrictions.map((restriction) => ({
      id: restriction.id,
      client_id: restriction.clientId,
      type: restriction.type,
      value: restriction.value,
      created_at: dbTime(sql, restriction.createdAt),
    })),
  );
}

export async function listAccessRestrictions(sql: SqlContext, clientId: string): Promise<AccessRestriction[]> {
  const rows = await sql.db('access_restrictions').where({ client_id: clientId }).orderBy(['created_at', 'id']);
  return rows.map(toAccessRestriction);
}

export async function listAccessRestrictionsPage(
  sql: SqlContext,
  clientId: string,
  page: PageRequest,
): Promise<AccessRestriction[]> {
  const query = sql.db('access_restrictions').where({ client_id: clientId });
  return (await keysetPage(sql, query, page, BY_ID, 'asc')).map(toAccessRestriction);
}

export async function deleteAccessRestrictions(sql: SqlContext, clientId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return count(await sql.db('access_restrictions').where({ client_id: clientId }).whereIn('id', ids).delete());
}
