import assert from 'node:assert/strict';
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
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

export function describeOrganizationsAndMemberships({ describe, it }: SuiteRunner, getIo: () => Io): void {
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
      assertSame(
        await io.findOrganizationById(organization.id),
        organization,
        'findOrganizationById did not return the organization exactly as inserted',
      );
      assert.strictEqual(
        await io.findOrganizationById(uniqueId('org')),
        null,
        'findOrganizationById of an unknown id is not null',
      );
    });

    it('renames an organization, and reports whether it exists', async () => {
      const io = getIo();
      const organization = makeOrganization();
      await io.insertOrganization(organization);
      const patch = { name: 'Difference Engines plc', updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(
        await io.updateOrganization(organization.id, patch),
        true,
        'updateOrganization of an existing organization did not answer true',
      );
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...patch },
        'updateOrganization did not change exactly the fields of the patch',
      );
      assert.strictEqual(
        await io.updateOrganization(uniqueId('org'), patch),
        false,
        'updateOrganization of an unknown id did not answer false',
      );
    });

    it('stores whether an organization requires two-factor, changing only the fields given', async () => {
      const io = getIo();
      const organization = makeOrganization({ requireMfa: true });
      await io.insertOrganization(organization);
      assertSame(
        await io.findOrganizationById(organization.id),
        organization,
        'findOrganizationById did not return requireMfa: true as inserted',
      );
      const off = { requireMfa: false, updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(await io.updateOrganization(organization.id, off), true);
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...off },
        'updateOrganization with { requireMfa, updatedAt } did not change exactly those (the name must stay)',
      );
      const renamed = { name: 'Strict Engines', updatedAt: fixtureTime(2 * HOUR_MS) };
      await io.updateOrganization(organization.id, renamed);
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...off, ...renamed },
        'updateOrganization with { name, updatedAt } changed requireMfa',
      );
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

      assert.strictEqual(
        await io.deleteOrganization(organizationId),
        true,
        'deleteOrganization of an existing organization did not answer true',
      );
      assert.strictEqual(
        await io.findOrganizationById(organizationId),
        null,
        'deleteOrganization left the organization',
      );
      assert.strictEqual(
        await io.findMembershipById(membership.id),
        null,
        'deleteOrganization left a membership of it',
      );
      assertSame(await io.listMemberships(organizationId), [], 'deleteOrganization left memberships listed');
      assert.strictEqual(await io.findClientById(client.id), null, 'deleteOrganization left a client of it');
      assertSame(
        await io.listAccessRestrictions(client.id),
        [],
        'deleteOrganization left the restrictions of its client',
      );
      // Decision: a session outlives the client it logged in through, with clientId set to null.
      assertSame(
        await io.findSessionById(sessionThroughClient.id),
        { ...sessionThroughClient, clientId: null },
        'deleteOrganization did not keep the session made through its client, with clientId set to null',
      );

      assertSame(
        await io.findMembershipById(otherMembership.id),
        otherMembership,
        'deleteOrganization deleted a membership of another organization',
      );
      assertSame(
        await io.findClientById(otherClient.id),
        otherClient,
        'deleteOrganization deleted a client of another organization',
      );
      assertSame(
        await io.listAccessRestrictions(otherClient.id),
        [otherRestriction],
        "deleteOrganization deleted another organization's client restrictions",
      );
      assert.strictEqual(
        await io.deleteOrganization(organizationId),
        false,
        'deleteOrganization of a deleted organization did not answer false',
      );
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
      assert.strictEqual(
        await io.insertMembership(membership),
        true,
        'insertMembership of a new membership did not answer true',
      );
      assertSame(
        await io.findMembershipById(membership.id),
        membership,
        'findMembershipById did not return the membership exactly as inserted',
      );
      assertSame(
        await io.findMembership(membership.organizationId, membership.userId),
        membership,
        'findMembership by organization and user did not return the membership exactly as inserted',
      );
      assert.strictEqual(
        await io.findMembershipById(uniqueId('mem')),
        null,
        'findMembershipById of an unknown id is not null',
      );
      assert.strictEqual(
        await io.findMembership(membership.organizationId, uniqueId('usr')),
        null,
        'findMembership of a user who is not a member is not null',
      );
    });

    it('refuses a second membership of the same user in an organization and writes nothing', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const userId = await insertUser();
      const first = makeMembership({ organizationId, userId, role: 'member' });
      const second = makeMembership({ organizationId, userId, role: 'owner' });
      assert.strictEqual(
        await io.insertMembership(first),
        true,
        'insertMembership of a new membership did not answer true',
      );
      assert.strictEqual(
        await io.insertMembership(second),
        false,
        'insertMembership of a user already in the organization did not answer false',
      );
      assert.strictEqual(
        await io.findMembershipById(second.id),
        null,
        'a refused insertMembership stored the membership',
      );
      assertSame(
        await io.listMemberships(organizationId),
        [first],
        'a refused insertMembership changed the memberships of the organization',
      );
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
      assertSame(
        await io.listMemberships(organizationId),
        [oldest, middle, newest],
        "listMemberships did not list exactly the organization's memberships, oldest first",
      );
      assertSame(
        await io.listMemberships(uniqueId('org')),
        [],
        'listMemberships of an unknown organization is not empty',
      );
    });

    it("lists a user's memberships across organizations oldest first", async () => {
      const io = getIo();
      const userId = await insertUser();
      const later = makeMembership({ organizationId: await insertOrganization(), userId, createdAt: fixtureTime(5) });
      const earlier = makeMembership({ organizationId: await insertOrganization(), userId, createdAt: fixtureTime(1) });
      await io.insertMembership(later);
      await io.insertMembership(earlier);
      await io.insertMembership(makeMembership({ organizationId: later.organizationId, userId: await insertUser() }));
      assertSame(
        await io.listMembershipsOfUser(userId),
        [earlier, later],
        "listMembershipsOfUser did not list exactly the user's memberships, oldest first",
      );
      assertSame(
        await io.listMembershipsOfUser(uniqueId('usr')),
        [],
        'listMembershipsOfUser of an unknown user is not empty',
      );
    });

    it('counts the owners of an organization', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      for (const role of ['owner', 'owner', 'admin', 'member'] as const) {
        await io.insertMembership(makeMembership({ organizationId, userId: await insertUser(), role }));
      }
      assert.strictEqual(await io.countOwners(organizationId), 2, 'countOwners did not count exactly the owners');
      assert.strictEqual(
        await io.countOwners(uniqueId('org')),
        0,
        'countOwners of an unknown organization did not answer 0',
      );
    });

    it('changes a role, and reports whether the membership exists', async () => {
      const io = getIo();
      const membership = makeMembership({ organizationId: await insertOrganization(), userId: await insertUser() });
      await io.insertMembership(membership);
      assert.strictEqual(
        await io.updateMembershipRole(membership.id, 'owner'),
        true,
        'updateMembershipRole of an existing membership did not answer true',
      );
      assertSame(
        await io.findMembershipById(membership.id),
        { ...membership, role: 'owner' },
        'updateMembershipRole did not change exactly the role',
      );
      assert.strictEqual(
        await io.updateMembershipRole(uniqueId('mem'), 'owner'),
        false,
        'updateMembershipRole of an unknown id did not answer false',
      );
    });

    it('deletes one membership, and reports whether it existed', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const doomed = makeMembership({ organizationId, userId: await insertUser() });
      const kept = makeMembership({ organizationId, userId: await insertUser() });
      await io.insertMembership(doomed);
      await io.insertMembership(kept);
      assert.strictEqual(
        await io.deleteMembership(doomed.id),
        true,
        'deleteMembership of an existing membership did not answer true',
      );
      assert.strictEqual(
        await io.deleteMembership(doomed.id),
        false,
        'deleteMembership answered true twice for one membership',
      );
      assertSame(
        await io.listMemberships(organizationId),
        [kept],
        'deleteMembership did not delete exactly the given membership',
      );
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
      assert.strictEqual(
        await io.deleteMembershipsOfUser(userId),
        2,
        "deleteMembershipsOfUser did not count the user's two memberships",
      );
      assertSame(await io.listMembershipsOfUser(userId), [], 'deleteMembershipsOfUser left a membership of the user');
      assertSame(
        await io.listMemberships(organizationId),
        [othersMembership],
        "deleteMembershipsOfUser deleted another user's membership",
      );
      assert.strictEqual(
        await io.deleteMembershipsOfUser(userId),
        0,
        'deleteMembershipsOfUser of a user without memberships did not answer 0',
      );
    });
  });
}
