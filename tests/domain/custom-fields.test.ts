import * as t from 'io-ts';
import type { PublicClient, PublicMembership } from '../../src/ports/entities';
import { errCode, makeWorld, ok, signUp } from '../support/setup';

const PAST_THE_WINDOW = 10 * 60_000 + 1;

/** Custom fields of memberships and clients, through the services (users and organizations: tests/examples/custom-fields.test.ts). */
describe('custom fields of memberships and clients', () => {
  const world = () =>
    makeWorld({
      fields: {
        membership: t.partial({ title: t.string }),
        client: t.type({ team: t.string }),
      },
    });

  it('adds a membership with its fields and changes them alone, keeping the role', async () => {
    const test = world();
    const owner = await signUp(test);
    const member = await signUp(test);
    const organization = ok<{ id: string }>(await test.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const added = ok<PublicMembership & { title?: string }>(
      await test.accounts.organizations.addMembership(owner.caller, organization.id, {
        userId: member.userId,
        role: 'member',
        title: 'Engineer',
      } as never),
    );
    expect(added).toMatchObject({ role: 'member', title: 'Engineer' });
    expect(added).not.toHaveProperty('fields');
    const retitled = ok<PublicMembership & { title?: string }>(
      await test.accounts.organizations.changeMembershipRole(owner.caller, added.id, {
        role: 'member',
        title: 'Staff engineer',
      } as never),
    );
    expect(retitled).toMatchObject({ role: 'member', title: 'Staff engineer' });
    expect((await test.io.findMembershipById(added.id))?.fields).toEqual({ title: 'Staff engineer' });
    const page = ok<{ data: Array<Record<string, unknown>> }>(
      await test.accounts.organizations.listMemberships(owner.caller, organization.id),
    );
    expect(page.data.find((row) => row.id === added.id)).toMatchObject({ title: 'Staff engineer' });
  });

  it('asks a recent login to grant admin whatever fields come with the grant', async () => {
    const test = world();
    const owner = await signUp(test);
    const member = await signUp(test);
    const organization = ok<{ id: string }>(await test.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    test.clock.advance(PAST_THE_WINDOW);
    const grant = { userId: member.userId, role: 'admin', title: 'Boss' } as never;
    expect(errCode(await test.accounts.organizations.addMembership(owner.caller, organization.id, grant))).toBe(
      'REAUTHENTICATION_REQUIRED',
    );
  });

  it('creates a client with its required fields, refuses it without them, and updates them', async () => {
    const test = world();
    const owner = await signUp(test);
    const organization = ok<{ id: string }>(await test.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const missing = await test.accounts.clients.create(owner.caller, organization.id, { name: 'ci' });
    expect(errCode(missing)).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(missing.val)).toContain('team');
    const created = ok<{ client: PublicClient & { team: string } }>(
      await test.accounts.clients.create(owner.caller, organization.id, { name: 'ci', team: 'platform' } as never),
    );
    expect(created.client.team).toBe('platform');
    const updated = ok<PublicClient & { team: string }>(
      await test.accounts.clients.update(owner.caller, created.client.id, { team: 'infra' } as never),
    );
    expect(updated).toMatchObject({ name: 'ci', team: 'infra' });
    expect((await test.io.findClientById(created.client.id))?.fields).toEqual({ team: 'infra' });
  });

  it('answers oversized fields with VALIDATION_FAILED, and keeps room for the fields HTTP may not set (found by a review)', async () => {
    const test = makeWorld({
      fields: { user: { codec: t.partial({ bio: t.string, plan: t.string }), readOnly: ['plan'] } },
    });
    const user = await signUp(test);
    const system = { client: { id: 'cli_billing', organizationId: '', roles: ['system' as const] } };
    const huge = await test.accounts.users.update(user.caller, 'me', { bio: 'x'.repeat(70_000) } as never);
    expect(errCode(huge)).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(huge.val)).toContain('bio');
    // Half the budget for what a request may set: the application can still write its own.
    expect(errCode(await test.accounts.users.update(user.caller, 'me', { bio: 'x'.repeat(40_000) } as never))).toBe(
      'VALIDATION_FAILED',
    );
    ok(await test.accounts.users.update(user.caller, 'me', { bio: 'x'.repeat(32_000) } as never));
    ok(await test.accounts.users.update(system, user.userId, { plan: 'y'.repeat(30_000) } as never));
    expect((await test.io.findUserById(user.userId))?.fields).toMatchObject({ plan: 'y'.repeat(30_000) });
  });

  it('lets nobody change the fields of a membership above their own role, nor their own as a member', async () => {
    const test = world();
    const owner = await signUp(test);
    const admin = await signUp(test);
    const member = await signUp(test);
    const organization = ok<{ id: string }>(await test.accounts.organizations.create(owner.caller, { name: 'Acme' }));
    const admins = ok<PublicMembership>(
      await test.accounts.organizations.addMembership(owner.caller, organization.id, {
        userId: admin.userId,
        role: 'admin',
      }),
    );
    const members = ok<PublicMembership>(
      await test.accounts.organizations.addMembership(owner.caller, organization.id, {
        userId: member.userId,
        role: 'member',
      }),
    );
    const owners = await test.io.findMembership(organization.id, owner.userId);
    const retitle = { role: 'owner', title: 'Not the owner any more' } as never;
    expect(errCode(await test.accounts.organizations.changeMembershipRole(admin.caller, owners!.id, retitle))).toBe(
      'FORBIDDEN',
    );
    const selfPromotion = { role: 'member', title: 'CEO' } as never;
    expect(
      errCode(await test.accounts.organizations.changeMembershipRole(member.caller, members.id, selfPromotion)),
    ).toBe('FORBIDDEN');
    expect((await test.io.findMembershipById(owners!.id))?.fields).toEqual({});
    expect((await test.io.findMembershipById(members.id))?.fields).toEqual({});
    expect(admins.role).toBe('admin');
  });
});
