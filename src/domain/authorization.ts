import { Ok, type Result } from 'ts-results';
import { MEMBERSHIP_ROLES, type Membership, type MembershipRole } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Caller, CallerUser } from './context';
import { type AccountsError, fail } from './errors';

/**
 * Permission checks shared by the services (docs/security-rules.md §6). Services call these and answer FORBIDDEN or
 * NOT_FOUND themselves; handlers never decide who may do what.
 */

/** Sysadmin users and system clients may do everything. */
export function isSystemCaller(caller: Caller): boolean {
  return Boolean(caller.user?.roles.includes('sysadmin') || caller.client?.roles.includes('system'));
}

/** Employees (and system callers) may read everything. */
export function canReadEverything(caller: Caller): boolean {
  return isSystemCaller(caller) || Boolean(caller.user?.roles.includes('employee'));
}

/** True when the caller is this user. */
export function isSelf(caller: Caller, userId: string): caller is Caller & { user: CallerUser } {
  return caller.user?.id === userId;
}

/** Whether `role` is at least `minimum` in member < admin < owner. */
export function roleAtLeast(role: MembershipRole, minimum: MembershipRole): boolean {
  return MEMBERSHIP_ROLES.indexOf(role) >= MEMBERSHIP_ROLES.indexOf(minimum);
}

/**
 * The caller's role in an organization: `owner` for system callers (they may do everything), else the
 * higher of the user's membership role and `member` for an `internal` client of that organization
 * (a first-party service reads its own organization); null when neither holds one.
 */
export async function roleInOrganization(
  io: Io,
  caller: Caller,
  organizationId: string,
): Promise<MembershipRole | null> {
  if (isSystemCaller(caller)) return 'owner';
  const clientRole: MembershipRole | null =
    caller.client?.organizationId === organizationId && caller.client.roles.includes('internal') ? 'member' : null;
  if (!caller.user) return clientRole;
  const membership: Membership | null = await io.findMembership(organizationId, caller.user.id);
  const userRole = membership?.role ?? null;
  if (userRole === null || clientRole === null) return userRole ?? clientRole;
  return roleAtLeast(userRole, clientRole) ? userRole : clientRole;
}

/**
 * The answer for a caller who may not see a resource: NOT_FOUND, so they learn nothing about it (not
 * even that it exists), or UNAUTHENTICATED when they gave no credentials at all.
 */
export function hiddenFrom(caller: Caller): Result<never, AccountsError> {
  return fail(caller.user || caller.client ? 'NOT_FOUND' : 'UNAUTHENTICATED');
}

/** The answer for a caller who may see a resource but not do this to it. */
export function forbiddenFor(caller: Caller): Result<never, AccountsError> {
  return fail(caller.user || caller.client ? 'FORBIDDEN' : 'UNAUTHENTICATED');
}

/**
 * Actions on a user's own account: allowed to the user and to system callers. Employees, who can see
 * every user, get FORBIDDEN; everyone else NOT_FOUND.
 */
export function checkSelfOrSystem(caller: Caller, userId: string): Result<void, AccountsError> {
  if (isSelf(caller, userId) || isSystemCaller(caller)) return Ok(undefined);
  return canReadEverything(caller) ? forbiddenFor(caller) : hiddenFrom(caller);
}
