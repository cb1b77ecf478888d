import type { MemoryIo } from '../../src/adapters/memory';
import { SqlIo } from '../../src/adapters/sql';
import type { Caller } from '../../src/domain/context';
import type { EventQueryInput } from '../../src/domain/event-trail';
import { decodeEventCursor, encodeEventCursor } from '../../src/domain/event-trail';
import { encodeCursor, type Page } from '../../src/domain/pagination';
import type { EventView } from '../../src/domain/views';
import { SqlEventOutbox } from '../../src/events';
import { EVENT_TYPES } from '../../src/ports/event-record';
import type { AccountsEventType } from '../../src/ports/events';
import type { Io } from '../../src/ports/io';
import type { EventActor, EventOutbox, EventRecord, EventSubjects } from '../../src/ports/outbox';
import { describeEachDb } from '../support/databases';
import { externalClient, type OrganizationCast, organizationCast, systemClient } from '../support/org-fixtures';
import { errCode, ok } from '../support/setup';

/**
 * The read side of the event trail. Events are appended straight to the outbox (`Io.appendEvents`),
 * so these tests hold whether or not the domain writes its own events too: every assertion looks at
 * the events it appended (by id), never at "all the events there are".
 */

const T0 = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

let sequence = 0;

interface EventSpec {
  type: AccountsEventType;
  at?: Date;
  subjects?: Partial<EventSubjects>;
  actor?: Partial<EventActor>;
  payload?: EventRecord['payload'];
}

function eventRecord(spec: EventSpec): EventRecord {
  sequence += 1;
  return {
    id: `evt_trail_${sequence}`,
    type: spec.type,
    at: spec.at ?? T0,
    actor: { userId: null, clientId: null, ip: null, ...spec.actor },
    subjects: { userId: null, organizationId: null, clientId: null, sessionId: null, ...spec.subjects },
    payload: spec.payload ?? {},
  };
}

/** Appends events one statement each (so each gets its own, increasing `seq`) and returns them. */
async function append(cast: OrganizationCast, ...specs: EventSpec[]): Promise<EventRecord[]> {
  const records = specs.map(eventRecord);
  for (const record of records) await cast.world.io.appendEvents([record], { deliveredAt: record.at });
  return records;
}

const idsOf = (page: Page<EventView>) => page.data.map((event) => event.id);
/** The ids of `page` that are among `mine`, in the page's order. */
const mineIn = (page: Page<EventView>, mine: readonly EventRecord[]) => {
  const wanted = new Set(mine.map((event) => event.id));
  return idsOf(page).filter((id) => wanted.has(id));
};
const ids = (records: readonly EventRecord[]) => records.map((record) => record.id);

function internalClient(organizationId: string): Caller {
  return { client: { id: 'cli_internal', organizationId, roles: ['internal'] } };
}

/** Where a suite runs: the `Io` of its worlds (the in-memory one by default) and the outbox over the same storage. */
interface Storage {
  io: () => Io | undefined;
  outbox: (io: Io) => EventOutbox;
}

function describeEventTrail(storage: Storage): void {
  let cast: OrganizationCast;
  let orgEvents: EventRecord[];
  let memberEvents: EventRecord[];
  let elsewhere: EventRecord[];

  beforeEach(async () => {
    cast = await organizationCast({ io: storage.io() });
    const organizationId = cast.organization.id;
    const memberId = cast.member.user.id;
    orgEvents = await append(
      cast,
      { type: 'client.created', at: minutes(1), subjects: { organizationId, clientId: 'cli_a' } },
      {
        type: 'membership.changed',
        at: minutes(2),
        subjects: { organizationId, userId: memberId },
        actor: { userId: cast.owner.user.id },
        payload: { change: 'role_changed', role: 'admin' },
      },
    );
    memberEvents = await append(
      cast,
      {
        type: 'login.succeeded',
        at: minutes(3),
        subjects: { userId: memberId, sessionId: 'ses_1' },
        actor: { ip: '203.0.113.9' },
        payload: { method: 'password' },
      },
      { type: 'password.changed', at: minutes(4), subjects: { userId: memberId } },
    );
    elsewhere = await append(
      cast,
      { type: 'client.created', at: minutes(5), subjects: { organizationId: 'org_other', clientId: 'cli_b' } },
      { type: 'login.succeeded', at: minutes(6), subjects: { userId: cast.outsider.user.id, sessionId: 'ses_2' } },
      { type: 'login.failed', at: minutes(7), actor: { ip: '203.0.113.9' }, payload: { method: 'password' } },
    );
  });

  describe('GET /organizations/:id/events', () => {
    const list = (caller: Caller, query?: EventQueryInput, organizationId = cast.organization.id) =>
      cast.world.accounts.events.listOrganizationEvents(caller, organizationId, query);

    it.each([
      ['the owner', () => cast.owner],
      ['an admin', () => cast.admin],
      ['a sysadmin', () => cast.sysadmin],
      ['an employee', () => cast.employee],
      ['a system client', () => systemClient()],
    ])('lets %s read the organization’s events, and only its own', async (_who, caller) => {
      const page = ok<Page<EventView>>(await list(caller()));
      expect(mineIn(page, [...orgEvents, ...memberEvents, ...elsewhere])).toEqual(ids(orgEvents));
      expect(page.data.every((event) => event.subjects.organizationId === cast.organization.id)).toBe(true);
    });

    it('refuses members and the organization’s internal clients (403), as other admin routes do', async () => {
      expect(errCode(await list(cast.member))).toBe('FORBIDDEN');
      expect(errCode(await list(internalClient(cast.organization.id)))).toBe('FORBIDDEN');
    });

    it('hides the organization from strangers, external clients and other organizations’ clients (404)', async () => {
      expect(errCode(await list(cast.outsider))).toBe('NOT_FOUND');
      expect(errCode(await list(externalClient(cast.organization.id)))).toBe('NOT_FOUND');
      expect(errCode(await list(internalClient('org_other')))).toBe('NOT_FOUND');
      expect(errCode(await list({}))).toBe('UNAUTHENTICATED');
      expect(errCode(await list(cast.sysadmin, {}, 'org_missing'))).toBe('NOT_FOUND');
    });

    it('lets an admin demoted to member read no more', async () => {
      ok(
        await cast.world.accounts.organizations.changeMembershipRole(cast.owner, cast.memberships.admin, {
          role: 'member',
        }),
      );
      expect(errCode(await list(cast.admin))).toBe('FORBIDDEN');
    });
  });

  describe('GET /users/:id/events', () => {
    const list = (caller: Caller, userRef: string, query?: EventQueryInput) =>
      cast.world.accounts.events.listUserEvents(caller, userRef, query);

    it.each([
      ['the user themself', () => cast.member],
      ['a sysadmin', () => cast.sysadmin],
      ['an employee', () => cast.employee],
      ['a system client', () => systemClient()],
    ])('lets %s read a user’s events, and only theirs', async (_who, caller) => {
      const page = ok<Page<EventView>>(await list(caller(), cast.member.user.id));
      const memberOnes = [orgEvents[1], ...memberEvents];
      expect(mineIn(page, [...orgEvents, ...memberEvents, ...elsewhere])).toEqual(ids(memberOnes));
      expect(page.data.every((event) => event.subjects.userId === cast.member.user.id)).toBe(true);
    });

    it('reads the caller’s own events as me', async () => {
      const page = ok<Page<EventView>>(await list(cast.member, 'me'));
      expect(mineIn(page, memberEvents)).toEqual(ids(memberEvents));
      expect(errCode(await list(systemClient(), 'me'))).toBe('UNAUTHENTICATED');
    });

    it('hides a user’s events from every other user and client, even the owner of their organization', async () => {
      for (const caller of [cast.outsider, cast.owner, cast.admin, externalClient(cast.organization.id)]) {
        expect(errCode(await list(caller, cast.member.user.id))).toBe('NOT_FOUND');
      }
      expect(errCode(await list(internalClient(cast.organization.id), cast.member.user.id))).toBe('NOT_FOUND');
      expect(errCode(await list({}, cast.member.user.id))).toBe('UNAUTHENTICATED');
      expect(errCode(await list(cast.sysadmin, 'usr_missing'))).toBe('NOT_FOUND');
    });

    it('keeps a deleted user’s trail readable by staff', async () => {
      const { world } = cast;
      await world.io.updateUser(cast.member.user.id, { deletedAt: world.clock.now(), updatedAt: world.clock.now() });
      const page = ok<Page<EventView>>(await list(cast.employee, cast.member.user.id));
      expect(mineIn(page, memberEvents)).toEqual(ids(memberEvents));
    });
  });

  describe('filters', () => {
    const listOrg = (query: EventQueryInput) =>
      cast.world.accounts.events.listOrganizationEvents(cast.sysadmin, cast.organization.id, query);
    const listMember = (query: EventQueryInput) =>
      cast.world.accounts.events.listUserEvents(cast.sysadmin, cast.member.user.id, query);
    const all = () => [...orgEvents, ...memberEvents, ...elsewhere];

    it('keeps the events of one type, or of several (an array, a comma-separated string)', async () => {
      const clients = ok<Page<EventView>>(await listOrg({ type: 'client.created' }));
      expect(mineIn(clients, all())).toEqual([orgEvents[0].id]);
      expect(clients.data.every((event) => event.type === 'client.created')).toBe(true);

      const expected = [memberEvents[0].id, memberEvents[1].id];
      const asArray = ok<Page<EventView>>(await listMember({ type: ['login.succeeded', 'password.changed'] }));
      expect(mineIn(asArray, all())).toEqual(expected);
      const asString = ok<Page<EventView>>(await listMember({ type: 'login.succeeded, password.changed' }));
      expect(mineIn(asString, all())).toEqual(expected);
      const repeated = ok<Page<EventView>>(
        await listMember({ type: ['login.succeeded,password.changed', 'mfa.enabled'] }),
      );
      expect(mineIn(repeated, all())).toEqual(expected);
      const none = ok<Page<EventView>>(await listMember({ type: 'mfa.enabled' }));
      expect(mineIn(none, all())).toEqual([]);
    });

    it('keeps the events from `from` (inclusive) to `to` (exclusive)', async () => {
      const page = (query: EventQueryInput) => listMember(query).then((result) => mineIn(ok(result), all()));
      const [membership, login, password] = [orgEvents[1], memberEvents[0], memberEvents[1]];
      expect(await page({ from: minutes(3).toISOString() })).toEqual([login.id, password.id]);
      expect(await page({ to: minutes(3).toISOString() })).toEqual([membership.id]);
      expect(await page({ from: minutes(2).toISOString(), to: minutes(4).toISOString() })).toEqual([
        membership.id,
        login.id,
      ]);
      // An offset is an instant like any other: 13:03+01:00 is 12:03Z.
      expect(await page({ from: '2030-01-01T13:03:00+01:00', to: '2030-01-01T12:03:00.001Z' })).toEqual([login.id]);
      expect(await page({ from: minutes(3), to: minutes(3) })).toEqual([]);
      expect(await page({ type: 'password.changed', from: minutes(2).toISOString() })).toEqual([password.id]);
    });

    it('knows every event type and nothing else', () => {
      expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
      expect(EVENT_TYPES).toEqual(expect.arrayContaining(['login.succeeded', 'membership.changed', 'client.created']));
      expect(EVENT_TYPES).toHaveLength(34);
    });
  });

  describe('validation', () => {
    const detailsOf = async (query: unknown) => {
      const result = await cast.world.accounts.events.listOrganizationEvents(
        cast.owner,
        cast.organization.id,
        query as EventQueryInput,
      );
      expect(errCode(result)).toBe('VALIDATION_FAILED');
      return ((result.val as { details: { path: string }[] }).details ?? []).map((detail) => detail.path);
    };

    it('refuses an unknown event type, naming type', async () => {
      for (const type of ['login.nope', 'login.succeeded,nope', '', 'login.succeeded,', ['login.failed', 7]]) {
        expect(await detailsOf({ type })).toEqual(['type']);
      }
    });

    it('refuses what is not an ISO 8601 date-time with a time zone, naming the field', async () => {
      for (const bad of [
        'yesterday',
        '2030-01-01',
        '2030-01-01T12:00:00',
        '2030-02-30T00:00:00Z',
        '2030-13-01T00:00:00Z',
        '2030-01-01T24:00:00Z',
        '2030-01-01T12:00:00+25:00',
        '1767225600000',
        '',
        new Date(Number.NaN),
      ]) {
        expect({ bad, paths: await detailsOf({ from: bad }) }).toEqual({ bad, paths: ['from'] });
        expect({ bad, paths: await detailsOf({ to: bad }) }).toEqual({ bad, paths: ['to'] });
      }
      const leap = await cast.world.accounts.events.listOrganizationEvents(cast.owner, cast.organization.id, {
        from: '2032-02-29T00:00:00.123456Z',
        to: '2032-03-01t00:00z',
      });
      expect(leap.ok).toBe(true);
    });

    it('refuses `from` after `to`, on from', async () => {
      expect(await detailsOf({ from: minutes(5).toISOString(), to: minutes(4).toISOString() })).toEqual(['from']);
    });

    it('reports every bad field at once', async () => {
      expect(
        await detailsOf({
          type: 'nope',
          from: 'soon',
          to: '2030-13-01T00:00:00Z',
          limit: 0,
          cursor: 'not-a-cursor',
          order: 'desc',
        }),
      ).toEqual(['type', 'from', 'to', 'limit', 'cursor', 'order']);
      expect(await detailsOf({ type: 'nope', from: minutes(5).toISOString(), to: minutes(4).toISOString() })).toEqual([
        'type',
        'from',
      ]);
    });

    it('refuses a cursor of another list, or one edited, rather than read it as a position', async () => {
      const membershipCursor = encodeCursor({ createdAt: T0, id: '3' });
      const edited = Buffer.from(JSON.stringify({ v: 1, k: 'events', s: 3, x: 1 })).toString('base64url');
      const negative = Buffer.from(JSON.stringify({ v: 1, k: 'events', s: -1 })).toString('base64url');
      const fractional = Buffer.from(JSON.stringify({ v: 1, k: 'events', s: 1.5 })).toString('base64url');
      // The same fields in another order: not a spelling this side writes.
      const reordered = Buffer.from(JSON.stringify({ k: 'events', v: 1, s: 3 })).toString('base64url');
      for (const cursor of [
        membershipCursor,
        edited,
        negative,
        fractional,
        reordered,
        `${encodeEventCursor(3)}=`,
        '%%%',
      ]) {
        expect({ cursor, paths: await detailsOf({ cursor }) }).toEqual({ cursor, paths: ['cursor'] });
      }
      expect(decodeEventCursor(encodeEventCursor(42))).toBe(42);
    });

    it('refuses a limit outside 1 to 200', async () => {
      for (const limit of [0, 201, '1.5', 'abc']) expect(await detailsOf({ limit })).toEqual(['limit']);
    });
  });

  describe('pagination', () => {
    const TYPE = 'client.rotated';
    const listPage = (query: EventQueryInput) =>
      cast.world.accounts.events.listOrganizationEvents(cast.admin, cast.organization.id, { type: TYPE, ...query });

    async function walk(limit: number, between?: (pageNumber: number) => Promise<void>) {
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | undefined;
      for (let pageNumber = 0; pageNumber < 20; pageNumber++) {
        const page = ok<Page<EventView>>(await listPage(cursor === undefined ? { limit } : { limit, cursor }));
        sizes.push(page.data.length);
        seen.push(...idsOf(page));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
        await between?.(pageNumber);
      }
      return { seen, sizes };
    }

    const rotated = (n: number): EventSpec => ({
      type: TYPE,
      at: minutes(10 + n),
      subjects: { organizationId: cast.organization.id, clientId: `cli_${n}` },
    });

    it('returns every event exactly once, oldest first, ending with a null nextCursor', async () => {
      const written = await append(cast, ...[0, 1, 2, 3, 4, 5, 6].map(rotated));
      const { seen, sizes } = await walk(3);
      expect(seen).toEqual(ids(written));
      expect(sizes).toEqual([3, 3, 1]);
    });

    it('gives a full last page a null nextCursor (it asks for one row more than it shows)', async () => {
      const written = await append(cast, ...[0, 1, 2, 3].map(rotated));
      const { seen, sizes } = await walk(2);
      expect(seen).toEqual(ids(written));
      expect(sizes).toEqual([2, 2]);
      const single = ok<Page<EventView>>(await listPage({ limit: 200 }));
      expect(single.nextCursor).toBeNull();
    });

    it('neither repeats nor skips an event when others are appended between pages', async () => {
      const written = await append(cast, ...[0, 1, 2, 3, 4].map(rotated));
      const appended: EventRecord[] = [];
      const { seen } = await walk(2, async (pageNumber) => {
        // One event of an earlier time than everything shown: order is by `seq`, so it still comes last.
        if (pageNumber === 0) appended.push(...(await append(cast, { ...rotated(99), at: minutes(0) })));
      });
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...ids(written), ...ids(appended)]);
    });

    it('defaults to 50 a page', async () => {
      await append(cast, ...Array.from({ length: 51 }, (_, n) => rotated(n)));
      const first = ok<Page<EventView>>(await listPage({}));
      expect(first.data).toHaveLength(50);
      expect(first.nextCursor).not.toBeNull();
    });
  });

  describe('the view', () => {
    it('carries what happened, who acted and what it is about, and no delivery state', async () => {
      const { io } = cast.world;
      const outbox = storage.outbox(io);
      const [delivered] = await append(cast, {
        type: 'client.deleted',
        at: minutes(8),
        subjects: { organizationId: cast.organization.id, clientId: 'cli_gone' },
        actor: { userId: cast.admin.user.id, ip: '198.51.100.4' },
      });
      // Appended undelivered, then failed once at a webhook, whose answer is in lastError.
      const pending = eventRecord({
        type: 'client.updated',
        at: minutes(9),
        subjects: { organizationId: cast.organization.id, clientId: 'cli_gone' },
      });
      await io.appendEvents([pending]);
      const claimed = await outbox.claim({ owner: 'relay-1', limit: 100, leaseMs: 60_000, now: minutes(60) });
      expect(claimed.map((event) => event.id)).toContain(pending.id);
      await outbox.markFailed(pending.id, 'relay-1', {
        error: 'https://hooks.example.com/t/s3cr3t answered 500',
        nextAttemptAt: minutes(61),
      });

      const page = ok<Page<EventView>>(
        await cast.world.accounts.events.listOrganizationEvents(cast.owner, cast.organization.id, {
          type: ['client.deleted', 'client.updated'],
        }),
      );
      const byId = new Map(page.data.map((event) => [event.id, event]));
      expect(byId.get(delivered.id)).toEqual({
        id: delivered.id,
        type: 'client.deleted',
        at: minutes(8),
        actor: { userId: cast.admin.user.id, clientId: null, ip: '198.51.100.4' },
        subjects: { userId: null, organizationId: cast.organization.id, clientId: 'cli_gone', sessionId: null },
        payload: {},
      });
      for (const event of page.data) {
        expect(Object.keys(event).sort()).toEqual(['actor', 'at', 'id', 'payload', 'subjects', 'type']);
      }
      const wire = JSON.stringify(page);
      for (const leak of ['s3cr3t', 'lastError', 'attempts', 'lease', 'relay-1', 'deliveredAt', 'seq']) {
        expect(wire).not.toContain(leak);
      }
      expect(byId.get(pending.id)).toBeDefined();
    });

    it('hands out copies: changing a view changes nothing stored', async () => {
      const [event] = await append(cast, {
        type: 'user.roles_changed',
        subjects: { userId: cast.member.user.id },
        payload: { roles: ['user'] },
      });
      const read = () =>
        cast.world.accounts.events
          .listUserEvents(cast.member, 'me', { type: 'user.roles_changed' })
          .then((result) => ok<Page<EventView>>(result).data.find((view) => view.id === event.id));
      const first = await read();
      if (!first) throw new Error('the event is missing');
      (first.payload.roles as string[]).push('sysadmin');
      expect((await read())?.payload).toEqual({ roles: ['user'] });
    });
  });
}

describe('event trail on MemoryIo', () => {
  describeEventTrail({ io: () => undefined, outbox: (io) => (io as MemoryIo).events });
});

describeEachDb('event trail on SqlIo', (database) => {
  describeEventTrail({ io: () => new SqlIo(database().knex), outbox: () => new SqlEventOutbox(database().knex) });
});
