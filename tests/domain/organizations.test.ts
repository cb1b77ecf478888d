import { MemoryIo } from '../../src/adapters/memory';
import type { AddMembershipInput } from '../../src/domain/organizations';
import type { Page } from '../../src/domain/pagination';
import type { Membership, Organization } from '../../src/ports/entities';
import type { AccountsEvent } from '../../src/ports/events';
import {
  addUser,
  externalClient,
  type OrganizationCast,
  organizationCast,
  systemClient,
} from '../support/org-fixtures';
import { errCode, makeWorld, ok } from '../support/setup';

function membershipEvents(events: AccountsEvent[]) {
  return events.filter((event) => event.type === 'membership.changed');
}

describe('creating an organization', () => {
  it('makes the creating user its owner and reports the new membership', async () => {
    const world = makeWorld();
    const creator = await addUser(world);
    const organization = ok<Organization>(await world.accounts.organizations.create(creator, { name: '  Acme  ' }));

    expect(organization.name).toBe('Acme');
    const memberships = ok<Page<Membership>>(
      await world.accounts.organizations.listMemberships(creator, organization.id),
    ).data;
    expect(memberships).toEqual([
      expect.objectContaining({ organizationId: organization.id, userId: creator.user.id, role: 'owner' }),
    ]);
    expect(membershipEvents(world.events)).toEqual([
      expect.objectContaining({
        organizationId: organization.id,
        userId: creator.user.id,
        change: 'added',
        role: 'owner',
      }),
    ]);
  });

  it('needs a user: anonymous callers and client keys alone are refused', async () => {
    const world = makeWorld();
    const { organizations } = world.accounts;
    expect(errCode(await organizations.create({}, { name: 'Acme' }))).toBe('UNAUTHENTICATED');
    expect(errCode(await organizations.create(systemClient(), { name: 'Acme' }))).toBe('UNAUTHENTICATED');
  });

  it('lists every bad field', async () => {
    const world = makeWorld();
    const creator = await addUser(world);
    const result = await world.accounts.organizations.create(creator, { name: ' ', colour: 'red' } as never);
    expect(errCode(result)).toBe('VALIDATION_FAILED');
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['name', 'colour']);
  });

  it('leaves nothing behind when writing the owner membership fails', async () => {
    const io = new MemoryIo();
    const world = makeWorld({ io });
    const creator = await addUser(world);
    const newId = jest.spyOn(world.lib, 'newId');
    io.failNext('insertMembership');

    await expect(world.accounts.organizations.create(creator, { name: 'Acme' })).rejects.toThrow('injected failure');

    const organizationId = newId.mock.results[newId.mock.calls.findIndex(([kind]) => kind === 'organization')]
      .value as string;
    expect(await io.findOrganizationById(organizationId)).toBeNull();
    expect(await io.listMembershipsOfUser(creator.user.id)).toEqual([]);
    expect(membershipEvents(world.events)).toEqual([]);
  });
});

describe('reading an organization', () => {
  let cast: OrganizationCast;
  beforeAll(async () => {
    cast = await organizationCast();
  });

  it('is allowed to members, employees and system callers', async () => {
    const { organizations } = cast.world.accounts;
    for (const caller of [cast.owner, cast.admin, cast.member, cast.employee, cast.sysadmin, systemClient()]) {
      expect(ok<Organization>(await organizations.get(caller, cast.organization.id)).name).toBe('Acme');
      expect(ok<Page<Membership>>(await organizations.listMemberships(caller, cast.organization.id)).data).toHaveLength(
        3,
      );
    }
  });

  it('answers NOT_FOUND to a non-member, as for an unknown organization', async () => {
    const { organizations } = cast.world.accounts;
    expect(errCode(await organizations.get(cast.outsider, cast.organization.id))).toBe('NOT_FOUND');
    expect(errCode(await organizations.listMemberships(cast.outsider, cast.organization.id))).toBe('NOT_FOUND');
    expect(errCode(await organizations.get(cast.owner, 'org_unknown'))).toBe('NOT_FOUND');
  });

  it('gives a client key without a user no membership powers, even a key of that organization', async () => {
    const { organizations } = cast.world.accounts;
    const key = externalClient(cast.organization.id);
    expect(errCode(await organizations.get(key, cast.organization.id))).toBe('NOT_FOUND');
  });

  it('needs credentials', async () => {
    expect(errCode(await cast.world.accounts.organizations.get({}, cast.organization.id))).toBe('UNAUTHENTICATED');
  });
});

describe('updating and deleting an organization', () => {
  it('lets admins rename it, but not members, employees or outsiders', async () => {
    const { world, organization, admin, member, employee, outsider } = await organizationCast();
    const { organizations } = world.accounts;
    world.clock.advance(1000);

    const renamed = ok<Organization>(await organizations.update(admin, organization.id, { name: 'Acme Ltd' }));
    expect(renamed).toEqual({ ...organization, name: 'Acme Ltd', updatedAt: world.clock.now() });
    expect(ok<Organization>(await organizations.get(member, organization.id)).name).toBe('Acme Ltd');

    expect(errCode(await organizations.update(member, organization.id, { name: 'X' }))).toBe('FORBIDDEN');
    expect(errCode(await organizations.update(employee, organization.id, { name: 'X' }))).toBe('FORBIDDEN');
    expect(errCode(await organizations.update(outsider, organization.id, { name: 'X' }))).toBe('NOT_FOUND');
    expect(errCode(await organizations.update(admin, organization.id, { name: '' }))).toBe('VALIDATION_FAILED');
  });

  it('lets only owners delete it, with its memberships and clients', async () => {
    const { world, organization, owner, admin, member } = await organizationCast();
    const { organizations, clients } = world.accounts;
    const created = ok<{ key: string }>(await clients.create(admin, organization.id, { name: 'Backend' }));

    expect(errCode(await organizations.delete(admin, organization.id))).toBe('FORBIDDEN');
    expect(errCode(await organizations.delete(member, organization.id))).toBe('FORBIDDEN');
    ok(await organizations.delete(owner, organization.id));

    expect(errCode(await organizations.get(owner, organization.id))).toBe('NOT_FOUND');
    expect(await world.io.listMembershipsOfUser(member.user.id)).toEqual([]);
    const request = { ip: null, origin: null, api: 'accounts' };
    expect(errCode(await clients.authenticate(created.key, request))).toBe('INVALID_CLIENT');
    expect(world.events).toContainEqual(
      expect.objectContaining({ type: 'organization.deleted', organizationId: organization.id }),
    );
  });

  it('reports every client and membership that goes with it, and only live clients', async () => {
    const { world, organization, owner, admin, member } = await organizationCast();
    const { organizations, clients } = world.accounts;
    const live = ok<{ client: { id: string } }>(await clients.create(admin, organization.id, { name: 'Live' }));
    const gone = ok<{ client: { id: string } }>(await clients.create(admin, organization.id, { name: 'Gone' }));
    ok(await clients.delete(admin, gone.client.id));
    world.events.length = 0;

    ok(await organizations.delete(owner, organization.id));
    const deletedClients = world.events.flatMap((event) => (event.type === 'client.deleted' ? [event.clientId] : []));
    expect(deletedClients).toEqual([live.client.id]);
    const removed = membershipEvents(world.events).map((event) => [event.userId, event.change, event.organizationId]);
    expect(removed.sort()).toEqual(
      [owner, admin, member].map(({ user }) => [user.id, 'removed', organization.id]).sort(),
    );
  });

  it('reports nothing but NOT_FOUND for an organization that is already gone', async () => {
    const { world, organization, owner } = await organizationCast();
    ok(await world.accounts.organizations.delete(owner, organization.id));
    world.events.length = 0;
    const sysadmin = await addUser(world, ['sysadmin', 'user']);
    expect(errCode(await world.accounts.organizations.delete(sysadmin, organization.id))).toBe('NOT_FOUND');
    expect(world.events).toEqual([]);
  });
});

describe('adding members', () => {
  it('lets admins add members and admins', async () => {
    const { world, organization, admin } = await organizationCast();
    const { organizations } = world.accounts;
    const newcomer = await addUser(world);
    const another = await addUser(world);

    const added = ok<Membership>(
      await organizations.addMembership(admin, organization.id, { userId: newcomer.user.id, role: 'member' }),
    );
    expect(added).toEqual(
      expect.objectContaining({ organizationId: organization.id, userId: newcomer.user.id, role: 'member' }),
    );
    ok(await organizations.addMembership(admin, organization.id, { userId: another.user.id, role: 'admin' }));
    expect(membershipEvents(world.events)).toContainEqual(
      expect.objectContaining({ userId: newcomer.user.id, change: 'added', role: 'member' }),
    );
  });

  it('refuses an admin who tries to add an owner', async () => {
    const { world, organization, admin } = await organizationCast();
    const newcomer = await addUser(world);
    const result = await world.accounts.organizations.addMembership(admin, organization.id, {
      userId: newcomer.user.id,
      role: 'owner',
    });
    expect(errCode(result)).toBe('FORBIDDEN');
    expect(result.err && result.val.details).toEqual([{ path: 'role', message: expect.any(String) }]);
    expect(await world.io.findMembership(organization.id, newcomer.user.id)).toBeNull();
  });

  it('lets owners add owners', async () => {
    const { world, organization, owner } = await organizationCast();
    const newcomer = await addUser(world);
    const added = await world.accounts.organizations.addMembership(owner, organization.id, {
      userId: newcomer.user.id,
      role: 'owner',
    });
    expect(ok<Membership>(added).role).toBe('owner');
  });

  it('refuses members, employees and outsiders', async () => {
    const { world, organization, member, employee, outsider } = await organizationCast();
    const newcomer = await addUser(world);
    const input: AddMembershipInput = { userId: newcomer.user.id, role: 'member' };
    const { organizations } = world.accounts;
    expect(errCode(await organizations.addMembership(member, organization.id, input))).toBe('FORBIDDEN');
    expect(errCode(await organizations.addMembership(employee, organization.id, input))).toBe('FORBIDDEN');
    expect(errCode(await organizations.addMembership(outsider, organization.id, input))).toBe('NOT_FOUND');
    expect(await world.io.findMembership(organization.id, newcomer.user.id)).toBeNull();
  });

  it('refuses a user who is already a member', async () => {
    const { world, organization, owner, member } = await organizationCast();
    const result = await world.accounts.organizations.addMembership(owner, organization.id, {
      userId: member.user.id,
      role: 'admin',
    });
    expect(errCode(result)).toBe('ALREADY_MEMBER');
  });

  it('refuses an unknown or deleted user as a bad userId field', async () => {
    const { world, organization, owner } = await organizationCast();
    const gone = await addUser(world);
    await world.io.updateUser(gone.user.id, { deletedAt: world.clock.now(), updatedAt: world.clock.now() });
    for (const userId of ['usr_unknown', gone.user.id]) {
      const result = await world.accounts.organizations.addMembership(owner, organization.id, {
        userId,
        role: 'member',
      });
      expect(errCode(result)).toBe('VALIDATION_FAILED');
      expect(result.err && result.val.details).toEqual([{ path: 'userId', message: 'no such user' }]);
    }
  });

  it('lists every bad field', async () => {
    const { world, organization, owner } = await organizationCast();
    const result = await world.accounts.organizations.addMembership(owner, organization.id, {
      userId: '',
      role: 'boss',
    } as never);
    expect(result.err && result.val.details?.map((detail) => detail.path)).toEqual(['userId', 'role']);
  });
});

describe('changing a role', () => {
  it('never demotes the last owner, whoever asks', async () => {
    const { world, owner, sysadmin, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    for (const caller of [owner, sysadmin]) {
      const result = await organizations.changeMembershipRole(caller, memberships.owner, { role: 'admin' });
      expect(errCode(result)).toBe('LAST_OWNER');
    }
    expect((await world.io.findMembershipById(memberships.owner))?.role).toBe('owner');
  });

  it('lets an owner demote another owner', async () => {
    const { world, owner, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    ok(await organizations.changeMembershipRole(owner, memberships.admin, { role: 'owner' }));
    const demoted = ok<Membership>(
      await organizations.changeMembershipRole(owner, memberships.owner, { role: 'member' }),
    );
    expect(demoted.role).toBe('member');
    expect(membershipEvents(world.events)).toContainEqual(
      expect.objectContaining({ change: 'role_changed', role: 'member' }),
    );
  });

  it('refuses an admin who tries to make someone owner', async () => {
    const { world, admin, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    expect(errCode(await organizations.changeMembershipRole(admin, memberships.member, { role: 'owner' }))).toBe(
      'FORBIDDEN',
    );
    expect(errCode(await organizations.changeMembershipRole(admin, memberships.admin, { role: 'owner' }))).toBe(
      'FORBIDDEN',
    );
    expect((await world.io.findMembershipById(memberships.member))?.role).toBe('member');
  });

  it('refuses an admin who tries to demote an owner, even with several owners', async () => {
    const { world, organization, owner, admin, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    const second = await addUser(world);
    ok(await organizations.addMembership(owner, organization.id, { userId: second.user.id, role: 'owner' }));
    expect(errCode(await organizations.changeMembershipRole(admin, memberships.owner, { role: 'member' }))).toBe(
      'FORBIDDEN',
    );
    expect((await world.io.findMembershipById(memberships.owner))?.role).toBe('owner');
  });

  it('lets admins move people between member and admin', async () => {
    const { world, admin, memberships } = await organizationCast();
    const promoted = await world.accounts.organizations.changeMembershipRole(admin, memberships.member, {
      role: 'admin',
    });
    expect(ok<Membership>(promoted).role).toBe('admin');
  });

  it('refuses members and hides the membership from outsiders', async () => {
    const { world, member, outsider, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    expect(errCode(await organizations.changeMembershipRole(member, memberships.admin, { role: 'member' }))).toBe(
      'FORBIDDEN',
    );
    expect(errCode(await organizations.changeMembershipRole(outsider, memberships.member, { role: 'admin' }))).toBe(
      'NOT_FOUND',
    );
    expect(errCode(await organizations.changeMembershipRole(member, 'mem_unknown', { role: 'admin' }))).toBe(
      'NOT_FOUND',
    );
    expect(errCode(await organizations.changeMembershipRole({}, memberships.member, { role: 'admin' }))).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('changes nothing and reports nothing when the role is the same', async () => {
    const { world, admin, memberships } = await organizationCast();
    const before = world.events.length;
    const same = await world.accounts.organizations.changeMembershipRole(admin, memberships.member, { role: 'member' });
    expect(ok<Membership>(same).role).toBe('member');
    expect(world.events).toHaveLength(before);
  });

  it('refuses an unknown role', async () => {
    const { world, owner, memberships } = await organizationCast();
    const result = await world.accounts.organizations.changeMembershipRole(owner, memberships.member, {
      role: 'king',
    } as never);
    expect(errCode(result)).toBe('VALIDATION_FAILED');
  });
});

describe('removing a membership', () => {
  it('never lets the last owner leave', async () => {
    const { world, owner, memberships } = await organizationCast();
    expect(errCode(await world.accounts.organizations.removeMembership(owner, memberships.owner))).toBe('LAST_OWNER');
    expect(await world.io.findMembershipById(memberships.owner)).not.toBeNull();
  });

  it('never lets a system caller remove the last owner either', async () => {
    const { world, memberships } = await organizationCast();
    const result = await world.accounts.organizations.removeMembership(systemClient(), memberships.owner);
    expect(errCode(result)).toBe('LAST_OWNER');
  });

  it('lets an owner leave when another owner remains', async () => {
    const { world, owner, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    ok(await organizations.changeMembershipRole(owner, memberships.admin, { role: 'owner' }));
    ok(await organizations.removeMembership(owner, memberships.owner));
    expect(await world.io.findMembershipById(memberships.owner)).toBeNull();
  });

  it('lets a member leave', async () => {
    const { world, member, memberships } = await organizationCast();
    ok(await world.accounts.organizations.removeMembership(member, memberships.member));
    expect(membershipEvents(world.events)).toContainEqual(
      expect.objectContaining({ userId: member.user.id, change: 'removed', role: null }),
    );
  });

  it('lets admins remove members and admins but not owners', async () => {
    const { world, organization, owner, admin, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    const second = await addUser(world);
    const secondAdmin = ok<Membership>(
      await organizations.addMembership(owner, organization.id, { userId: second.user.id, role: 'admin' }),
    );
    ok(await organizations.removeMembership(admin, memberships.member));
    ok(await organizations.removeMembership(admin, secondAdmin.id));
    expect(errCode(await organizations.removeMembership(admin, memberships.owner))).toBe('FORBIDDEN');
    expect(await world.io.findMembershipById(memberships.owner)).not.toBeNull();
  });

  it('lets an owner remove another owner', async () => {
    const { world, organization, owner } = await organizationCast();
    const { organizations } = world.accounts;
    const second = await addUser(world);
    const coOwner = ok<Membership>(
      await organizations.addMembership(owner, organization.id, { userId: second.user.id, role: 'owner' }),
    );
    ok(await organizations.removeMembership(owner, coOwner.id));
  });

  it('refuses members removing others and hides memberships from outsiders', async () => {
    const { world, member, outsider, employee, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    expect(errCode(await organizations.removeMembership(member, memberships.admin))).toBe('FORBIDDEN');
    expect(errCode(await organizations.removeMembership(employee, memberships.member))).toBe('FORBIDDEN');
    expect(errCode(await organizations.removeMembership(outsider, memberships.member))).toBe('NOT_FOUND');
    expect(errCode(await organizations.removeMembership(outsider, 'mem_unknown'))).toBe('NOT_FOUND');
    expect(errCode(await organizations.removeMembership({}, memberships.member))).toBe('UNAUTHENTICATED');
  });
});

describe('a sysadmin', () => {
  it('may do everything without being a member', async () => {
    const { world, organization, sysadmin, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    const newcomer = await addUser(world);

    ok(await organizations.get(sysadmin, organization.id));
    ok(await organizations.update(sysadmin, organization.id, { name: 'Renamed' }));
    const added = ok<Membership>(
      await organizations.addMembership(sysadmin, organization.id, { userId: newcomer.user.id, role: 'owner' }),
    );
    ok(await organizations.changeMembershipRole(sysadmin, memberships.owner, { role: 'admin' }));
    ok(await organizations.removeMembership(sysadmin, memberships.member));
    expect(added.role).toBe('owner');
    ok(await organizations.delete(sysadmin, organization.id));
    expect(await world.io.findOrganizationById(organization.id)).toBeNull();
  });
});

describe('an employee', () => {
  it('may read but not write', async () => {
    const { world, organization, employee, memberships } = await organizationCast();
    const { organizations } = world.accounts;
    ok(await organizations.get(employee, organization.id));
    ok(await organizations.listMemberships(employee, organization.id));
    expect(errCode(await organizations.update(employee, organization.id, { name: 'X' }))).toBe('FORBIDDEN');
    expect(errCode(await organizations.changeMembershipRole(employee, memberships.member, { role: 'admin' }))).toBe(
      'FORBIDDEN',
    );
    expect(errCode(await organizations.delete(employee, organization.id))).toBe('FORBIDDEN');
  });
});
