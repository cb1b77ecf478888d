import { createHash } from 'node:crypto';
import type { AcceptedInvitation } from '../../src/domain/invitations';
import type { Page } from '../../src/domain/pagination';
import type { PublicInvitation, ReceivedInvitation } from '../../src/ports/entities';
import { DAY_MS, eventsOf, freshAddress, invite, invitee } from '../support/invitation-fixtures';
import { organizationCast, systemClient } from '../support/org-fixtures';
import { errCode, ok, REQUEST } from '../support/setup';

describe('inviting an address', () => {
  it('emails a 256-bit token stored only as its SHA-256, answers without it, and expires in 7 days', async () => {
    const cast = await organizationCast();
    const email = freshAddress();
    const { invitation, token } = await invite(cast, ` ${email.toUpperCase()} `, 'admin');

    expect(invitation).toEqual({
      id: expect.stringMatching(/^inv_/),
      organizationId: cast.organization.id,
      email,
      role: 'admin',
      invitedByUserId: cast.admin.user.id,
      createdAt: cast.world.clock.now(),
      expiresAt: new Date(cast.world.clock.now().getTime() + 7 * DAY_MS),
    });
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    const stored = await cast.world.io.findInvitationById(invitation.id);
    expect(stored?.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(invitation)).not.toContain(stored?.tokenHash);
    expect(eventsOf(cast.world, 'invitation.created')).toEqual([
      expect.objectContaining({
        invitationId: invitation.id,
        address: email,
        role: 'admin',
        byUserId: cast.admin.user.id,
      }),
    ]);
    expect(JSON.stringify(cast.world.events)).not.toContain(token);
  });

  it('lets nobody invite to a role above their own; owners and system callers invite owners', async () => {
    const cast = await organizationCast();
    const { invitations } = cast.world.accounts;
    const id = cast.organization.id;
    const refused = await invitations.create(cast.admin, id, { email: freshAddress(), role: 'owner' });
    expect(errCode(refused)).toBe('FORBIDDEN');
    expect(refused.err && refused.val.details).toEqual([{ path: 'role', message: expect.any(String) }]);
    expect(errCode(await invitations.create(cast.member, id, { email: freshAddress(), role: 'member' }))).toBe(
      'FORBIDDEN',
    );
    expect(errCode(await invitations.create(cast.outsider, id, { email: freshAddress(), role: 'member' }))).toBe(
      'NOT_FOUND',
    );
    expect(errCode(await invitations.create(cast.employee, id, { email: freshAddress(), role: 'member' }))).toBe(
      'FORBIDDEN',
    );
    expect(errCode(await invitations.create({}, id, { email: freshAddress(), role: 'member' }))).toBe(
      'UNAUTHENTICATED',
    );
    for (const caller of [cast.owner, cast.sysadmin, systemClient()]) {
      ok(await invitations.create(caller, id, { email: freshAddress(), role: 'owner' }));
    }
    expect(eventsOf(cast.world, 'invitation.created').at(-1)).toMatchObject({
      byUserId: null,
      byClientId: 'cli_system',
    });
  });

  it('names every bad field', async () => {
    const cast = await organizationCast();
    const result = await cast.world.accounts.invitations.create(cast.admin, cast.organization.id, {
      email: 'not an address',
      role: 'king',
      colour: 'red',
    } as never);
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['email', 'role', 'colour']);
  });

  it('refuses an address whose holder is already a member', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    ok(
      await cast.world.accounts.organizations.addMembership(cast.owner, cast.organization.id, {
        userId: person.userId,
        role: 'member',
      }),
    );
    const again = await cast.world.accounts.invitations.create(cast.admin, cast.organization.id, {
      email: person.email,
      role: 'admin',
    });
    expect(errCode(again)).toBe('ALREADY_MEMBER');
    expect(cast.world.emailer.sent.filter((sent) => sent.kind === 'invitation')).toEqual([]);
  });

  it('keeps one open invitation per address: inviting again replaces it and kills the old token', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const first = await invite(cast, person.email, 'member');
    const second = await invite(cast, person.email, 'admin');
    expect(second.token).not.toBe(first.token);

    const open = ok<Page<PublicInvitation>>(
      await cast.world.accounts.invitations.list(cast.admin, cast.organization.id),
    ).data;
    expect(open.map((invitation) => [invitation.id, invitation.role])).toEqual([[second.invitation.id, 'admin']]);
    expect(eventsOf(cast.world, 'invitation.revoked')).toEqual([
      expect.objectContaining({ invitationId: first.invitation.id, reason: 'replaced' }),
    ]);
    const { invitations } = cast.world.accounts;
    expect(errCode(await invitations.accept(person.caller, { token: first.token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
    const accepted = ok<AcceptedInvitation>(await invitations.accept(person.caller, { token: second.token }, REQUEST));
    expect(accepted.membership.role).toBe('admin');
  });

  it('reports a failed delivery and keeps the invitation', async () => {
    const cast = await organizationCast();
    cast.world.lib.sendInvitation = () => Promise.reject(new Error('smtp down'));
    const email = freshAddress();
    const created = ok<PublicInvitation>(
      await cast.world.accounts.invitations.create(cast.admin, cast.organization.id, { email, role: 'member' }),
    );
    expect(await cast.world.io.findInvitationById(created.id)).not.toBeNull();
    expect(eventsOf(cast.world, 'email.delivery_failed')).toEqual([
      expect.objectContaining({ address: email, purpose: 'invitation' }),
    ]);
  });
});

describe('invitation limits', () => {
  it('limits invitations per inviter per hour and per organization per day', async () => {
    const cast = await organizationCast({ config: { invitationsPerInviter: 2, invitationsPerOrganization: 3 } });
    const { invitations } = cast.world.accounts;
    const id = cast.organization.id;
    ok(await invitations.create(cast.admin, id, { email: freshAddress(), role: 'member' }));
    ok(await invitations.create(cast.admin, id, { email: freshAddress(), role: 'member' }));
    const limited = await invitations.create(cast.admin, id, { email: freshAddress(), role: 'member' });
    expect(errCode(limited)).toBe('RATE_LIMITED');
    expect(limited.err && limited.val.retryAfterSeconds).toBe(3600);
    // The organization's third is the owner's; its fourth is refused whoever sends it.
    expect(errCode(await invitations.create(cast.owner, id, { email: freshAddress(), role: 'member' }))).toBe(
      'RATE_LIMITED',
    );
    cast.world.clock.advance(3_600_000);
    expect(errCode(await invitations.create(cast.owner, id, { email: freshAddress(), role: 'member' }))).toBe(
      'RATE_LIMITED',
    );
    cast.world.clock.advance(DAY_MS);
    ok(await invitations.create(cast.owner, id, { email: freshAddress(), role: 'member' }));
  });

  it('counts nothing for callers who may not invite', async () => {
    const cast = await organizationCast({ config: { invitationsPerOrganization: 1 } });
    const { invitations } = cast.world.accounts;
    const id = cast.organization.id;
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(errCode(await invitations.create(cast.outsider, id, { email: freshAddress(), role: 'member' }))).toBe(
        'NOT_FOUND',
      );
    }
    ok(await invitations.create(cast.admin, id, { email: freshAddress(), role: 'member' }));
  });
});

describe('replacing an open invitation', () => {
  it('lets only a caller who could have sent it replace it: an admin cannot turn an owner invitation into a member one', async () => {
    const cast = await organizationCast();
    const { invitations } = cast.world.accounts;
    const address = freshAddress();
    const toOwner = await invite(cast, address, 'owner', cast.owner);
    const replaced = await invitations.create(cast.admin, cast.organization.id, { email: address, role: 'member' });
    expect(errCode(replaced)).toBe('FORBIDDEN');
    const open = ok<Page<PublicInvitation>>(await invitations.list(cast.owner, cast.organization.id)).data;
    expect(open.map((invitation) => [invitation.id, invitation.role])).toContainEqual([toOwner.invitation.id, 'owner']);
    // The owner may replace their own; an admin may replace a member invitation.
    ok(await invitations.create(cast.owner, cast.organization.id, { email: address, role: 'member' }));
    ok(await invitations.create(cast.admin, cast.organization.id, { email: address, role: 'admin' }));
  });
});

describe('revoking, declining and listing invitations', () => {
  it('lets admins revoke what they could grant, and kills the token', async () => {
    const cast = await organizationCast();
    const { invitations } = cast.world.accounts;
    const person = await invitee(cast.world);
    const toMember = await invite(cast, person.email);
    const toOwner = await invite(cast, freshAddress(), 'owner', cast.owner);

    expect(errCode(await invitations.revoke(cast.member, toMember.invitation.id))).toBe('FORBIDDEN');
    expect(errCode(await invitations.revoke(cast.outsider, toMember.invitation.id))).toBe('NOT_FOUND');
    expect(errCode(await invitations.revoke(cast.admin, toOwner.invitation.id))).toBe('FORBIDDEN');
    ok(await invitations.revoke(cast.admin, toMember.invitation.id));
    expect(errCode(await invitations.revoke(cast.admin, toMember.invitation.id))).toBe('NOT_FOUND');
    ok(await invitations.revoke(cast.owner, toOwner.invitation.id));
    expect(eventsOf(cast.world, 'invitation.revoked')).toEqual([
      expect.objectContaining({
        invitationId: toMember.invitation.id,
        reason: 'revoked',
        byUserId: cast.admin.user.id,
      }),
      expect.objectContaining({ invitationId: toOwner.invitation.id, reason: 'revoked', byUserId: cast.owner.user.id }),
    ]);
    expect(errCode(await invitations.accept(person.caller, { token: toMember.token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
  });

  it('lists open invitations to admins and employees, never to members or outsiders', async () => {
    const cast = await organizationCast();
    const { invitations } = cast.world.accounts;
    const first = await invite(cast, freshAddress());
    const id = cast.organization.id;
    for (const caller of [cast.admin, cast.owner, cast.employee, cast.sysadmin, systemClient()]) {
      expect(ok<Page<PublicInvitation>>(await invitations.list(caller, id)).data.map((row) => row.id)).toEqual([
        first.invitation.id,
      ]);
    }
    expect(errCode(await invitations.list(cast.member, id))).toBe('FORBIDDEN');
    expect(errCode(await invitations.list(cast.outsider, id))).toBe('NOT_FOUND');
    expect(JSON.stringify(ok(await invitations.list(cast.admin, id)))).not.toContain('tokenHash');
  });

  it('lets the invited user decline through a verified address; to anyone else it does not exist', async () => {
    const cast = await organizationCast();
    const { invitations } = cast.world.accounts;
    const person = await invitee(cast.world);
    const stranger = await invitee(cast.world);
    const { invitation, token } = await invite(cast, person.email);
    expect(errCode(await invitations.decline(stranger.caller, invitation.id))).toBe('NOT_FOUND');
    expect(errCode(await invitations.decline(cast.admin, invitation.id))).toBe('NOT_FOUND');
    ok(await invitations.decline(person.caller, invitation.id));
    expect(eventsOf(cast.world, 'invitation.declined')).toEqual([
      expect.objectContaining({ invitationId: invitation.id, userId: person.userId, address: person.email }),
    ]);
    expect(errCode(await invitations.accept(person.caller, { token }, REQUEST))).toBe('INVALID_INVITATION');
    expect(errCode(await invitations.decline(person.caller, invitation.id))).toBe('NOT_FOUND');
  });

  it('refuses a decline through an unverified address', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world, freshAddress(), false);
    const { invitation } = await invite(cast, person.email);
    expect(errCode(await cast.world.accounts.invitations.decline(person.caller, invitation.id))).toBe('NOT_FOUND');
  });

  it("lists a user's open invitations to their verified addresses only, with the organization's name", async () => {
    const cast = await organizationCast();
    const { invitations, emails } = cast.world.accounts;
    const person = await invitee(cast.world);
    const unverified = freshAddress('second');
    ok(await emails.add(person.caller, person.userId, { emails: [unverified] }, REQUEST));
    const { invitation } = await invite(cast, person.email, 'admin');
    await invite(cast, unverified);

    const received = ok<Page<ReceivedInvitation>>(await invitations.listReceived(person.caller, 'me')).data;
    expect(received).toEqual([
      {
        id: invitation.id,
        organizationId: cast.organization.id,
        organizationName: 'Acme',
        email: person.email,
        role: 'admin',
        createdAt: invitation.createdAt,
        expiresAt: invitation.expiresAt,
      },
    ]);
    const stranger = await invitee(cast.world);
    expect(errCode(await invitations.listReceived(stranger.caller, person.userId))).toBe('NOT_FOUND');
    expect(
      ok<Page<ReceivedInvitation>>(await invitations.listReceived(cast.employee, person.userId)).data,
    ).toHaveLength(1);
    expect(errCode(await invitations.listReceived(systemClient(), 'me'))).toBe('UNAUTHENTICATED');
  });
});

describe('deleting an organization', () => {
  it('deletes its invitations and reports each', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const { invitation, token } = await invite(cast, person.email);
    ok(await cast.world.accounts.organizations.delete(cast.owner, cast.organization.id));
    expect(await cast.world.io.findInvitationById(invitation.id)).toBeNull();
    expect(eventsOf(cast.world, 'invitation.revoked')).toEqual([
      expect.objectContaining({ invitationId: invitation.id, reason: 'organization_deleted' }),
    ]);
    expect(errCode(await cast.world.accounts.invitations.accept(person.caller, { token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
  });
});
