/// <reference types="jest" />
import type { Io } from '../../ports/io';
import {
  fixtureTime,
  HOUR_MS,
  makeAccessRestriction,
  makeClient,
  makeMembership,
  makeOrganization,
  makeSession,
  makeUser,
  uniqueId,
} from '../fixtures';

export function describeOrganizationsAndMemberships(getIo: () => Io): void {
  async function insertOrganization(): Promise<string> {
    const organization = makeOrganization();
    await getIo().insertOrganization(organization);
    return organization.id;
  }

  async function insertUser(): Promise<string> {
    const user = makeUser();
    await getIo().insertUser(user);
    return user.id;
  }

  describe('organizations', () => {
    it('round-trips an organization', async () => {
      const io = getIo();
      const organization = makeOrganization({ updatedAt: fixtureTime(1) });
      await io.insertOrganization(organization);
      expect(await io.findOrganizationById(organization.id)).toStrictEqual(organization);
      expect(await io.findOrganizationById(uniqueId('org'))).toBeNull();
    });

    it('renames an organization, and reports whether it exists', async () => {
      const io = getIo();
      const organization = makeOrganization();
      await io.insertOrganization(organization);
      const patch = { name: 'Difference Engines plc', updatedAt: fixtureTime(HOUR_MS) };
      expect(await io.updateOrganization(organization.id, patch)).toBe(true);
      expect(await io.findOrganizationById(organization.id)).toStrictEqual({ ...organization, ...patch });
      expect(await io.updateOrganization(uniqueId('org'), patch)).toBe(false);
    });

    it('deletes an organization with its memberships, clients and their restrictions, and nothing else', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const otherOrganizationId = await insertOrganization();
      const userId = await insertUser();
      const membership = makeMembership({ organizationId, userId, role: 'owner' });
      const otherMembership = makeMembership({ organizationId: otherOrganizationId, userId });
      await io.insertMembership(membership);
      await io.insertMembership(otherMembership);
      const client = makeClient({ organizationId });
      const otherClient = makeClient({ organizationId: otherOrganizationId });
      await io.insertClient(client);
      await io.insertClient(otherClient);
      const restriction = makeAccessRestriction({ clientId: client.id });
      const otherRestriction = makeAccessRestriction({ clientId: otherClient.id });
      await io.insertAccessRestrictions([restriction, otherRestriction]);
      const sessionThroughClient = makeSession({ userId, clientId: client.id });
      await io.insertSession(sessionThroughClient);

      expect(await io.deleteOrganization(organizationId)).toBe(true);
      expect(await io.findOrganizationById(organizationId)).toBeNull();
      expect(await io.findMembershipById(membership.id)).toBeNull();
      expect(await io.listMemberships(organizationId)).toEqual([]);
      expect(await io.findClientById(client.id)).toBeNull();
      expect(await io.listAccessRestrictions(client.id)).toEqual([]);
      // Decision: a session outlives the client it logged in through, with clientId set to null.
      expect(await io.findSessionById(sessionThroughClient.id)).toStrictEqual({
        ...sessionThroughClient,
        clientId: null,
      });

      expect(await io.findMembershipById(otherMembership.id)).toStrictEqual(otherMembership);
      expect(await io.findClientById(otherClient.id)).toStrictEqual(otherClient);
      expect(await io.listAccessRestrictions(otherClient.id)).toStrictEqual([otherRestriction]);
      expect(await io.deleteOrganization(organizationId)).toBe(false);
    });
  });

  describe('memberships', () => {
    it('round-trips a membership, found by id or by organization and user', async () => {
      const io = getIo();
      const membership = makeMembership({
        organizationId: await insertOrganization(),
        userId: await insertUser(),
        role: 'admin',
      });
      expect(await io.insertMembership(membership)).toBe(true);
      expect(await io.findMembershipById(membership.id)).toStrictEqual(membership);
      expect(await io.findMembership(membership.organizationId, membership.userId)).toStrictEqual(membership);
      expect(await io.findMembershipById(uniqueId('mem'))).toBeNull();
      expect(await io.findMembership(membership.organizationId, uniqueId('usr'))).toBeNull();
    });

    it('refuses a second membership of the same user in an organization and writes nothing', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const userId = await insertUser();
      const first = makeMembership({ organizationId, userId, role: 'member' });
      const second = makeMembership({ organizationId, userId, role: 'owner' });
      expect(await io.insertMembership(first)).toBe(true);
      expect(await io.insertMembership(second)).toBe(false);
      expect(await io.findMembershipById(second.id)).toBeNull();
      expect(await io.listMemberships(organizationId)).toStrictEqual([first]);
    });

    it("lists an organization's memberships oldest first, and only its own", async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const otherOrganizationId = await insertOrganization();
      const newest = makeMembership({ organizationId, userId: await insertUser(), createdAt: fixtureTime(2) });
      const oldest = makeMembership({ organizationId, userId: await insertUser(), createdAt: fixtureTime(0) });
      const middle = makeMembership({ organizationId, userId: await insertUser(), createdAt: fixtureTime(1) });
      for (const membership of [newest, oldest, middle]) await io.insertMembership(membership);
      await io.insertMembership(makeMembership({ organizationId: otherOrganizationId, userId: newest.userId }));
      expect(await io.listMemberships(organizationId)).toStrictEqual([oldest, middle, newest]);
      expect(await io.listMemberships(uniqueId('org'))).toEqual([]);
    });

    it("lists a user's memberships across organizations oldest first", async () => {
      const io = getIo();
      const userId = await insertUser();
      const later = makeMembership({ organizationId: await insertOrganization(), userId, createdAt: fixtureTime(5) });
      const earlier = makeMembership({ organizationId: await insertOrganization(), userId, createdAt: fixtureTime(1) });
      await io.insertMembership(later);
      await io.insertMembership(earlier);
      await io.insertMembership(makeMembership({ organizationId: later.organizationId, userId: await insertUser() }));
      expect(await io.listMembershipsOfUser(userId)).toStrictEqual([earlier, later]);
      expect(await io.listMembershipsOfUser(uniqueId('usr'))).toEqual([]);
    });

    it('counts the owners of an organization', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      for (const role of ['owner', 'owner', 'admin', 'member'] as const) {
        await io.insertMembership(makeMembership({ organizationId, userId: await insertUser(), role }));
      }
      expect(await io.countOwners(organizationId)).toBe(2);
      expect(await io.countOwners(uniqueId('org'))).toBe(0);
    });

    it('changes a role, and reports whether the membership exists', async () => {
      const io = getIo();
      const membership = makeMembership({ organizationId: await insertOrganization(), userId: await insertUser() });
      await io.insertMembership(membership);
      expect(await io.updateMembershipRole(membership.id, 'owner')).toBe(true);
      expect(await io.findMembershipById(membership.id)).toStrictEqual({ ...membership, role: 'owner' });
      expect(await io.updateMembershipRole(uniqueId('mem'), 'owner')).toBe(false);
    });

    it('deletes one membership, and reports whether it existed', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const doomed = makeMembership({ organizationId, userId: await insertUser() });
      const kept = makeMembership({ organizationId, userId: await insertUser() });
      await io.insertMembership(doomed);
      await io.insertMembership(kept);
      expect(await io.deleteMembership(doomed.id)).toBe(true);
      expect(await io.deleteMembership(doomed.id)).toBe(false);
      expect(await io.listMemberships(organizationId)).toStrictEqual([kept]);
    });

    it('removes a user from every organization and counts the memberships removed', async () => {
      const io = getIo();
      const userId = await insertUser();
      const otherUserId = await insertUser();
      const organizationId = await insertOrganization();
      await io.insertMembership(makeMembership({ organizationId, userId }));
      await io.insertMembership(makeMembership({ organizationId: await insertOrganization(), userId }));
      const othersMembership = makeMembership({ organizationId, userId: otherUserId });
      await io.insertMembership(othersMembership);
      expect(await io.deleteMembershipsOfUser(userId)).toBe(2);
      expect(await io.listMembershipsOfUser(userId)).toEqual([]);
      expect(await io.listMemberships(organizationId)).toStrictEqual([othersMembership]);
      expect(await io.deleteMembershipsOfUser(userId)).toBe(0);
    });
  });
}
