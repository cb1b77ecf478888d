import * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type {
  Membership,
  MembershipRole,
  Organization,
  OrganizationPatch,
  PublicMembership,
  PublicOrganization,
} from '../ports/entities';
import type { Io } from '../ports/io';
import {
  canReadEverything,
  forbiddenFor,
  hiddenFrom,
  isSystemCaller,
  roleAtLeast,
  roleInOrganization,
} from './authorization';
import { decode, MembershipRoleCodec, Name, Opaque, struct } from './codecs';
import type { Caller, Deps } from './context';
import { splitFields, storable, withFields } from './custom-fields';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, recordEvent } from './event-log';
import { checkOrganizationMfa, hasTwoFactorSession } from './organization-mfa';
import { decodePageRequest, keyById, type Page, type PageInput, toPage } from './pagination';
import { requireRecentAuthentication } from './step-up';
import { toPublicMembership, toPublicOrganization } from './views';

/** `POST /organizations`. */
export const CreateOrganizationInput = struct('CreateOrganizationInput', { name: Name });
export type CreateOrganizationInput = t.TypeOf<typeof CreateOrganizationInput>;

/** `PATCH /organizations/:id`: a new name (admins), whether two-factor is required (owners), or both. */
export const UpdateOrganizationInput = struct('UpdateOrganizationInput', {}, { name: Name, requireMfa: t.boolean });
export type UpdateOrganizationInput = t.TypeOf<typeof UpdateOrganizationInput>;

/** `POST /organizations/:id/memberships`. */
export const AddMembershipInput = struct('AddMembershipInput', { userId: Opaque, role: MembershipRoleCodec });
export type AddMembershipInput = t.TypeOf<typeof AddMembershipInput>;

/** `PATCH /memberships/:id`. */
export const ChangeMembershipRoleInput = struct('ChangeMembershipRoleInput', { role: MembershipRoleCodec });
export type ChangeMembershipRoleInput = t.TypeOf<typeof ChangeMembershipRoleInput>;

/** An organization and the caller's role in it (null for employees who only read). */
export interface OrganizationAccess {
  organization: Organization;
  role: MembershipRole | null;
}

/**
 * Loads an organization the caller may see: members, employees and system callers. Anyone else gets
 * NOT_FOUND, so an organization's existence leaks to no outsider; no credentials at all is
 * UNAUTHENTICATED. A client key without a user has no membership, so it sees nothing here unless it
 * is a `system` client. A member of an organization that requires two-factor gets
 * `MFA_REQUIRED_BY_ORGANIZATION` without a two-factor session (`checkOrganizationMfa`): every route of
 * the organization comes through here, except a member leaving it.
 */
export async function authorizeOrganizationRead(
  io: Io,
  caller: Caller,
  organizationId: string,
): Promise<Result<OrganizationAccess, AccountsError>> {
  if (!caller.user && !caller.client) return fail('UNAUTHENTICATED');
  const organization = await io.findOrganizationById(organizationId);
  if (!organization) return fail('NOT_FOUND');
  const role = await roleInOrganization(io, caller, organizationId);
  if (role === null && !canReadEverything(caller)) return hiddenFrom(caller);
  // Employees who read without a membership are staff, not members: the organization's rule is for its members.
  if (role !== null) {
    const twoFactor = await checkOrganizationMfa(io, caller, organization);
    if (twoFactor.err) return twoFactor;
  }
  return Ok({ organization, role });
}

/**
 * Like `authorizeOrganizationRead`, and the caller's role must be at least `minimum` (system callers
 * count as owners): those who may see the organization but lack the role get FORBIDDEN.
 */
export async function authorizeOrganizationRole(
  io: Io,
  caller: Caller,
  organizationId: string,
  minimum: MembershipRole,
): Promise<Result<{ organization: Organization; role: MembershipRole }, AccountsError>> {
  const access = await authorizeOrganizationRead(io, caller, organizationId);
  if (access.err) return access;
  const { organization, role } = access.val;
  if (role === null || !roleAtLeast(role, minimum)) return forbiddenFor(caller);
  return Ok({ organization, role });
}

function notAbove(field: string, message: string): Result<never, AccountsError> {
  return fail('FORBIDDEN', { details: [{ path: field, message }] });
}

/** Organizations and memberships (docs/security-rules.md §2, §6): who belongs, with which role, and the owner rules. */
export class OrganizationService {
  constructor(private readonly deps: Deps) {}

  /**
   * Creates an organization owned by the calling user (organization and owner membership in one
   * transaction). A caller without a user (a client key alone, even a system one) gets UNAUTHENTICATED:
   * an organization must always have an owner.
   */
  async create(caller: Caller, input: CreateOrganizationInput): Promise<Result<PublicOrganization, AccountsError>> {
    const { lib } = this.deps;
    const user = caller.user;
    if (!user) return fail('UNAUTHENTICATED');
    const decoded = decode(withFields(CreateOrganizationInput, this.deps.fields?.organization, 'create'), input);
    if (decoded.err) return decoded;
    const { custom } = splitFields(decoded.val, this.deps.fields?.organization);
    const fitting = storable('organization', custom ?? {}, this.deps.fields?.organization);
    if (fitting.err) return fitting;

    const now = lib.now();
    const organization: Organization = {
      id: lib.newId('organization'),
      name: decoded.val.name,
      requireMfa: false,
      createdAt: now,
      updatedAt: now,
      fields: custom ?? {},
    };
    const owner: Membership = {
      id: lib.newId('membership'),
      organizationId: organization.id,
      userId: user.id,
      role: 'owner',
      createdAt: now,
      fields: {},
    };
    return inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      await tx.insertOrganization(organization);
      if (!(await tx.insertMembership(owner))) throw new Error('A new organization already had a membership');
      recordMembershipChanged(tx, now, owner, 'added', 'owner');
      return Ok(toPublicOrganization(organization));
    });
  }

  /** Members, employees and system callers. */
  async get(caller: Caller, organizationId: string): Promise<Result<PublicOrganization, AccountsError>> {
    const access = await authorizeOrganizationRead(this.deps.io, caller, organizationId);
    if (access.err) return access;
    return Ok(toPublicOrganization(access.val.organization));
  }

  /**
   * Admins and owners rename the organization. Only owners (and system callers) turn the two-factor
   * requirement on or off, after a recent login (step-up: turning it off weakens every member's
   * account at once); turning it on asks the owner's own session to meet it first, so an owner
   * cannot lock themselves out of their organization.
   */
  async update(
    caller: Caller,
    organizationId: string,
    input: UpdateOrganizationInput,
  ): Promise<Result<PublicOrganization, AccountsError>> {
    const { io, lib } = this.deps;
    const access = await authorizeOrganizationRole(io, caller, organizationId, 'admin');
    if (access.err) return access;
    const decoded = decode(withFields(UpdateOrganizationInput, this.deps.fields?.organization, 'patch'), input);
    if (decoded.err) return decoded;
    const { own, custom } = splitFields(decoded.val, this.deps.fields?.organization);
    const { name, requireMfa } = own;
    if (name === undefined && requireMfa === undefined && custom === undefined) {
      return fail('VALIDATION_FAILED', { details: [{ path: 'name', message: 'give `name`, `requireMfa` or both' }] });
    }
    const { organization, role } = access.val;
    const mfaChange = requireMfa !== undefined && requireMfa !== organization.requireMfa;
    if (mfaChange) {
      if (role !== 'owner') return notAbove('requireMfa', 'only owners may change the two-factor requirement');
      const recent = await requireRecentAuthentication(this.deps, caller);
      if (recent.err) return recent;
      if (requireMfa && !isSystemCaller(caller)) {
        const own = await hasTwoFactorSession(io, caller);
        if (own.err) return own;
      }
    }

    const patch: OrganizationPatch = { updatedAt: lib.now() };
    if (name !== undefined) patch.name = name;
    if (mfaChange) patch.requireMfa = requireMfa;
    const updated = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      // Locked: two changes of different custom fields both land.
      const current = await tx.lockOrganization(organizationId);
      if (!current) return fail('NOT_FOUND');
      if (custom !== undefined) {
        const merged = storable('organization', { ...current.fields, ...custom }, this.deps.fields?.organization);
        if (merged.err) return merged;
        patch.fields = merged.val;
      }
      if (!(await tx.updateOrganization(organizationId, patch))) return fail('NOT_FOUND');
      if (mfaChange) {
        recordEvent(tx, {
          type: 'organization.mfa_requirement_changed',
          at: patch.updatedAt,
          organizationId,
          requireMfa,
          byUserId: caller.user?.id ?? null,
          byClientId: caller.client?.id ?? null,
        });
      }
      return Ok(undefined);
    });
    if (updated.err) return updated;
    return Ok(toPublicOrganization({ ...organization, ...patch }));
  }

  /**
   * Owners delete the organization with its memberships, invitations, clients and their restrictions; one that
   * holds a `system` client only a sysadmin or a system client may delete.
   */
  async delete(caller: Caller, organizationId: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const access = await authorizeOrganizationRole(io, caller, organizationId, 'owner');
    if (access.err) return access;
    const recent = await requireRecentAuthentication(this.deps, caller);
    if (recent.err) return recent;
    // What goes with the organization is listed in the transaction that deletes it, so that what is
    // reported (docs/security-rules.md §9) is what goes, and nothing that survives. A client or membership committed by
    // a concurrent request between the listing and the delete goes too without being reported: the
    // port has no row lock to close that window (see docs/decisions.md, "Cascades").
    const removed = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const clients = await tx.listClients(organizationId);
      // Deleting a system client is managing it (docs/security-rules.md §5): only system callers may, with its organization too.
      if (!isSystemCaller(caller) && clients.some((client) => client.roles.includes('system'))) {
        return fail('FORBIDDEN', {
          message: 'This organization holds a system client: only a sysadmin may delete it.',
        });
      }
      const memberships = await tx.listMemberships(organizationId);
      const invitations = await tx.listInvitations(organizationId, lib.now());
      if (!(await tx.deleteOrganization(organizationId))) return fail('NOT_FOUND');
      const at = lib.now();
      recordEvent(tx, { type: 'organization.deleted', at, organizationId });
      for (const client of clients) {
        if (client.deletedAt === null)
          recordEvent(tx, { type: 'client.deleted', at, clientId: client.id, organizationId });
      }
      for (const membership of memberships) recordMembershipChanged(tx, at, membership, 'removed', null);
      for (const invitation of invitations) {
        const { id: invitationId, address } = invitation;
        const by = { byUserId: caller.user?.id ?? null, byClientId: caller.client?.id ?? null };
        recordEvent(tx, {
          type: 'invitation.revoked',
          at,
          invitationId,
          organizationId,
          address,
          reason: 'organization_deleted',
          ...by,
        });
      }
      return Ok(undefined);
    });
    if (removed.err) return removed;
    return Ok(undefined);
  }

  /** Members, employees and system callers list the memberships, oldest first, a page at a time. */
  async listMemberships(
    caller: Caller,
    organizationId: string,
    page?: PageInput,
  ): Promise<Result<Page<PublicMembership>, AccountsError>> {
    const { io } = this.deps;
    const request = decodePageRequest(page);
    if (request.err) return request;
    const access = await authorizeOrganizationRead(io, caller, organizationId);
    if (access.err) return access;
    return Ok(
      toPage(await io.listMembershipsPage(organizationId, request.val), request.val, keyById, toPublicMembership),
    );
  }

  /**
   * Admins add members and admins; only owners (and system callers) add owners: nobody grants a role
   * above their own. An unknown or deleted user is a VALIDATION_FAILED on `userId` (the organization
   * exists; the body is what is wrong).
   */
  async addMembership(
    caller: Caller,
    organizationId: string,
    input: AddMembershipInput,
  ): Promise<Result<PublicMembership, AccountsError>> {
    const { lib } = this.deps;
    const codec = withFields(AddMembershipInput, this.deps.fields?.membership, 'create');
    const granted = await this.recentLoginToGrant(caller, codec, input);
    if (granted.err) return granted;
    return inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      // The organization's row orders its membership changes (and their events).
      await tx.lockOrganization(organizationId);
      const access = await authorizeOrganizationRole(tx, caller, organizationId, 'admin');
      if (access.err) return access;
      const decoded = decode(codec, input);
      if (decoded.err) return decoded;
      const { own, custom } = splitFields(decoded.val, this.deps.fields?.membership);
      const { userId, role } = own;
      const fitting = storable('membership', custom ?? {}, this.deps.fields?.membership);
      if (fitting.err) return fitting;
      if (!roleAtLeast(access.val.role, role)) return notAbove('role', 'cannot grant a role above your own');

      const user = await tx.findUserById(userId);
      if (!user || user.deletedAt !== null) {
        return fail('VALIDATION_FAILED', { details: [{ path: 'userId', message: 'no such user' }] });
      }
      const membership: Membership = {
        id: lib.newId('membership'),
        organizationId,
        userId,
        role,
        createdAt: lib.now(),
        fields: custom ?? {},
      };
      if (!(await tx.insertMembership(membership))) return fail('ALREADY_MEMBER');
      recordMembershipChanged(tx, membership.createdAt, membership, 'added', membership.role);
      return Ok(toPublicMembership(membership));
    });
  }

  /**
   * Admins move people between `member` and `admin`; only owners touch owners (promote to or demote
   * from `owner`). The last owner cannot be demoted: owners are counted inside the transaction, where
   * SQL stores lock the owner rows, so two concurrent demotions cannot both succeed.
   */
  async changeMembershipRole(
    caller: Caller,
    membershipId: string,
    input: ChangeMembershipRoleInput,
  ): Promise<Result<PublicMembership, AccountsError>> {
    if (!caller.user && !caller.client) return fail('UNAUTHENTICATED');
    // One codec for the step-up check and the change: a body the check misread must not pass it.
    const codec = withFields(ChangeMembershipRoleInput, this.deps.fields?.membership, 'patch');
    const granted = await this.recentLoginToGrant(caller, codec, input);
    if (granted.err) return granted;
    const result = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const found = await tx.findMembershipById(membershipId);
      if (!found) return fail('NOT_FOUND');
      // The organization's row is the lock of its memberships: read again under it.
      await tx.lockOrganization(found.organizationId);
      const membership = await tx.findMembershipById(membershipId);
      if (!membership) return fail('NOT_FOUND');
      const access = await authorizeOrganizationRole(tx, caller, membership.organizationId, 'admin');
      if (access.err) return access;
      const decoded = decode(codec, input);
      if (decoded.err) return decoded;
      const { own, custom } = splitFields(decoded.val, this.deps.fields?.membership);
      const { role } = own;
      const merged = storable(
        'membership',
        custom === undefined ? membership.fields : { ...membership.fields, ...custom },
        this.deps.fields?.membership,
      );
      if (merged.err) return merged;
      const fields = merged.val;
      if (custom !== undefined && !(await tx.updateMembershipFields(membershipId, fields))) return fail('NOT_FOUND');

      if (access.val.role !== 'owner' && (membership.role === 'owner' || role === 'owner')) {
        return notAbove('role', 'only owners may grant or take away the owner role');
      }
      if (membership.role === role) return Ok(toPublicMembership({ ...membership, fields }));
      if (membership.role === 'owner' && (await tx.countOwners(membership.organizationId)) <= 1) {
        return fail('LAST_OWNER');
      }
      if (!(await tx.updateMembershipRole(membershipId, role))) return fail('NOT_FOUND');
      recordMembershipChanged(tx, this.deps.lib.now(), membership, 'role_changed', role);
      return Ok(toPublicMembership({ ...membership, role, fields }));
    });
    return result;
  }

  /**
   * Members may leave; admins remove members and admins; owners (and system callers) also remove
   * owners. The last owner can neither leave nor be removed.
   */
  async removeMembership(caller: Caller, membershipId: string): Promise<Result<void, AccountsError>> {
    if (!caller.user && !caller.client) return fail('UNAUTHENTICATED');
    const result = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const membership = await tx.findMembershipById(membershipId);
      if (!membership) return fail('NOT_FOUND');
      const leaving = caller.user?.id === membership.userId;
      if (!leaving) {
        const needed: MembershipRole = membership.role === 'owner' ? 'owner' : 'admin';
        const access = await authorizeOrganizationRole(tx, caller, membership.organizationId, needed);
        if (access.err) return access;
      }
      if (membership.role === 'owner' && (await tx.countOwners(membership.organizationId)) <= 1) {
        return fail('LAST_OWNER');
      }
      if (!(await tx.deleteMembership(membershipId))) return fail('NOT_FOUND');
      recordMembershipChanged(tx, this.deps.lib.now(), membership, 'removed', null);
      return Ok(undefined);
    });
    return result;
  }

  /**
   * Granting admin or owner needs a recent login (step-up): an admin can mint keys, so handing the
   * role to an account of one's own is a key rotation by another door. Checked before the
   * transaction (the session is read through the pool); bad input is left to the decode inside.
   */
  private async recentLoginToGrant(
    caller: Caller,
    codec: t.Decoder<unknown, { role: MembershipRole }>,
    input: unknown,
  ): Promise<Result<void, AccountsError>> {
    const decoded = codec.decode(input);
    if (decoded._tag === 'Left' || decoded.right.role === 'member') return Ok(undefined);
    return requireRecentAuthentication(this.deps, caller);
  }
}

/**
 * Records a membership's change in the transaction making it (docs/security-rules.md §9); `role` is the
 * role it has afterwards (null once removed).
 */
export function recordMembershipChanged(
  tx: Io,
  at: Date,
  membership: Pick<Membership, 'organizationId' | 'userId'>,
  change: 'added' | 'role_changed' | 'removed',
  role: MembershipRole | null,
): void {
  recordEvent(tx, {
    type: 'membership.changed',
    at,
    organizationId: membership.organizationId,
    userId: membership.userId,
    change,
    role,
  });
}
