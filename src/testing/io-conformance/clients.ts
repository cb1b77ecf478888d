/// <reference types="jest" />
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

export function describeClientsAndRestrictions(getIo: () => Io): void {
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
      expect(await io.findClientById(full.id)).toStrictEqual(full);
      expect(await io.findClientById(noRoles.id)).toStrictEqual(noRoles);
      expect(await io.findClientById(uniqueId('cli'))).toBeNull();
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
      expect(await io.findClientWithRestrictions(client.id)).toStrictEqual({ client, restrictions: [earlier, later] });
      expect(await io.findClientWithRestrictions(uniqueId('cli'))).toBeNull();
    });

    it('finds a client without restrictions with an empty list', async () => {
      const io = getIo();
      const clientId = await insertClient();
      expect((await io.findClientWithRestrictions(clientId))?.restrictions).toEqual([]);
    });

    it("lists an organization's clients that are not deleted, oldest first", async () => {
      const io = getIo();
      const organizationId = await insertOrganization();
      const newer = makeClient({ organizationId, createdAt: fixtureTime(2) });
      const older = makeClient({ organizationId, createdAt: fixtureTime(1) });
      const deleted = makeClient({ organizationId, deletedAt: fixtureTime(3) });
      for (const client of [newer, older, deleted]) await io.insertClient(client);
      await io.insertClient(makeClient({ organizationId: await insertOrganization() }));
      expect(await io.listClients(organizationId)).toStrictEqual([older, newer]);
      expect(await io.listClients(uniqueId('org'))).toEqual([]);
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
      expect(await io.updateClient(client.id, patch)).toBe(true);
      expect(await io.findClientById(client.id)).toStrictEqual({ ...client, ...patch });
      expect(await io.updateClient(client.id, { reqsPerSec: 20, updatedAt: fixtureTime(2 * HOUR_MS) })).toBe(true);
      expect(await io.findClientById(client.id)).toStrictEqual({
        ...client,
        ...patch,
        reqsPerSec: 20,
        updatedAt: fixtureTime(2 * HOUR_MS),
      });
      expect(await io.updateClient(uniqueId('cli'), patch)).toBe(false);
    });

    it('writes lastUsedAt when it was never set', async () => {
      const io = getIo();
      const clientId = await insertClient({ lastUsedAt: null });
      expect(await io.touchClientLastUsed(clientId, fixtureTime(MINUTE_MS), fixtureTime())).toBe(true);
      expect((await io.findClientById(clientId))?.lastUsedAt).toEqual(fixtureTime(MINUTE_MS));
    });

    it('writes lastUsedAt only when it is older than staleBefore', async () => {
      const io = getIo();
      const clientId = await insertClient({ lastUsedAt: fixtureTime() });
      const at = fixtureTime(MINUTE_MS);
      expect(await io.touchClientLastUsed(clientId, at, fixtureTime())).toBe(false);
      expect((await io.findClientById(clientId))?.lastUsedAt).toEqual(fixtureTime());
      expect(await io.touchClientLastUsed(clientId, at, fixtureTime(1))).toBe(true);
      expect((await io.findClientById(clientId))?.lastUsedAt).toEqual(at);
      expect(await io.touchClientLastUsed(uniqueId('cli'), at, fixtureTime(1))).toBe(false);
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
      expect(await io.listAccessRestrictions(clientId)).toStrictEqual([
        restrictions[1],
        restrictions[2],
        restrictions[0],
      ]);
      expect(await io.listAccessRestrictions(uniqueId('cli'))).toEqual([]);
    });

    it('accepts an empty list of restrictions to insert', async () => {
      const io = getIo();
      const clientId = await insertClient();
      await expect(io.insertAccessRestrictions([])).resolves.toBeUndefined();
      expect(await io.listAccessRestrictions(clientId)).toEqual([]);
    });

    it('deletes only the given restrictions of that client and counts them', async () => {
      const io = getIo();
      const clientId = await insertClient();
      const otherClientId = await insertClient();
      const kept = makeAccessRestriction({ clientId, createdAt: fixtureTime(1) });
      const doomed = makeAccessRestriction({ clientId, createdAt: fixtureTime(2) });
      const othersRestriction = makeAccessRestriction({ clientId: otherClientId });
      await io.insertAccessRestrictions([kept, doomed, othersRestriction]);
      expect(await io.deleteAccessRestrictions(clientId, [doomed.id, othersRestriction.id, uniqueId('res')])).toBe(1);
      expect(await io.listAccessRestrictions(clientId)).toStrictEqual([kept]);
      expect(await io.listAccessRestrictions(otherClientId)).toStrictEqual([othersRestriction]);
      expect(await io.deleteAccessRestrictions(clientId, [])).toBe(0);
      expect(await io.listAccessRestrictions(clientId)).toStrictEqual([kept]);
    });
  });
}
