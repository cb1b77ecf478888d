import assert from 'node:assert/strict';
import type { CustomFields } from '../../ports/entities';
import type { Io } from '../../ports/io';
import {
  fixtureTime,
  HOUR_MS,
  makeAccessRestriction,
  makeClient,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeRefreshToken,
  makeSession,
  makeUser,
  uniqueId,
} from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

/** Every kind of JSON value, and strings that trip up encodings and escaping. */
function richFields(): CustomFields {
  return {
    plan: 'pro',
    greeting: 'Grüße, 世界, مرحبا 👋🏽 👩‍👩‍👧',
    escapes: 'quote " backslash \\ slash / newline \n tab \t nul \u0000 line separator \u2028',
    loneSurrogate: '\ud83d',
    seats: 42,
    negative: -7,
    largestSafe: Number.MAX_SAFE_INTEGER,
    ratio: 0.1 + 0.2,
    tiny: 5e-324,
    huge: 1.7976931348623157e308,
    exponent: 6.02214076e23,
    active: true,
    trial: false,
    cancelledAt: null,
    tags: ['a', 1, 2.5, false, null, { nested: [[], {}] }],
    empty: {},
    emptyList: [],
    address: { city: 'Zürich', geo: { lat: 47.3769, lng: 8.5417 }, lines: ['Bahnhofstrasse 1', ''] },
    'key with spaces, dots. and "quotes"': 'ok',
    '': 'the empty key',
  };
}

class Rollback extends Error {
  constructor() {
    super('rolled back on purpose by the conformance suite');
  }
}

const PAGE = { limit: 10 };

export function describeCustomFields({ describe, it }: SuiteRunner, getIo: () => Io): void {
  /** A user with rich fields, signed in: a login email, a session and a refresh token. */
  async function insertUserWithSession(io: Io, fields: CustomFields = richFields()) {
    const user = makeUser({ fields });
    const email = makeLoginEmail({ userId: user.id });
    const session = makeSession({ userId: user.id });
    const token = makeRefreshToken({ sessionId: session.id });
    await io.insertUser(user);
    await io.insertLoginEmail(email);
    await io.insertSession(session);
    await io.insertRefreshToken(token);
    return { user, email, session, token };
  }

  /** An organization, a user in it and a client of it, each with its own fields. */
  async function insertOrganizationWithMemberAndClient(io: Io) {
    const organization = makeOrganization({ fields: { ...richFields(), of: 'organization' } });
    const user = makeUser();
    const membership = makeMembership({
      organizationId: organization.id,
      userId: user.id,
      fields: { ...richFields(), of: 'membership' },
    });
    const client = makeClient({ organizationId: organization.id, fields: { ...richFields(), of: 'client' } });
    await io.insertOrganization(organization);
    await io.insertUser(user);
    assert.strictEqual(await io.insertMembership(membership), true, 'insertMembership did not insert');
    await io.insertClient(client);
    return { organization, user, membership, client };
  }

  describe('custom fields', () => {
    it("round-trips a user's custom fields through every reader of users, joins included", async () => {
      const io = getIo();
      const { user, email, session, token } = await insertUserWithSession(io);
      const not = (method: string) => `${method} did not return the user's custom fields exactly as inserted`;
      assertSame(await io.findUserById(user.id), user, not('findUserById'));
      assertSame(await io.lockUser(user.id), user, not('lockUser'));
      assertSame(await io.transaction((tx) => tx.lockUser(user.id)), user, not('lockUser in a transaction'));
      assertSame(await io.findUserByEmail(email.address), { user, email }, not('findUserByEmail'));
      assertSame(await io.findSessionWithUser(session.id), { session, user }, not('findSessionWithUser'));
      assertSame(
        await io.transaction((tx) => tx.lockUserWithSession(user.id, session.id)),
        { user, session },
        not('lockUserWithSession'),
      );
      assertSame(
        await io.findRefreshTokenWithSession(token.tokenHash),
        { token, session, user },
        not('findRefreshTokenWithSession'),
      );
    });

    it("round-trips an organization's custom fields", async () => {
      const io = getIo();
      const { organization } = await insertOrganizationWithMemberAndClient(io);
      assertSame(
        await io.findOrganizationById(organization.id),
        organization,
        "findOrganizationById did not return the organization's custom fields exactly as inserted",
      );
    });

    it("round-trips a membership's custom fields through every reader and list of memberships", async () => {
      const io = getIo();
      const { organization, user, membership } = await insertOrganizationWithMemberAndClient(io);
      const not = (method: string) => `${method} did not return the membership's custom fields exactly as inserted`;
      assertSame(await io.findMembershipById(membership.id), membership, not('findMembershipById'));
      assertSame(await io.findMembership(organization.id, user.id), membership, not('findMembership'));
      assertSame(await io.listMemberships(organization.id), [membership], not('listMemberships'));
      assertSame(await io.listMembershipsPage(organization.id, PAGE), [membership], not('listMembershipsPage'));
      assertSame(await io.listMembershipsOfUser(user.id), [membership], not('listMembershipsOfUser'));
    });

    it("round-trips a client's custom fields through every reader and list of clients, joins included", async () => {
      const io = getIo();
      const { organization, client } = await insertOrganizationWithMemberAndClient(io);
      const not = (method: string) => `${method} did not return the client's custom fields exactly as inserted`;
      assertSame(await io.findClientById(client.id), client, not('findClientById'));
      assertSame(
        await io.findClientWithRestrictions(client.id),
        { client, restrictions: [] },
        not('findClientWithRestrictions (no restriction)'),
      );
      const restrictions = [
        makeAccessRestriction({ clientId: client.id }),
        makeAccessRestriction({ clientId: client.id, type: 'api', value: 'billing', createdAt: fixtureTime(1) }),
      ];
      await io.insertAccessRestrictions(restrictions);
      assertSame(
        await io.findClientWithRestrictions(client.id),
        { client, restrictions },
        not('findClientWithRestrictions (two restrictions)'),
      );
      assertSame(await io.listClients(organization.id), [client], not('listClients'));
      assertSame(await io.listClientsPage(organization.id, PAGE), [client], not('listClientsPage'));
    });

    it("replaces a user's custom fields whole with updateUser, and a patch without them keeps them", async () => {
      const io = getIo();
      const { user } = await insertUserWithSession(io);
      const rename = { name: 'Ada King', updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(await io.updateUser(user.id, rename), true);
      assertSame(
        await io.findUserById(user.id),
        { ...user, ...rename },
        'updateUser without fields changed the custom fields',
      );
      const replace = { fields: { plan: 'free', seats: [1, 2] }, updatedAt: fixtureTime(2 * HOUR_MS) };
      assert.strictEqual(await io.updateUser(user.id, replace), true);
      assertSame(
        await io.findUserById(user.id),
        { ...user, ...rename, ...replace },
        'updateUser did not replace the custom fields whole, leaving every other column as it was',
      );
      const clear = { fields: {}, updatedAt: fixtureTime(3 * HOUR_MS) };
      assert.strictEqual(await io.updateUser(user.id, clear), true);
      assertSame(
        await io.findUserById(user.id),
        { ...user, ...rename, ...clear },
        'updateUser with fields {} did not empty the custom fields',
      );
    });

    it("replaces an organization's custom fields whole with updateOrganization, and a patch without them keeps them", async () => {
      const io = getIo();
      const { organization } = await insertOrganizationWithMemberAndClient(io);
      const require = { requireMfa: true, updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(await io.updateOrganization(organization.id, require), true);
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...require },
        'updateOrganization without fields changed the custom fields',
      );
      const replace = { fields: { region: 'eu-west', tier: 3 }, updatedAt: fixtureTime(2 * HOUR_MS) };
      assert.strictEqual(await io.updateOrganization(organization.id, replace), true);
      assertSame(
        await io.findOrganizationById(organization.id),
        { ...organization, ...require, ...replace },
        'updateOrganization did not replace the custom fields whole, leaving every other column as it was',
      );
    });

    it("replaces a client's custom fields whole with updateClient, and a patch without them keeps them", async () => {
      const io = getIo();
      const { organization, client } = await insertOrganizationWithMemberAndClient(io);
      const throttle = { reqsPerSec: 99, updatedAt: fixtureTime(HOUR_MS) };
      assert.strictEqual(await io.updateClient(client.id, throttle), true);
      assertSame(
        await io.findClientById(client.id),
        { ...client, ...throttle },
        'updateClient without fields changed the custom fields',
      );
      const replace = { fields: { team: 'payments', owners: ['ada', 'charles'] }, updatedAt: fixtureTime(2 * HOUR_MS) };
      assert.strictEqual(await io.updateClient(client.id, replace), true);
      const expected = { ...client, ...throttle, ...replace };
      assertSame(
        await io.findClientById(client.id),
        expected,
        'updateClient did not replace the custom fields whole, leaving every other column as it was',
      );
      assertSame(await io.listClients(organization.id), [expected], 'listClients did not read the new custom fields');
    });

    it("replaces a membership's custom fields whole with updateMembershipFields, and a role change keeps them", async () => {
      const io = getIo();
      const { organization, membership } = await insertOrganizationWithMemberAndClient(io);
      const fields = { title: 'Treasurer', since: '2030-01-01' };
      assert.strictEqual(
        await io.updateMembershipFields(membership.id, fields),
        true,
        'updateMembershipFields of an existing membership did not answer true',
      );
      assertSame(
        await io.findMembershipById(membership.id),
        { ...membership, fields },
        'updateMembershipFields did not replace the custom fields whole, leaving every other column as it was',
      );
      assert.strictEqual(
        await io.updateMembershipFields(membership.id, { ...fields }),
        true,
        'updateMembershipFields with the fields already stored did not answer true',
      );
      assert.strictEqual(await io.updateMembershipRole(membership.id, 'admin'), true);
      assertSame(
        await io.listMemberships(organization.id),
        [{ ...membership, role: 'admin', fields }],
        'updateMembershipRole changed the custom fields',
      );
      assert.strictEqual(
        await io.updateMembershipFields(uniqueId('mem'), fields),
        false,
        'updateMembershipFields of an unknown id did not answer false',
      );
    });

    it('reads back {} for entities inserted with no custom fields, or without the property at all', async () => {
      const io = getIo();
      const organization = makeOrganization();
      const user = makeUser();
      const membership = makeMembership({ organizationId: organization.id, userId: user.id });
      const client = makeClient({ organizationId: organization.id });
      // As written by a caller that predates custom fields (plain JavaScript, or an older build).
      const without = <Row extends { fields: CustomFields }>(row: Row): Row => {
        const { fields: _fields, ...rest } = row;
        return rest as Row;
      };
      const bare = makeUser();
      await io.insertOrganization(without(organization));
      await io.insertUser(user);
      await io.insertUser(without(bare));
      await io.insertMembership(without(membership));
      await io.insertClient(without(client));
      assertSame(await io.findUserById(user.id), user, 'a user inserted with fields {} did not read back {}');
      assertSame(await io.findUserById(bare.id), bare, 'a user inserted without fields did not read back {}');
      assertSame(
        await io.findOrganizationById(organization.id),
        organization,
        'an organization inserted without fields did not read back {}',
      );
      assertSame(
        await io.findMembershipById(membership.id),
        membership,
        'a membership inserted without fields did not read back {}',
      );
      assertSame(await io.findClientById(client.id), client, 'a client inserted without fields did not read back {}');
    });

    it('restores the custom fields a rolled-back transaction replaced', async () => {
      const io = getIo();
      const { organization, user, membership, client } = await insertOrganizationWithMemberAndClient(io);
      const changed = { fields: { changed: true }, updatedAt: fixtureTime(HOUR_MS) };
      const work = io.transaction(async (tx) => {
        await tx.updateUser(user.id, { fields: { ...richFields(), changed: true }, updatedAt: changed.updatedAt });
        await tx.updateOrganization(organization.id, changed);
        await tx.updateClient(client.id, changed);
        await tx.updateMembershipFields(membership.id, changed.fields);
        assertSame(
          (await tx.findMembershipById(membership.id))?.fields,
          changed.fields,
          'a transaction did not read back the custom fields it wrote',
        );
        throw new Rollback();
      });
      await assert.rejects(work, Rollback, 'transaction did not rethrow the error of its work');
      const not = (what: string) => `a rollback did not restore the custom fields of the ${what}`;
      assertSame(await io.findUserById(user.id), user, not('user'));
      assertSame(await io.findOrganizationById(organization.id), organization, not('organization'));
      assertSame(await io.findClientById(client.id), client, not('client'));
      assertSame(await io.findMembershipById(membership.id), membership, not('membership'));
    });

    it('keeps custom fields apart from the objects given and read: changing those changes nothing stored', async () => {
      const io = getIo();
      const fields = richFields();
      const user = makeUser({ fields });
      await io.insertUser(user);
      const expected = makeUser({ ...user, fields: richFields() });
      (fields.address as { geo: { lat: number } }).geo.lat = 0;
      (fields.tags as unknown[]).push('added after insertUser');
      const read = await io.findUserById(user.id);
      assertSame(read, expected, 'changing the fields given to insertUser changed the stored ones');
      assert.ok(read);
      (read.fields.address as { geo: { lat: number } }).geo.lat = 0;
      assertSame(await io.findUserById(user.id), expected, 'changing the fields read back changed the stored ones');
    });
  });
}
