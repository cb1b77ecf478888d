import type { ClientWithKey } from '../../src/domain/clients';
import type { Caller, CallerUser } from '../../src/domain/context';
import type { Organization, UserRole } from '../../src/ports/entities';
import { makeWorld, ok, type TestWorld, type WorldOptions } from './setup';

/**
 * Fixtures for the organization and client services. Users are written straight into the Io and
 * callers built by hand, so these tests depend on no login flow: what they exercise is authorization.
 */

export type UserCaller = Caller & { user: CallerUser };

let sequence = 0;

/** Stores a user with these roles and returns the caller a strictly validated access token would give. */
export async function addUser(world: TestWorld, roles: UserRole[] = ['user']): Promise<UserCaller> {
  sequence += 1;
  const now = world.clock.now();
  const id = world.lib.newId('user');
  await world.io.insertUser({
    id,
    name: `User ${sequence}`,
    passwordHash: null,
    roles,
    credentialVersion: 0,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    bannedAt: null,
    fields: {},
  });
  return { user: { id, roles, sessionId: null } };
}

/** A `system` client caller (no user), as key authentication would produce it. */
export function systemClient(organizationId = 'org_elsewhere'): Caller {
  return { client: { id: 'cli_system', organizationId, roles: ['system'] } };
}

/** A plain (`external`) client caller of an organization, without a user. */
export function externalClient(organizationId: string, id = 'cli_external'): Caller {
  return { client: { id, organizationId, roles: ['external'] } };
}

export interface OrganizationCast {
  world: TestWorld;
  organization: Organization;
  owner: UserCaller;
  admin: UserCaller;
  member: UserCaller;
  outsider: UserCaller;
  employee: UserCaller;
  sysadmin: UserCaller;
  /** Membership ids by person. */
  memberships: { owner: string; admin: string; member: string };
}

/** A world with one organization, one person per role, and people outside it. */
export async function organizationCast(options: WorldOptions = {}): Promise<OrganizationCast> {
  const world = makeWorld(options);
  const { organizations } = world.accounts;
  const owner = await addUser(world);
  const admin = await addUser(world);
  const member = await addUser(world);
  const organization = ok<Organization>(await organizations.create(owner, { name: 'Acme' }));
  const adminMembership = ok<{ id: string }>(
    await organizations.addMembership(owner, organization.id, { userId: admin.user.id, role: 'admin' }),
  );
  const memberMembership = ok<{ id: string }>(
    await organizations.addMembership(owner, organization.id, { userId: member.user.id, role: 'member' }),
  );
  const ownerMembership = await world.io.findMembership(organization.id, owner.user.id);
  return {
    world,
    organization,
    owner,
    admin,
    member,
    outsider: await addUser(world),
    employee: await addUser(world, ['employee', 'user']),
    sysadmin: await addUser(world, ['sysadmin', 'user']),
    memberships: { owner: ownerMembership?.id ?? '', admin: adminMembership.id, member: memberMembership.id },
  };
}

export type { ClientWithKey };

/** A request with an address, no Origin, for the default API name. */
export const NO_ORIGIN = { ip: '203.0.113.7', origin: null, api: 'accounts' };

/** Creates a client named Backend in the cast's organization (as its admin unless told). */
export async function createClient(cast: OrganizationCast, caller: Caller = cast.admin): Promise<ClientWithKey> {
  return ok<ClientWithKey>(await cast.world.accounts.clients.create(caller, cast.organization.id, { name: 'Backend' }));
}
