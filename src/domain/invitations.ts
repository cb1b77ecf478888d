import type * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import type {
  Invitation,
  Membership,
  Organization,
  PublicInvitation,
  PublicMembership,
  ReceivedInvitation,
} from '../ports/entities';
import type { AccountsEvent } from '../ports/events';
import type { Io } from '../ports/io';
import type { AccountsConfig } from '../ports/lib';
import { canReadEverything, forbiddenFor, hiddenFrom, isSelf, roleAtLeast } from './authorization';
import { decode, Email, MembershipRoleCodec, Opaque, struct } from './codecs';
import { addMs, type Caller, type Deps, type RequestInfo } from './context';
import { type AccountsError, fail } from './errors';
import { actorOf, inTransactionWithEvents, publishEvents, recordEvent } from './event-log';
import { firstLimitPassed, forgive, type Limit, perIpLimit } from './limits';
import { checkOrganizationMfa } from './organization-mfa';
import { authorizeOrganizationRead, authorizeOrganizationRole, recordMembershipChanged } from './organizations';
import { decodePageRequest, emptyPage, keyById, type Page, type PageInput, toPage } from './pagination';
import { requireRecentAuthentication } from './step-up';
import { resolveUserId } from './user-ref';
import { toPublicMembership } from './views';

/** `POST /organizations/:id/invitations`. */
export const CreateInvitationInput = struct('CreateInvitationInput', { email: Email, role: MembershipRoleCodec });
export type CreateInvitationInput = t.TypeOf<typeof CreateInvitationInput>;

/** `POST /invitations/accept`. */
export const AcceptInvitationInput = struct('AcceptInvitationInput', { token: Opaque });
export type AcceptInvitationInput = t.TypeOf<typeof AcceptInvitationInput>;

/** What an acceptance gives: the membership, and whether it is new (false: the user already was a member). */
export interface AcceptedInvitation {
  membership: PublicMembership;
  joined: boolean;
}

/** An invitation without its token hash, as the organization's admins see it. */
export function toPublicInvitation(invitation: Invitation): PublicInvitation {
  return {
    id: invitation.id,
    organizationId: invitation.organizationId,
    email: invitation.address,
    role: invitation.role,
    invitedByUserId: invitation.invitedByUserId,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
  };
}

/**
 * Limits on sending invitations (docs/security-rules.md §7): per organization per day and per inviter
 * per hour, so neither a compromised admin nor a script can turn the organization into a mailer.
 */
export function invitationSendLimits(config: AccountsConfig, organizationId: string, inviter: string): Limit[] {
  return [
    {
      key: `invitation-send:org:${organizationId}`,
      limit: config.invitationsPerOrganization,
      windowMs: config.invitationsPerOrganizationWindowMs,
    },
    {
      key: `invitation-send:inviter:${inviter}`,
      limit: config.invitationsPerInviter,
      windowMs: config.invitationsPerInviterWindowMs,
    },
  ];
}

/** Limits on presenting invitation tokens: per user and per IP, attempts counted, successes given back. */
export function invitationAcceptLimits(config: AccountsConfig, userId: string, ip: string | null): Limit[] {
  const windowMs = config.invitationAcceptWindowMs;
  return [
    { key: `invitation-accept:user:${userId}`, limit: config.invitationAcceptsPerUser, windowMs },
    ...perIpLimit(config, 'invitation-accept', ip, config.invitationAcceptsPerIp, windowMs),
  ];
}

/**
 * Whether whoever created the invitation could still grant its role in its organization: a `system`
 * client that is still one, or a live, unbanned user who is a sysadmin or still holds a role at least
 * the invited one there. Checked at acceptance: nobody obtains more than their grantor holds
 * (docs/security-rules.md §6), even after the grantor was demoted or removed.
 */
export async function grantorStillGrants(io: Io, invitation: Invitation): Promise<boolean> {
  if (invitation.invitedByClientId !== null) {
    const client = await io.findClientById(invitation.invitedByClientId);
    if (client && client.deletedAt === null && client.roles.includes('system')) return true;
  }
  if (invitation.invitedByUserId === null) return false;
  const user = await io.findUserById(invitation.invitedByUserId);
  if (!user || user.deletedAt !== null || user.bannedAt !== null) return false;
  if (user.roles.includes('sysadmin')) return true;
  const membership = await io.findMembership(invitation.organizationId, user.id);
  return membership !== null && roleAtLeast(membership.role, invitation.role);
}

/** Whether `userId` holds `address` as a verified login email: what accepting an invitation requires. */
async function holdsVerified(io: Io, userId: string, address: string): Promise<boolean> {
  const email = await io.findLoginEmail(address);
  return email !== null && email.userId === userId && email.verifiedAt !== null;
}

/**
 * Organization invitations (docs/security-rules.md §6, invitations): an admin invites an address with a
 * role; the person holding that address verified accepts with the emailed token and becomes a member.
 */
export class InvitationService {
  constructor(private readonly deps: Deps) {}

  /**
   * Admins invite members and admins, owners (and system callers) also owners: nobody invites to a role
   * above their own. A new token (256 random bits, stored as SHA-256) is emailed; an earlier invitation
   * to the address is replaced and its token dies (only by a caller who could have sent it: an admin
   * cannot replace an open invitation of an owner). An address whose holder is already a member is
   * ALREADY_MEMBER (admins can list the members anyway). Past a send limit: RATE_LIMITED.
   */
  async create(
    caller: Caller,
    organizationId: string,
    input: CreateInvitationInput,
  ): Promise<Result<PublicInvitation, AccountsError>> {
    const { io, lib } = this.deps;
    const access = await authorizeOrganizationRole(io, caller, organizationId, 'admin');
    if (access.err) return access;
    const decoded = decode(CreateInvitationInput, input);
    if (decoded.err) return decoded;
    const { email: address, role } = decoded.val;
    if (!roleAtLeast(access.val.role, role)) {
      return fail('FORBIDDEN', { details: [{ path: 'role', message: 'cannot invite to a role above your own' }] });
    }
    // Inviting an admin or owner hands out what a key rotation does and more: a recent login.
    if (role !== 'member') {
      const recent = await requireRecentAuthentication(this.deps, caller);
      if (recent.err) return recent;
    }
    if (await this.holderIsMember(io, organizationId, address)) return fail('ALREADY_MEMBER');

    // Counted once the caller proved they may invite, so outsiders cannot spend an organization's budget.
    const byClientId = caller.client?.roles.includes('system') ? caller.client.id : null;
    const byUserId = caller.user?.id ?? null;
    const inviter = byUserId !== null ? `user:${byUserId}` : `client:${caller.client?.id ?? ''}`;
    const limited = await firstLimitPassed(this.deps, invitationSendLimits(lib.config, organizationId, inviter));
    if (limited) return limited;

    const token = lib.newSecret();
    const now = lib.now();
    const invitation: Invitation = {
      id: lib.newId('invitation'),
      organizationId,
      address,
      role,
      tokenHash: lib.hashSecret(token),
      invitedByUserId: byUserId,
      invitedByClientId: byClientId,
      createdAt: now,
      expiresAt: addMs(now, lib.config.invitationTtlMs),
    };
    const callerRole = access.val.role;
    const replaced = await inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      const earlier = await tx.findInvitationFor(organizationId, address);
      // Replacing an open invitation takes it back: only someone who could have sent it may, so an
      // admin cannot quietly turn an owner's invitation of an owner into one of a member.
      if (earlier && earlier.expiresAt > now && !roleAtLeast(callerRole, earlier.role)) {
        return fail('FORBIDDEN', {
          details: [
            {
              path: 'email',
              message: `an invitation of this address as ${earlier.role} is open: only an owner may replace it`,
            },
          ],
        });
      }
      await tx.putInvitation(invitation);
      if (earlier) this.revoked(tx, earlier, 'replaced', caller);
      recordEvent(tx, {
        type: 'invitation.created',
        at: now,
        invitationId: invitation.id,
        organizationId,
        address,
        role,
        byUserId,
        byClientId,
      });
      return Ok(earlier);
    });
    if (replaced.err) return replaced;
    await this.send(invitation, access.val.organization, token);
    return Ok(toPublicInvitation(invitation));
  }

  /** Admins (and system callers, employees) list the organization's open invitations, oldest first, a page at a time. */
  async list(
    caller: Caller,
    organizationId: string,
    page?: PageInput,
  ): Promise<Result<Page<PublicInvitation>, AccountsError>> {
    const { io, lib } = this.deps;
    const request = decodePageRequest(page);
    if (request.err) return request;
    const access = await authorizeOrganizationRead(io, caller, organizationId);
    if (access.err) return access;
    const { role } = access.val;
    if (!canReadEverything(caller) && (role === null || !roleAtLeast(role, 'admin'))) return forbiddenFor(caller);
    const rows = await io.listInvitationsPage(organizationId, lib.now(), request.val);
    return Ok(toPage(rows, request.val, keyById, toPublicInvitation));
  }

  /**
   * Admins revoke an open invitation of their organization whose role they could grant (an admin
   * cannot revoke an invitation to `owner`). Unknown or expired: NOT_FOUND.
   */
  async revoke(caller: Caller, invitationId: string): Promise<Result<void, AccountsError>> {
    const { io } = this.deps;
    if (!caller.user && !caller.client) return fail('UNAUTHENTICATED');
    const invitation = await this.findOpen(invitationId);
    if (!invitation) return fail('NOT_FOUND');
    const access = await authorizeOrganizationRole(io, caller, invitation.organizationId, 'admin');
    if (access.err) return access;
    if (!roleAtLeast(access.val.role, invitation.role)) {
      return fail('FORBIDDEN', { message: 'Only owners may revoke an invitation to the owner role.' });
    }
    return inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      if (!(await tx.deleteInvitation(invitation.id))) return fail('NOT_FOUND');
      this.revoked(tx, invitation, 'revoked', caller);
      return Ok(undefined);
    });
  }

  /**
   * Accepts an invitation with its token, for a signed-in user holding the invited address verified:
   * an unverified claim proves nothing. Single use: the invitation is consumed in the transaction
   * that adds the membership, so of concurrent acceptances exactly one wins. The inviter must still be
   * able to grant the role. Every refusal is the same INVALID_INVITATION, so the answer says nothing
   * about a token to someone without its address. A user already in the organization keeps their role
   * (`joined: false`) and the invitation is used up.
   */
  async accept(
    caller: Caller,
    input: AcceptInvitationInput,
    info: Pick<RequestInfo, 'ip'>,
  ): Promise<Result<AcceptedInvitation, AccountsError>> {
    const { io, lib } = this.deps;
    const user = caller.user;
    if (!user) return fail('UNAUTHENTICATED');
    const decoded = decode(AcceptInvitationInput, input);
    if (decoded.err) return decoded;
    const limits = invitationAcceptLimits(lib.config, user.id, info.ip);
    const limited = await firstLimitPassed(this.deps, limits);
    if (limited) return limited;

    const now = lib.now();
    const found = await io.findInvitationByTokenHash(lib.hashSecret(decoded.val.token));
    if (!found || found.expiresAt.getTime() <= now.getTime()) return fail('INVALID_INVITATION');
    const invitation = found;
    const result = await inTransactionWithEvents(this.deps, actorOf(caller, info), async (tx) => {
      // The user first, as every change to a user's memberships and emails locks it (users.ts).
      await tx.lockUser(user.id);
      if (!(await holdsVerified(tx, user.id, invitation.address))) return fail('INVALID_INVITATION');
      if (!(await grantorStillGrants(tx, invitation))) return fail('INVALID_INVITATION');
      // Joining an organization that requires two-factor asks for it first, as its routes would
      // (only the invitee, who holds the address, learns that the organization requires it).
      const organization = await tx.findOrganizationById(invitation.organizationId);
      if (!organization) return fail('INVALID_INVITATION');
      const twoFactor = await checkOrganizationMfa(tx, caller, organization);
      if (twoFactor.err) return twoFactor;
      // Its organization's deletion takes the invitation along, so a consumed one has a live organization.
      if (!(await tx.consumeInvitation(invitation.id, now))) return fail('INVALID_INVITATION');
      const existing = await tx.findMembership(invitation.organizationId, user.id);
      if (existing) {
        this.accepted(tx, invitation, user.id, existing, false);
        return Ok<AcceptedInvitation>({ membership: toPublicMembership(existing), joined: false });
      }
      const membership: Membership = {
        id: lib.newId('membership'),
        organizationId: invitation.organizationId,
        userId: user.id,
        role: invitation.role,
        createdAt: now,
        fields: {},
      };
      if (!(await tx.insertMembership(membership))) throw new Error('A membership appeared under the user lock');
      this.accepted(tx, invitation, user.id, membership, true);
      recordMembershipChanged(tx, now, membership, 'added', membership.role);
      return Ok<AcceptedInvitation>({ membership: toPublicMembership(membership), joined: true });
    });
    if (result.err) return result;
    await forgive(this.deps, limits);
    return result;
  }

  /**
   * The invited user declines an open invitation addressed to one of their verified addresses. To
   * anyone else it does not exist (NOT_FOUND).
   */
  async decline(caller: Caller, invitationId: string): Promise<Result<void, AccountsError>> {
    const { io, lib } = this.deps;
    const user = caller.user;
    if (!user) return hiddenFrom(caller);
    const invitation = await this.findOpen(invitationId);
    if (!invitation || !(await holdsVerified(io, user.id, invitation.address))) return fail('NOT_FOUND');
    return inTransactionWithEvents(this.deps, actorOf(caller), async (tx) => {
      if (!(await tx.deleteInvitation(invitation.id))) return fail('NOT_FOUND');
      recordEvent(tx, {
        type: 'invitation.declined',
        at: lib.now(),
        invitationId: invitation.id,
        organizationId: invitation.organizationId,
        address: invitation.address,
        userId: user.id,
      });
      return Ok(undefined);
    });
  }

  /**
   * One page of the open invitations to a user's verified addresses, with each organization's name,
   * oldest first (a page holds at most `MAX_PAGE_LIMIT`, so the cost stays bounded). The user themself,
   * employees and system callers.
   */
  async listReceived(
    caller: Caller,
    userRef: string,
    page?: PageInput,
  ): Promise<Result<Page<ReceivedInvitation>, AccountsError>> {
    const { io, lib } = this.deps;
    const request = decodePageRequest(page);
    if (request.err) return request;
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    const user = await io.findUserById(userId);
    if (!user || user.deletedAt !== null) return fail('NOT_FOUND');
    const verified = (await io.listLoginEmails(userId)).filter((email) => email.verifiedAt !== null);
    if (verified.length === 0) return Ok(emptyPage());
    const addresses = verified.map((email) => email.address);
    const rows = await io.listInvitationsTo(addresses, lib.now(), request.val);
    return Ok(
      toPage(
        rows,
        request.val,
        ({ invitation }) => keyById(invitation),
        ({ invitation, organizationName }) => ({
          id: invitation.id,
          organizationId: invitation.organizationId,
          organizationName,
          email: invitation.address,
          role: invitation.role,
          createdAt: invitation.createdAt,
          expiresAt: invitation.expiresAt,
        }),
      ),
    );
  }

  /** An invitation that exists and has not expired. */
  private async findOpen(invitationId: string): Promise<Invitation | null> {
    const invitation = await this.deps.io.findInvitationById(invitationId);
    return invitation && invitation.expiresAt.getTime() > this.deps.lib.now().getTime() ? invitation : null;
  }

  private async holderIsMember(io: Io, organizationId: string, address: string): Promise<boolean> {
    // Only a verified holder counts: an address someone merely added to their account must not
    // block invitations to its owner (nor tell admins who claimed it).
    const holder = await io.findLoginEmail(address);
    if (holder === null || holder.verifiedAt === null) return false;
    return (await io.findMembership(organizationId, holder.userId)) !== null;
  }

  /** Emails the token; a failed delivery is an event, and the admin can invite again. */
  private async send(invitation: Invitation, organization: Organization, token: string): Promise<void> {
    const { lib } = this.deps;
    try {
      await lib.sendInvitation({
        to: invitation.address,
        token,
        invitationId: invitation.id,
        organizationId: organization.id,
        organizationName: organization.name,
        role: invitation.role,
        expiresAt: invitation.expiresAt,
      });
    } catch {
      const failed: AccountsEvent = {
        type: 'email.delivery_failed',
        at: lib.now(),
        address: invitation.address,
        purpose: 'invitation',
      };
      // The invitation is stored whatever happens here: an outbox that is down too must not fail the request.
      await publishEvents(this.deps, {}, [failed]).catch(() => undefined);
    }
  }

  private accepted(tx: Io, invitation: Invitation, userId: string, membership: Membership, joined: boolean): void {
    recordEvent(tx, {
      type: 'invitation.accepted',
      at: this.deps.lib.now(),
      invitationId: invitation.id,
      organizationId: invitation.organizationId,
      address: invitation.address,
      userId,
      membershipId: membership.id,
      joined,
    });
  }

  /** Records that an invitation's token stopped working before it was used (docs/security-rules.md §9). */
  private revoked(tx: Io, invitation: Invitation, reason: 'revoked' | 'replaced', caller: Caller): void {
    const { lib } = this.deps;
    recordEvent(tx, {
      type: 'invitation.revoked',
      at: lib.now(),
      invitationId: invitation.id,
      organizationId: invitation.organizationId,
      address: invitation.address,
      reason,
      byUserId: caller.user?.id ?? null,
      byClientId: caller.client?.id ?? null,
    });
  }
}
