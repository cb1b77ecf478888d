import assert from 'node:assert/strict';
import type { Io, PageKey, PageRequest } from '../../ports/io';
import {
  DAY_MS,
  fixtureTime,
  HOUR_MS,
  makeAccessRestriction,
  makeClient,
  makeInvitation,
  makeLoginEmail,
  makeMembership,
  makeOrganization,
  makeSession,
  makeUser,
  uniqueId,
  uniqueSuffix,
} from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

/** Inside every fixture's lifetime: sessions and invitations made at `fixtureTime(n)` are still live. */
const NOW = fixtureTime(HOUR_MS);

/**
 * One paged list of the port, as these tests drive it: `open` makes a fresh owner (organization,
 * user or client) and returns how to add a row with a given key and how to read a page.
 */
interface PagedList {
  method: string;
  /** The order of the list: oldest first, or newest first (sessions). */
  order: 'asc' | 'desc';
  /** The key id a row is stored under for a test id (a login email's is its address). */
  idOf?: (id: string) => string;
  open(io: Io): Promise<{
    insert(createdAt: Date, id: string): Promise<void>;
    page(request: PageRequest): Promise<PageKey[]>;
  }>;
}

const keyOf = (row: { createdAt: Date; id: string }): PageKey => ({ createdAt: row.createdAt, id: row.id });

async function newUser(io: Io): Promise<string> {
  const user = makeUser();
  await io.insertUser(user);
  return user.id;
}

async function newOrganization(io: Io, name = 'Analytical Engines Ltd'): Promise<string> {
  const organization = makeOrganization({ name });
  await io.insertOrganization(organization);
  return organization.id;
}

const LISTS: PagedList[] = [
  {
    method: 'listMembershipsPage',
    order: 'asc',
    async open(io) {
      const organizationId = await newOrganization(io);
      return {
        async insert(createdAt, id) {
          await io.insertMembership(makeMembership({ id, organizationId, userId: await newUser(io), createdAt }));
        },
        page: async (request) => (await io.listMembershipsPage(organizationId, request)).map(keyOf),
      };
    },
  },
  {
    method: 'listClientsPage',
    order: 'asc',
    async open(io) {
      const organizationId = await newOrganization(io);
      // A deleted client is not listed, so it must not take a place on a page either.
      await io.insertClient(makeClient({ organizationId, createdAt: fixtureTime(1), deletedAt: fixtureTime(2) }));
      return {
        insert: (createdAt, id) => io.insertClient(makeClient({ id, organizationId, createdAt })),
        page: async (request) => (await io.listClientsPage(organizationId, request)).map(keyOf),
      };
    },
  },
  {
    method: 'listAccessRestrictionsPage',
    order: 'asc',
    async open(io) {
      const client = makeClient({ organizationId: await newOrganization(io) });
      await io.insertClient(client);
      return {
        insert: (createdAt, id) =>
          io.insertAccessRestrictions([makeAccessRestriction({ id, clientId: client.id, createdAt })]),
        page: async (request) => (await io.listAccessRestrictionsPage(client.id, request)).map(keyOf),
      };
    },
  },
  {
    method: 'listLoginEmailsPage',
    order: 'asc',
    // A login email is keyed by its address.
    idOf: (id) => `${id}@example.test`,
    async open(io) {
      const userId = await newUser(io);
      return {
        async insert(createdAt, address) {
          await io.insertLoginEmail(makeLoginEmail({ userId, address, createdAt }));
        },
        page: async (request) =>
          (await io.listLoginEmailsPage(userId, request)).map((email) => ({
            createdAt: email.createdAt,
            id: email.address,
          })),
      };
    },
  },
  {
    method: 'listActiveSessionsPage',
    order: 'desc',
    async open(io) {
      const userId = await newUser(io);
      // A revoked session is not live, so it must not take a place on a page either.
      await io.insertSession(makeSession({ userId, createdAt: fixtureTime(1), revokedAt: fixtureTime(2) }));
      return {
        insert: (createdAt, id) => io.insertSession(makeSession({ id, userId, createdAt })),
        page: async (request) => (await io.listActiveSessionsPage(userId, NOW, request)).map(keyOf),
      };
    },
  },
  {
    method: 'listInvitationsPage',
    order: 'asc',
    async open(io) {
      const organizationId = await newOrganization(io);
      await io.putInvitation(makeInvitation({ organizationId, createdAt: fixtureTime(1), expiresAt: NOW }));
      return {
        insert: (createdAt, id) => io.putInvitation(makeInvitation({ id, organizationId, createdAt })),
        page: async (request) => (await io.listInvitationsPage(organizationId, NOW, request)).map(keyOf),
      };
    },
  },
  {
    method: 'listInvitationsTo',
    order: 'asc',
    async open(io) {
      const addresses = [`a-${uniqueSuffix()}@example.test`, `b-${uniqueSuffix()}@example.test`];
      let next = 0;
      return {
        async insert(createdAt, id) {
          // Alternating addresses and organizations: the page spans both, in one order.
          const organizationId = await newOrganization(io, `Org ${id}`);
          const address = addresses[next++ % addresses.length];
          await io.putInvitation(
            makeInvitation({ id, organizationId, address, createdAt, expiresAt: fixtureTime(7 * DAY_MS) }),
          );
        },
        page: async (request) =>
          (await io.listInvitationsTo(addresses, NOW, request)).map(({ invitation }) => keyOf(invitation)),
      };
    },
  },
];

/**
 * Sorts keys in a list's order. Test ids are one prefix and two digits, so ties differ in one digit
 * at one place and every collation (binary, ICU) orders them alike.
 */
function inOrder(keys: PageKey[], order: 'asc' | 'desc'): PageKey[] {
  const sorted = [...keys].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return order === 'asc' ? sorted : sorted.reverse();
}

const describeKey = (key: PageKey): string => `${key.createdAt.toISOString()} ${key.id}`;

/** The stored key id of test row `n` (two digits) of a list. */
function idFor(list: PagedList, base: string, n: number): string {
  const id = `${base}${String(n).padStart(2, '0')}`;
  return list.idOf ? list.idOf(id) : id;
}

/** Five rows, two of them created in the same millisecond, so the id must break the tie. */
function fiveKeys(list: PagedList, base: string): PageKey[] {
  return [
    { createdAt: fixtureTime(30), id: idFor(list, base, 30) },
    { createdAt: fixtureTime(10), id: idFor(list, base, 12) },
    { createdAt: fixtureTime(0), id: idFor(list, base, 0) },
    { createdAt: fixtureTime(10), id: idFor(list, base, 10) },
    { createdAt: fixtureTime(20), id: idFor(list, base, 20) },
  ];
}

export function describePagination({ describe, it }: SuiteRunner, getIo: () => Io): void {
  describe('paged lists', () => {
    for (const list of LISTS) {
      it(`${list.method} pages cover every row exactly once, in order, with limit + 1 rows per read`, async () => {
        const io = getIo();
        const { insert, page } = await list.open(io);
        const keys = fiveKeys(list, uniqueId('pg'));
        for (const key of keys) await insert(key.createdAt, key.id);
        const expected = inOrder(keys, list.order).map(describeKey);

        assertSame(
          (await page({ limit: 10 })).map(describeKey),
          expected,
          `${list.method} did not return every row, in order (oldest first, ties by id; sessions newest first)`,
        );
        const first = await page({ limit: 2 });
        assertSame(
          first.map(describeKey),
          expected.slice(0, 3),
          `${list.method} with limit 2 did not return the first limit + 1 = 3 rows`,
        );
        assertSame(
          (await page({ limit: 5 })).map(describeKey),
          expected,
          `${list.method} with limit equal to the row count did not return exactly the rows (no extra one exists)`,
        );

        const seen: string[] = [];
        let after: PageKey | undefined;
        for (let reads = 0; reads < 10; reads++) {
          const rows = await page(after ? { limit: 2, after } : { limit: 2 });
          assert.ok(rows.length <= 3, `${list.method} returned more than limit + 1 rows`);
          seen.push(...rows.slice(0, 2).map(describeKey));
          if (rows.length <= 2) break;
          after = rows[1];
        }
        assertSame(seen, expected, `${list.method} pages did not cover every row exactly once, in order`);
      });

      it(`${list.method} resumes after its key when rows are inserted before and after it between pages`, async () => {
        const io = getIo();
        const { insert, page } = await list.open(io);
        const base = uniqueId('pg');
        const keys = fiveKeys(list, base);
        for (const key of keys) await insert(key.createdAt, key.id);
        const ordered = inOrder(keys, list.order);

        const first = await page({ limit: 2 });
        const cursor = first[1];
        assert.ok(cursor, `${list.method} first page is short`);
        // Rows land before the cursor (already passed: never shown) and after it (shown once), by time
        // and within the cursor's own millisecond, on either side of its id. The cursor is row 10
        // (oldest first) or row 20 (newest first), so rows n - 1 and n + 1 tie with it on each side.
        const n = list.order === 'asc' ? 10 : 20;
        assert.strictEqual(cursor.id, idFor(list, base, n), `${list.method} first page is not in the list's order`);
        const earlier = list.order === 'asc' ? -5 : 5;
        const tieBelow = { createdAt: cursor.createdAt, id: idFor(list, base, n - 1) };
        const tieAbove = { createdAt: cursor.createdAt, id: idFor(list, base, n + 1) };
        const before: PageKey[] = [
          { createdAt: new Date(cursor.createdAt.getTime() + earlier), id: idFor(list, base, 50) },
          list.order === 'asc' ? tieBelow : tieAbove,
        ];
        const beyond: PageKey[] = [
          { createdAt: new Date(cursor.createdAt.getTime() - earlier), id: idFor(list, base, 60) },
          list.order === 'asc' ? tieAbove : tieBelow,
        ];
        for (const key of [...before, ...beyond]) await insert(key.createdAt, key.id);

        const rest: string[] = [];
        let after: PageKey = cursor;
        for (let reads = 0; reads < 10; reads++) {
          const rows = await page({ limit: 2, after });
          rest.push(...rows.slice(0, 2).map(describeKey));
          if (rows.length <= 2) break;
          after = rows[1] as PageKey;
        }
        const expectedRest = inOrder([...ordered.slice(2), ...beyond], list.order).map(describeKey);
        for (const key of before) {
          assert.ok(!rest.includes(describeKey(key)), `${list.method} listed a row inserted before the cursor`);
        }
        assertSame(
          rest,
          expectedRest,
          `${list.method} after a cursor did not list exactly the rows ordered after it (new ones included) once each`,
        );
      });
    }
  });
}
