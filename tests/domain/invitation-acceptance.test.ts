import { MemoryIo } from '../../src/adapters/memory';
import type { AcceptedInvitation } from '../../src/domain/invitations';
import type { Page } from '../../src/domain/pagination';
import type { Membership, PublicInvitation } from '../../src/ports/entities';
import { DAY_MS, eventsOf, freshAddress, invite, invitee } from '../support/invitation-fixtures';
import { addUser, organizationCast, systemClient } from '../support/org-fixtures';
import { errCode, lastCode, ok, REQUEST } from '../support/setup';

describe('accepting an invitation', () => {
  it('makes the holder of the verified address a member with the invited role, once', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const { invitation, token } = await invite(cast, person.email, 'admin');
    const { invitations } = cast.world.accounts;

    const accepted = ok<AcceptedInvitation>(await invitations.accept(person.caller, { token }, REQUEST));
    expect(accepted).toEqual({
      joined: true,
      membership: expect.objectContaining({
        organizationId: cast.organization.id,
        userId: person.userId,
        role: 'admin',
      }),
    });
    expect(await cast.world.io.findMembership(cast.organization.id, person.userId)).toEqual({
      ...accepted.membership,
      fields: {},
    });
    expect(eventsOf(cast.world, 'invitation.accepted')).toEqual([
      expect.objectContaining({ invitationId: invitation.id, userId: person.userId, joined: true }),
    ]);
    expect(eventsOf(cast.world, 'membership.changed').at(-1)).toMatchObject({
      userId: person.userId,
      change: 'added',
      role: 'admin',
    });
    expect(errCode(await invitations.accept(person.caller, { token }, REQUEST))).toBe('INVALID_INVITATION');
    expect(ok<Page<PublicInvitation>>(await invitations.list(cast.admin, cast.organization.id)).data).toEqual([]);
  });

  it('refuses an address held unverified, and accepts once it is verified', async () => {
    const cast = await organizationCast();
    const email = freshAddress();
    const person = await invitee(cast.world, email, false);
    const { token } = await invite(cast, email);
    const { invitations } = cast.world.accounts;
    expect(errCode(await invitations.accept(person.caller, { token }, REQUEST))).toBe('INVALID_INVITATION');
    expect(await cast.world.io.findMembership(cast.organization.id, person.userId)).toBeNull();

    ok(await cast.world.accounts.emails.verify({ email, code: await lastCode(cast.world, email) }, REQUEST));
    expect(ok<AcceptedInvitation>(await invitations.accept(person.caller, { token }, REQUEST)).joined).toBe(true);
  });

  it('refuses another user with the token, with the same answer as an unknown token', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const stranger = await invitee(cast.world);
    const { token } = await invite(cast, person.email);
    const { invitations } = cast.world.accounts;
    const byStranger = await invitations.accept(stranger.caller, { token }, REQUEST);
    const unknown = await invitations.accept(stranger.caller, { token: 'x'.repeat(43) }, REQUEST);
    expect(byStranger.val).toEqual(unknown.val);
    expect(errCode(byStranger)).toBe('INVALID_INVITATION');
    expect(await cast.world.io.findMembership(cast.organization.id, stranger.userId)).toBeNull();
    // The invitation is still there for the person it was sent to.
    expect(ok<AcceptedInvitation>(await invitations.accept(person.caller, { token }, REQUEST)).joined).toBe(true);
  });

  it('needs a signed-in user: a client key alone or no credentials cannot accept', async () => {
    const cast = await organizationCast();
    const { token } = await invite(cast, freshAddress());
    const { invitations } = cast.world.accounts;
    expect(errCode(await invitations.accept(systemClient(), { token }, REQUEST))).toBe('UNAUTHENTICATED');
    expect(errCode(await invitations.accept({}, { token }, REQUEST))).toBe('UNAUTHENTICATED');
  });

  it('works until 1 ms before 7 days, not at 7 days', async () => {
    const cast = await organizationCast();
    const early = await invitee(cast.world);
    const late = await invitee(cast.world);
    const first = await invite(cast, early.email);
    const second = await invite(cast, late.email);
    const { invitations } = cast.world.accounts;
    cast.world.clock.advance(7 * DAY_MS - 1);
    ok(await invitations.accept(early.caller, { token: first.token }, REQUEST));
    cast.world.clock.advance(1);
    expect(errCode(await invitations.accept(late.caller, { token: second.token }, REQUEST))).toBe('INVALID_INVITATION');
    expect(ok<Page<PublicInvitation>>(await invitations.list(cast.admin, cast.organization.id)).data).toEqual([]);
  });

  it('takes the lifetime from invitationTtlMs', async () => {
    const cast = await organizationCast({ config: { invitationTtlMs: 60_000 } });
    const person = await invitee(cast.world);
    const { invitation, token } = await invite(cast, person.email);
    expect(invitation.expiresAt.getTime() - invitation.createdAt.getTime()).toBe(60_000);
    cast.world.clock.advance(60_000);
    expect(errCode(await cast.world.accounts.invitations.accept(person.caller, { token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
  });

  it('is void once the inviter can no longer grant the role: demoted, removed', async () => {
    const cast = await organizationCast();
    const { organizations, invitations } = cast.world.accounts;
    const demotedCase = await invitee(cast.world);
    const removedCase = await invitee(cast.world);
    const fromAdmin = await invite(cast, demotedCase.email, 'admin');
    const secondAdmin = await addUser(cast.world);
    const secondMembership = ok<Membership>(
      await organizations.addMembership(cast.owner, cast.organization.id, {
        userId: secondAdmin.user.id,
        role: 'admin',
      }),
    );
    const fromSecondAdmin = await invite(cast, removedCase.email, 'member', secondAdmin);

    ok(await organizations.changeMembershipRole(cast.owner, cast.memberships.admin, { role: 'member' }));
    ok(await organizations.removeMembership(cast.owner, secondMembership.id));
    expect(errCode(await invitations.accept(demotedCase.caller, { token: fromAdmin.token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
    expect(errCode(await invitations.accept(removedCase.caller, { token: fromSecondAdmin.token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
    expect(await cast.world.io.findMembership(cast.organization.id, demotedCase.userId)).toBeNull();
  });

  it('stays valid when the inviter is a sysadmin or a system client outside the organization', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const other = await invitee(cast.world);
    const bySysadmin = await invite(cast, person.email, 'owner', cast.sysadmin);
    const byClient = await invite(cast, other.email, 'owner', systemClient());
    const { invitations } = cast.world.accounts;
    expect(
      ok<AcceptedInvitation>(await invitations.accept(person.caller, { token: bySysadmin.token }, REQUEST)).membership
        .role,
    ).toBe('owner');
    // A system client the store does not know (or that was deleted) grants nothing.
    expect(errCode(await invitations.accept(other.caller, { token: byClient.token }, REQUEST))).toBe(
      'INVALID_INVITATION',
    );
  });

  it('keeps the role of a user who is already a member and uses the invitation up', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const { token } = await invite(cast, person.email, 'admin');
    const { organizations, invitations } = cast.world.accounts;
    ok(await organizations.addMembership(cast.owner, cast.organization.id, { userId: person.userId, role: 'member' }));
    const changesBefore = eventsOf(cast.world, 'membership.changed').length;

    const accepted = ok<AcceptedInvitation>(await invitations.accept(person.caller, { token }, REQUEST));
    expect(accepted).toEqual({ joined: false, membership: expect.objectContaining({ role: 'member' }) });
    expect(eventsOf(cast.world, 'membership.changed')).toHaveLength(changesBefore);
    expect(errCode(await invitations.accept(person.caller, { token }, REQUEST))).toBe('INVALID_INVITATION');
  });

  it('lets exactly one of 20 parallel acceptances of one token win', async () => {
    const cast = await organizationCast();
    const person = await invitee(cast.world);
    const { token } = await invite(cast, person.email);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => cast.world.accounts.invitations.accept(person.caller, { token }, REQUEST)),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map(errCode)).toEqual(Array(19).fill('INVALID_INVITATION'));
    expect(eventsOf(cast.world, 'invitation.accepted')).toHaveLength(1);
  });

  it('leaves the invitation usable when writing the membership fails', async () => {
    const io = new MemoryIo();
    const cast = await organizationCast({ io });
    const person = await invitee(cast.world);
    const { token } = await invite(cast, person.email);
    io.failNext('insertMembership');
    await expect(cast.world.accounts.invitations.accept(person.caller, { token }, REQUEST)).rejects.toThrow(
      'injected failure',
    );
    expect(
      ok<AcceptedInvitation>(await cast.world.accounts.invitations.accept(person.caller, { token }, REQUEST)).joined,
    ).toBe(true);
  });

  it('limits attempts per user and per IP, and gives a success back', async () => {
    const cast = await organizationCast({ config: { invitationAcceptsPerUser: 3, invitationAcceptsPerIp: 4 } });
    const { invitations } = cast.world.accounts;
    const person = await invitee(cast.world);
    const { token } = await invite(cast, person.email);
    ok(await invitations.accept(person.caller, { token }, REQUEST));
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(errCode(await invitations.accept(person.caller, { token: `wrong-${attempt}` }, REQUEST))).toBe(
        'INVALID_INVITATION',
      );
    }
    const limited = await invitations.accept(person.caller, { token: 'wrong' }, REQUEST);
    expect(errCode(limited)).toBe('RATE_LIMITED');
    expect(limited.err && limited.val.retryAfterSeconds).toBeGreaterThan(0);

    const other = await invitee(cast.world);
    expect(errCode(await invitations.accept(other.caller, { token: 'wrong' }, REQUEST))).toBe('INVALID_INVITATION');
    expect(errCode(await invitations.accept(other.caller, { token: 'wrong' }, REQUEST))).toBe('RATE_LIMITED');
    expect(errCode(await invitations.accept(other.caller, { token: 'wrong' }, { ip: '198.51.100.1' }))).toBe(
      'INVALID_INVITATION',
    );
  });
});
