import { customFieldsFromJson, customFieldsToJson } from '../../ports/custom-fields';
import type {
  AccessRestriction,
  AuthMethod,
  Client,
  ClientRole,
  CodePurpose,
  CustomFields,
  LoginEmail,
  Membership,
  MembershipRole,
  Organization,
  RefreshToken,
  RestrictionType,
  Session,
  User,
  UserRole,
  VerificationCode,
} from '../../ports/entities';
import { fromDbTime as time, fromDbTimeOrNull as timeOrNull } from './dialect';

/** A row as the driver returns it: snake_case columns, driver-specific scalar types. */
export type Row = Record<string, unknown>;

/** Roles are stored comma-separated, in their original order; an empty list is an empty string. */
export function rolesToDb(roles: readonly string[]): string {
  return roles.join(',');
}

function roles<R extends string>(value: unknown): R[] {
  const text = String(value ?? '');
  return (text === '' ? [] : text.split(',')) as R[];
}

/**
 * Custom fields as stored: JSON text, or null for an entity inserted without them. Fields JSON cannot
 * carry exactly are refused here, before any statement runs (`InvalidCustomFieldsError`).
 */
export function fieldsToDb(fields: object | undefined, entity: string): string | null {
  return fields === undefined ? null : customFieldsToJson(fields, entity);
}

/** mysql2 may hand a TEXT column of a binary collation over as a Buffer; `String` decodes it as UTF-8. */
function fields(value: unknown): CustomFields {
  return customFieldsFromJson(value === null || value === undefined ? null : String(value));
}

function text(value: unknown): string {
  return String(value);
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export const toUser = (row: Row): User => ({
  id: text(row.id),
  name: text(row.name),
  passwordHash: textOrNull(row.password_hash),
  roles: roles<UserRole>(row.roles),
  createdAt: time(row.created_at),
  updatedAt: time(row.updated_at),
  deletedAt: timeOrNull(row.deleted_at),
  bannedAt: timeOrNull(row.banned_at),
  credentialVersion: Number(row.credential_version ?? 0),
  fields: fields(row.fields),
});

export const toLoginEmail = (row: Row): LoginEmail => ({
  address: text(row.address),
  userId: text(row.user_id),
  verifiedAt: timeOrNull(row.verified_at),
  createdAt: time(row.created_at),
});

export const toVerificationCode = (row: Row): VerificationCode => ({
  id: text(row.id),
  purpose: text(row.purpose) as CodePurpose,
  address: text(row.address),
  state: textOrNull(row.state),
  codeHash: text(row.code_hash),
  attempts: Number(row.attempts),
  createdAt: time(row.created_at),
  expiresAt: time(row.expires_at),
  consumedAt: timeOrNull(row.consumed_at),
  invalidatedAt: timeOrNull(row.invalidated_at),
});

export const toOrganization = (row: Row): Organization => ({
  id: text(row.id),
  name: text(row.name),
  // MySQL answers a TINYINT(1) as 0/1, SQLite an integer, PostgreSQL a boolean.
  requireMfa: Boolean(Number(row.require_mfa)),
  createdAt: time(row.created_at),
  updatedAt: time(row.updated_at),
  fields: fields(row.fields),
});

export const toMembership = (row: Row): Membership => ({
  id: text(row.id),
  organizationId: text(row.organization_id),
  userId: text(row.user_id),
  role: text(row.role) as MembershipRole,
  createdAt: time(row.created_at),
  fields: fields(row.fields),
});

export const toClient = (row: Row): Client => ({
  id: text(row.id),
  organizationId: text(row.organization_id),
  name: text(row.name),
  secretHash: text(row.secret_hash),
  roles: roles<ClientRole>(row.roles),
  reqsPerSec: Number(row.reqs_per_sec),
  createdAt: time(row.created_at),
  updatedAt: time(row.updated_at),
  deletedAt: timeOrNull(row.deleted_at),
  lastUsedAt: timeOrNull(row.last_used_at),
  fields: fields(row.fields),
});

export const toAccessRestriction = (row: Row): AccessRestriction => ({
  id: text(row.id),
  clientId: text(row.client_id),
  type: text(row.type) as RestrictionType,
  value: text(row.value),
  createdAt: time(row.created_at),
});

export const toSession = (row: Row): Session => ({
  id: text(row.id),
  userId: text(row.user_id),
  clientId: textOrNull(row.client_id),
  ip: textOrNull(row.ip),
  userAgent: textOrNull(row.user_agent),
  createdAt: time(row.created_at),
  lastUsedAt: time(row.last_used_at),
  idleExpiresAt: time(row.idle_expires_at),
  expiresAt: time(row.expires_at),
  revokedAt: timeOrNull(row.revoked_at),
  credentialVersion: Number(row.credential_version ?? 0),
  authMethod: (row.auth_method === 'code' || row.auth_method === 'mfa'
    ? row.auth_method
    : 'password') satisfies AuthMethod,
  // Sessions opened before the column existed authenticated when they were created.
  authenticatedAt: time(row.authenticated_at ?? row.created_at),
});

export const toRefreshToken = (row: Row): RefreshToken => ({
  tokenHash: text(row.token_hash),
  sessionId: text(row.session_id),
  createdAt: time(row.created_at),
  expiresAt: time(row.expires_at),
  consumedAt: timeOrNull(row.consumed_at),
});

/** Columns of a table selected under a prefix (`u.id as u__id`), to read two entities from one join. */
export function prefixedColumns(alias: string, columns: readonly string[]): string[] {
  return columns.map((column) => `${alias}.${column} as ${alias}__${column}`);
}

/** The columns of one alias from a joined row, unprefixed. */
export function unprefix(row: Row, alias: string): Row {
  const prefix = `${alias}__`;
  const result: Row = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith(prefix)) result[key.slice(prefix.length)] = value;
  }
  return result;
}

export const USER_COLUMNS = [
  'id',
  'name',
  'password_hash',
  'roles',
  'created_at',
  'updated_at',
  'deleted_at',
  'banned_at',
  'credential_version',
  'fields',
] as const;
export const LOGIN_EMAIL_COLUMNS = ['address', 'user_id', 'verified_at', 'created_at'] as const;
export const SESSION_COLUMNS = [
  'id',
  'user_id',
  'client_id',
  'ip',
  'user_agent',
  'created_at',
  'last_used_at',
  'idle_expires_at',
  'expires_at',
  'revoked_at',
  'credential_version',
  'auth_method',
  'authenticated_at',
] as const;
export const CLIENT_COLUMNS = [
  'id',
  'organization_id',
  'name',
  'secret_hash',
  'roles',
  'reqs_per_sec',
  'created_at',
  'updated_at',
  'deleted_at',
  'last_used_at',
  'fields',
] as const;
export const RESTRICTION_COLUMNS = ['id', 'client_id', 'type', 'value', 'created_at'] as const;
