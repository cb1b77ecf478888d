import assert from 'node:assert/strict';
import type { Io } from '../../ports/io';
import {
  fixtureTime,
  HOUR_MS,
  MINUTE_MS,
  makeAccessRestriction,
  makeClient,
  makeOrganization,
  uniqueHash,
  uniqueId,
} from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

export function describeClientsAndRestrictions({ describe, it }: SuiteRunner, getIo: () => Io): void {
  async function insertOrganization(): Promise<string> {
    const organization = makeOrganization();
    await getIo().insertOrganization(organization);
    return organization.id;
  }

  async function insertClient(fields: { lastUsedAt?: Date | null } = {}): Promise<string> {
    const client = makeClient({ organizationId: await insertOrganization(), ...fields });
    await getIo().insertClient(client);
    return client.id;
  }

  describe('clients', () => {
    it('round-trips a client with every field', async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const full = makeClient({
        organizationId,
        roles: ['system', 'internal', 'external'],
        reqsPerSec: -1,
        updatedAt: fixtureTime(1),
        deletedAt: fixtureTime(2),
        lastUsedAt: fixtureTime(3),
      });
      const noRoles = makeClient({ organizationId, roles: [] });
      await io.insertClient(full);
      await io.insertClient(noRoles);
      assertSame(
        await io.findClientById(full.id),
        full,
        'findClientById did not return a client with every field set exactly as inserted',
      );
      assertSame(
        await io.findClientById(noRoles.id),
        noRoles,
        'findClientById did not return a client without roles exactly as inserted',
      );
      assert.strictEqual(await io.findClientById(uniqueId('cli')), null, 'findClientById of an unknown id is not null');
    });

    it('finds a client with its restrictions oldest first, deleted clients included', async () => {
      const io = getIo();
      const client = makeClient({ organizationId: await insertOrganization(), deletedAt: fixtureTime(9) });
      await io.insertClient(client);
      const later = makeAccessRestriction({
        clientId: client.id,
        type: 'host',
        value: '*.example.com',
        createdAt: fixtureTime(2),
      });
      const earlier = makeAccessRestriction({
        clientId: client.id,
        type: 'api',
        value: 'accounts',
        createdAt: fixtureTime(1),
      });
      await io.insertAccessRestrictions([later, earlier]);
      assertSame(
        await io.findClientWithRestrictions(client.id),
        { client, restrictions: [earlier, later] },
        'findClientWithRestrictions did not return the deleted client with its restrictions, oldest first',
      );
      assert.strictEqual(
        await io.findClientWithRestrictions(uniqueId('cli')),
        null,
        'findClientWithRestrictions of an unknown id is not null',
      );
    });

    it('finds a client without restrictions with an empty list', async () => {
      const io = getIo();
      const clientId = await insertClient();
      assertSame(
        (await io.findClientWithRestrictions(clientId))?.restrictions,
        [],
        'findClientWithRestrictions of a client without restrictions did not answer an empty list',
      );
    });

    it("lists an organization's clients that are not deleted, oldest first", async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const newer = makeClient({ organizationId, createdAt: fixtureTime(2) });
      const older = makeClient({ organizationId, createdAt: fixtureTime(1) });
      const deleted = makeClient({ organizationId, deletedAt: fixtureTime(3) });
      for (const client of [newer, older, deleted]) await io.insertClient(client);
      await io.insertClient(makeClient({ organizationId: await insertOrganization() }));
      assertSame(
        await io.listClients(organizationId),
        [older, newer],
        "listClients did not list exactly the organization's clients that are not deleted, oldest first",
      );
      assertSame(await io.listClients(uniqueId('org')), [], 'listClients of an unknown organization is not empty');
    });

    it('updates only the fields given, and reports whether the client exists', async () => {
      const io = getIo();
      const client = makeClient({ organizationId: await insertOrganization(), lastUsedAt: fixtureTime(1) });
      await io.insertClient(client);
      const patch = {
        name: 'Renamed',
        secretHash: uniqueHash(),
        roles: ['internal' as const],
        reqsPerSec: -1,
        deletedAt: fixtureTime(HOUR_MS),
        updatedAt: fixtureTime(HOUR_MS),
      };
      assert.strictEqual(
        await io.updateClient(client.id, patch),
        true,
        'updateClient of an existing client did not answer true',
      );
      assertSame(
        await io.findClientById(client.id),
        { ...client, ...patch },
        'updateClient did not change exactly the fields of the patch',
      );
      assert.strictEqual(
        await io.updateClient(client.id, { reqsPerSec: 20, updatedAt: fixtureTime(2 * HOUR_MS) }),
        true,
        'updateClient of an existing client did not answer true',
      );
      assertSame(
        await io.findClientById(client.id),
        { ...client, ...patch, reqsPerSec: 20, updatedAt: fixtureTime(2 * HOUR_MS) },
        'a second updateClient did not change exactly the fields of its patch',
      );
      assert.strictEqual(
        await io.updateClient(uniqueId('cli'), patch),
        false,
        'updateClient of an unknown id did not answer false',
      );
    });

    it('writes lastUsedAt when it was never set', async () => {
      const io = getIo();
      const clientId = await insertClient({ lastUsedAt: null });
      assert.strictEqual(
        await io.touchClientLastUsed(clientId, fixtureTime(MINUTE_MS), fixtureTime()),
        true,
        'touchClientLastUsed of a client never used did not answer true',
      );
      assertSame(
        (await io.findClientById(clientId))?.lastUsedAt,
        fixtureTime(MINUTE_MS),
        'touchClientLastUsed did not write lastUsedAt of a client never used',
      );
    });

    it('writes lastUsedAt only when it is older than staleBefore', async () => {
      const io = getIo();
      const clientId = await insertClient({ lastUsedAt: fixtureTime() });
      const at = fixtureTime(MINUTE_MS);
      assert.strictEqual(
        await io.touchClientLastUsed(clientId, at, fixtureTime()),
        false,
        'touchClientLastUsed answered true for a lastUsedAt equal to staleBefore',
      );
      assertSame(
        (await io.findClientById(clientId))?.lastUsedAt,
        fixtureTime(),
        'touchClientLastUsed wrote a lastUsedAt equal to staleBefore',
      );
      assert.strictEqual(
        await io.touchClientLastUsed(clientId, at, fixtureTime(1)),
        true,
        'touchClientLastUsed of a lastUsedAt older than staleBefore did not answer true',
      );
      assertSame(
        (await io.findClientById(clientId))?.lastUsedAt,
        at,
        'touchClientLastUsed did not write a lastUsedAt older than staleBefore',
      );
      assert.strictEqual(
        await io.touchClientLastUsed(uniqueId('cli'), at, fixtureTime(1)),
        false,
        'touchClientLastUsed of an unknown id did not answer false',
      );
    });
  });

  describe('access restrictions', () => {
    it("lists a client's restrictions oldest first, and only its own", async () => {
      const io = getIo();
      const clientId = await insertClient();
      const otherClientId = await insertClient();
      const restrictions = [3, 1, 2].map((offset) =>
        makeAccessRestriction({ clientId, value: `192.0.2.${offset}`, createdAt: fixtureTime(offset) }),
      );
      await io.insertAccessRestrictions(restrictions);
      await io.insertAccessRestrictions([makeAccessRestriction({ clientId: otherClientId })]);
      assertSame(
        await io.listAccessRestrictions(clientId),
        [restrictions[1], restrictions[2], restrictions[0]],
        "listAccessRestrictions did not list exactly the client's restrictions, oldest first",
      );
      assertSame(
        await io.listAccessRestrictions(uniqueId('cli')),
        [],
        'listAccessRestrictions of an unknown client is not empty',
      );
    });

    it('accepts an empty list of restrictions to insert', async () => {
      const io = getIo();
      const clientId = await insertClient();
      assert.strictEqual(
        await io.insertAccessRestrictions([]),
        undefined,
        'insertAccessRestrictions of an empty list did not resolve quietly',
      );
      assertSame(
        await io.listAccessRestrictions(clientId),
        [],
        'insertAccessRestrictions of an empty list stored something',
      );
    });

    it('deletes only the given restrictions of that client and counts them', async () => {
      const io = getIo();
      const clientId = await insertClient();
      const otherClientId = await insertClient();
      const kept = makeAccessRestriction({ clientId, createdAt: fixtureTime(1) });
      const doomed = makeAccessRestriction({ clientId, createdAt: fixtureTime(2) });
      const othersRestriction = makeAccessRestriction({ clientId: otherClientId });
      await io.insertAccessRestrictions([kept, doomed, othersRestriction]);
      assert.strictEqual(
        await io.deleteAccessRestrictions(clientId, [doomed.id, othersRestriction.id, uniqueId('res')]),
        1,
        "deleteAccessRestrictions did not count only the client's own deleted restriction",
      );
      assertSame(
        await io.listAccessRestrictions(clientId),
        [kept],
        'deleteAccessRestrictions did not delete exactly the restriction given',
      );
      assertSame(
        await io.listAccessRestrictions(otherClientId),
        [othersRestriction],
        "deleteAccessRestrictions deleted another client's restriction",
      );
      assert.strictEqual(
        await io.deleteAccessRestrictions(clientId, []),
        0,
        'deleteAccessRestrictions of no id did not answer 0',
      );
      assertSame(
        await io.listAccessRestrictions(clientId),
        [kept],
        'deleteAccessRestrictions of no id deleted something',
      );
    });
  });
}
