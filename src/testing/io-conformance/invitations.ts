import assert from 'node:assert/strict';
import type { Io } from '../../ports/io';
import { DAY_MS, fixtureTime, HOUR_MS, makeInvitation, makeOrganization, uniqueAddress, uniqueId } from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

const RACERS = 20;
/** An hour after the fixtures' invitations were made: they are open. */
const NOW = fixtureTime(HOUR_MS);

export function describeInvitations({ describe, it }: SuiteRunner, getIo: () => Io): void {
  async function insertOrganization(name = 'Analytical Engines Ltd'): Promise<string> {
    const organization = makeOrganization({ name });
    await getIo().insertOrganization(organization);
    return organization.id;
  }

  describe('invitations', () => {
    it('round-trips an invitation, found by id, by token hash and by organization and address', async () => {
      const io = getIo();
      const invitation = makeInvitation({
        organizationId: await insertOrganization(),
        role: 'admin',
        invitedByUserId: null,
        invitedByClientId: uniqueId('cli'),
        expiresAt: fixtureTime(7 * DAY_MS + 1),
      });
      await io.putInvitation(invitation);
      assertSame(
        await io.findInvitationById(invitation.id),
        invitation,
        'findInvitationById did not return the invitation exactly as put',
      );
      assertSame(
        await io.findInvitationByTokenHash(invitation.tokenHash),
        invitation,
        'findInvitationByTokenHash did not return the invitation exactly as put',
      );
      assertSame(
        await io.findInvitationFor(invitation.organizationId, invitation.address),
        invitation,
        'findInvitationFor did not return the invitation of that organization and address',
      );
      assert.strictEqual(
        await io.findInvitationById(uniqueId('inv')),
        null,
        'findInvitationById of an unknown id is not null',
      );
      assert.strictEqual(
        await io.findInvitationByTokenHash(makeInvitation({ organizationId: 'org_x' }).tokenHash),
        null,
        'findInvitationByTokenHash of an unknown hash is not null',
      );
      assert.strictEqual(
        await io.findInvitationFor(invitation.organizationId, uniqueAddress()),
        null,
        'findInvitationFor of an address without an invitation is not null',
      );
    });

    it('replaces the invitation of the same organization and address, and only that one', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const otherOrganizationId = await insertOrganization();
      const first = makeInvitation({ organizationId });
      const elsewhere = makeInvitation({ organizationId: otherOrganizationId, address: first.address });
      const second = makeInvitation({
        organizationId,
        address: first.address,
        role: 'owner',
        createdAt: fixtureTime(1),
      });
      await io.putInvitation(first);
      await io.putInvitation(elsewhere);
      await io.putInvitation(second);
      assert.strictEqual(await io.findInvitationById(first.id), null, 'putInvitation left the replaced invitation');
      assert.strictEqual(
        await io.findInvitationByTokenHash(first.tokenHash),
        null,
        "putInvitation left the replaced invitation's token hash findable",
      );
      assertSame(
        await io.findInvitationFor(organizationId, first.address),
        second,
        'putInvitation did not store the new invitation',
      );
      assertSame(
        await io.listInvitations(organizationId, NOW),
        [second],
        'the organization holds more than one invitation to the address',
      );
      assertSame(
        await io.findInvitationById(elsewhere.id),
        elsewhere,
        "putInvitation replaced another organization's invitation to the same address",
      );
    });

    it("lists an organization's invitations not expired at now, oldest first, and only its own", async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const newest = makeInvitation({ organizationId, createdAt: fixtureTime(2) });
      const oldest = makeInvitation({ organizationId, createdAt: fixtureTime(0) });
      const expiringNow = makeInvitation({ organizationId, expiresAt: NOW });
      const expired = makeInvitation({ organizationId, expiresAt: fixtureTime(HOUR_MS - 1) });
      const lastMillisecond = makeInvitation({
        organizationId,
        createdAt: fixtureTime(1),
        expiresAt: fixtureTime(HOUR_MS + 1),
      });
      for (const invitation of [newest, oldest, expiringNow, expired, lastMillisecond])
        await io.putInvitation(invitation);
      await io.putInvitation(makeInvitation({ organizationId: await insertOrganization() }));
      assertSame(
        await io.listInvitations(organizationId, NOW),
        [oldest, lastMillisecond, newest],
        'listInvitations did not list exactly the invitations with expiresAt after now, oldest first',
      );
      assertSame(
        await io.listInvitations(uniqueId('org'), NOW),
        [],
        'listInvitations of an unknown organization is not empty',
      );
    });

    it('lists the open invitations to some addresses with their organization names, oldest first, a page at a time', async () => {
      const io = getIo();
      const acme = await insertOrganization('Acme');
      const globex = await insertOrganization('Globex');
      const address = uniqueAddress();
      const secondAddress = uniqueAddress();
      const fromGlobex = makeInvitation({ organizationId: globex, address, createdAt: fixtureTime(0) });
      const fromAcme = makeInvitation({ organizationId: acme, address: secondAddress, createdAt: fixtureTime(1) });
      const expired = makeInvitation({ organizationId: acme, address, expiresAt: NOW });
      const toSomeoneElse = makeInvitation({ organizationId: acme });
      for (const invitation of [fromAcme, fromGlobex, expired, toSomeoneElse]) await io.putInvitation(invitation);
      assertSame(
        await io.listInvitationsTo([address, secondAddress], NOW, { limit: 10 }),
        [
          { invitation: fromGlobex, organizationName: 'Globex' },
          { invitation: fromAcme, organizationName: 'Acme' },
        ],
        'listInvitationsTo did not list exactly the open invitations to the addresses, oldest first, with names',
      );
      assertSame(
        await io.listInvitationsTo([address, secondAddress], NOW, { limit: 1 }),
        [
          { invitation: fromGlobex, organizationName: 'Globex' },
          { invitation: fromAcme, organizationName: 'Acme' },
        ],
        'listInvitationsTo of limit 1 did not return limit + 1 rows',
      );
      assertSame(
        await io.listInvitationsTo([address, secondAddress], NOW, {
          limit: 5,
          after: { createdAt: fromGlobex.createdAt, id: fromGlobex.id },
        }),
        [{ invitation: fromAcme, organizationName: 'Acme' }],
        'listInvitationsTo did not resume after the page key',
      );
      assertSame(
        await io.listInvitationsTo([], NOW, { limit: 10 }),
        [],
        'listInvitationsTo of no addresses is not empty',
      );
    });

    it('consumes an open invitation once, and never an expired one', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const open = makeInvitation({ organizationId });
      const expired = makeInvitation({ organizationId, expiresAt: NOW });
      await io.putInvitation(open);
      await io.putInvitation(expired);
      assert.strictEqual(
        await io.consumeInvitation(open.id, NOW),
        true,
        'consumeInvitation of an open invitation did not answer true',
      );
      assert.strictEqual(
        await io.consumeInvitation(open.id, NOW),
        false,
        'consumeInvitation answered true twice for one invitation',
      );
      assert.strictEqual(await io.findInvitationById(open.id), null, 'a consumed invitation is still stored');
      assert.strictEqual(
        await io.consumeInvitation(expired.id, NOW),
        false,
        'consumeInvitation of an invitation expiring at now answered true',
      );
      assertSame(
        await io.findInvitationById(expired.id),
        expired,
        'a refused consumeInvitation changed the invitation',
      );
    });

    it(`lets exactly one of ${RACERS} parallel consumers consume an invitation`, async () => {
      const io = getIo();
      const invitation = makeInvitation({ organizationId: await insertOrganization() });
      await io.putInvitation(invitation);
      const outcomes = await Promise.all(
        Array.from({ length: RACERS }, () => io.consumeInvitation(invitation.id, NOW)),
      );
      assert.strictEqual(
        outcomes.filter(Boolean).length,
        1,
        `consumeInvitation did not answer true to exactly one of ${RACERS} parallel calls`,
      );
    });

    it(`keeps one invitation per organization and address when ${RACERS} are put at once`, async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const address = uniqueAddress();
      const racers = Array.from({ length: RACERS }, () => makeInvitation({ organizationId, address }));
      await Promise.all(racers.map((invitation) => io.putInvitation(invitation)));
      const kept = await io.listInvitations(organizationId, NOW);
      assert.strictEqual(
        kept.length,
        1,
        `${RACERS} parallel putInvitation calls left ${kept.length} invitations to one address`,
      );
      const findable = await Promise.all(
        racers.map((invitation) => io.findInvitationByTokenHash(invitation.tokenHash)),
      );
      assert.strictEqual(
        findable.filter(Boolean).length,
        1,
        'more than one token hash of the racing invitations is still findable',
      );
    });

    it('deletes one invitation, and reports whether it existed', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const doomed = makeInvitation({ organizationId });
      const kept = makeInvitation({ organizationId });
      await io.putInvitation(doomed);
      await io.putInvitation(kept);
      assert.strictEqual(
        await io.deleteInvitation(doomed.id),
        true,
        'deleteInvitation of an existing invitation did not answer true',
      );
      assert.strictEqual(
        await io.deleteInvitation(doomed.id),
        false,
        'deleteInvitation answered true twice for one invitation',
      );
      assertSame(
        await io.listInvitations(organizationId, NOW),
        [kept],
        'deleteInvitation did not delete exactly the given invitation',
      );
    });

    it("goes with its organization, leaving other organizations' invitations", async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const invitation = makeInvitation({ organizationId });
      const other = makeInvitation({ organizationId: await insertOrganization(), address: invitation.address });
      await io.putInvitation(invitation);
      await io.putInvitation(other);
      await io.deleteOrganization(organizationId);
      assert.strictEqual(
        await io.findInvitationById(invitation.id),
        null,
        'deleteOrganization left an invitation of it',
      );
      assertSame(
        await io.findInvitationById(other.id),
        other,
        "deleteOrganization deleted another organization's invitation",
      );
    });

    it('rolls a put back with its transaction', async () => {
      const io = getIo();
      const invitation = makeInvitation({ organizationId: await insertOrganization() });
      await assert.rejects(
        io.transaction(async (tx) => {
          await tx.putInvitation(invitation);
          throw new Error('rolled back by the conformance suite');
        }),
        /rolled back by the conformance suite/,
      );
      assert.strictEqual(
        await io.findInvitationById(invitation.id),
        null,
        'a rolled-back putInvitation left the invitation',
      );
    });
  });
}
