import assert from 'node:assert/strict';
import type { Io } from '../../ports/io';
import type { EventRecord, EventSubjects } from '../../ports/outbox';
import { DAY_MS, fixtureTime, makeUser, uniqueId } from '../fixtures';
import type { SuiteRunner } from '../test-functions';
import { assertSame } from './assert-same';

function makeEvent(subjects: Partial<EventSubjects>, fields: Partial<EventRecord> = {}): EventRecord {
  return {
    id: uniqueId('evt'),
    type: 'user.registered',
    at: fixtureTime(),
    actor: { userId: null, clientId: null, ip: null },
    subjects: { userId: null, organizationId: null, clientId: null, sessionId: null, ...subjects },
    payload: {},
    ...fields,
  };
}

const ids = (events: Array<{ id: string }>) => events.map((event) => event.id);

/** The event outbox as the domain writes it: in the change's transaction (docs/events.md). */
export function describeEvents({ describe, it }: SuiteRunner, getIo: () => Io): void {
  describe('events', () => {
    it('appends events with every field, in order, and lists them by user and organization', async () => {
      const io = getIo();
      const userId = uniqueId('usr');
      const organizationId = uniqueId('org');
      const first = makeEvent(
        { userId, sessionId: uniqueId('ses') },
        {
          type: 'login.succeeded',
          at: fixtureTime(1234),
          actor: { userId, clientId: uniqueId('cli'), ip: '2001:db8::1' },
          payload: { method: 'password', roles: ['sysadmin'], nested: { n: 1, ok: true, none: null } },
        },
      );
      const second = makeEvent({ organizationId, userId }, { type: 'membership.changed' });
      await io.appendEvents([first, second]);
      const listed = await io.listEvents({ userId, limit: 10 });
      assertSame(ids(listed), [first.id, second.id], 'events of a user did not list in append order');
      const [stored] = listed;
      assertSame(
        { id: stored.id, type: stored.type, at: stored.at, actor: stored.actor, subjects: stored.subjects },
        { id: first.id, type: first.type, at: first.at, actor: first.actor, subjects: first.subjects },
        'an appended event did not come back as it went in',
      );
      assertSame(stored.payload, first.payload, 'an event payload did not round-trip');
      assert.strictEqual(stored.deliveredAt, null, 'an appended event was not waiting for delivery');
      assert.ok(listed[1].seq > stored.seq, 'seq did not follow the append order');
      assertSame(
        ids(await io.listEvents({ organizationId, limit: 10 })),
        [second.id],
        'events did not list by organization',
      );
    });

    it('keeps events appended in a transaction only when it commits', async () => {
      const io = getIo();
      const userId = uniqueId('usr');
      const kept = makeEvent({ userId });
      const dropped = makeEvent({ userId });
      const user = makeUser({ id: userId });
      await io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.appendEvents([kept]);
      });
      await assert.rejects(
        io.transaction(async (tx) => {
          await tx.updateUser(userId, { name: 'rolled back', updatedAt: fixtureTime(1) });
          await tx.appendEvents([dropped]);
          throw new Error('rolled back on purpose by the conformance suite');
        }),
      );
      assertSame(
        ids(await io.listEvents({ userId, limit: 10 })),
        [kept.id],
        'an event of a rolled-back transaction stayed, or one of a committed transaction went',
      );
    });

    it('filters by types, a time range and a seq cursor, and honours the limit', async () => {
      const io = getIo();
      const userId = uniqueId('usr');
      const events = [0, 1, 2, 3].map((index) =>
        makeEvent({ userId }, { type: index % 2 === 0 ? 'email.added' : 'email.removed', at: fixtureTime(index * 10) }),
      );
      await io.appendEvents(events);
      const list = async (query: Parameters<Io['listEvents']>[0]) => ids(await io.listEvents(query));
      assertSame(
        await list({ userId, types: ['email.removed'], limit: 10 }),
        ids([events[1], events[3]]),
        'types filter',
      );
      assertSame(
        await list({ userId, from: fixtureTime(10), to: fixtureTime(30), limit: 10 }),
        ids(events.slice(1, 3)),
        '`from` is inclusive and `to` exclusive',
      );
      const [first] = await io.listEvents({ userId, limit: 1 });
      assertSame(await list({ userId, after: first.seq, limit: 2 }), ids(events.slice(1, 3)), 'seq cursor and limit');
    });

    it('stores events appended as delivered, and prunes only delivered or dead ones that happened before the date', async () => {
      const io = getIo();
      const userId = uniqueId('usr');
      const old = makeEvent({ userId }, { at: fixtureTime(-100 * DAY_MS) });
      const oldWaiting = makeEvent({ userId }, { at: fixtureTime(-100 * DAY_MS) });
      const recent = makeEvent({ userId }, { at: fixtureTime() });
      await io.appendEvents([old], { deliveredAt: fixtureTime(-100 * DAY_MS) });
      await io.appendEvents([oldWaiting]);
      await io.appendEvents([recent], { deliveredAt: fixtureTime() });
      const [stored] = await io.listEvents({ userId, limit: 1 });
      assertSame(stored.deliveredAt, fixtureTime(-100 * DAY_MS), 'deliveredAt did not round-trip');
      assert.ok((await io.pruneEvents(fixtureTime(-90 * DAY_MS))) >= 1, 'pruneEvents deleted nothing');
      assertSame(
        ids(await io.listEvents({ userId, limit: 10 })),
        [oldWaiting.id, recent.id],
        'pruning removed an undelivered or a recent event, or kept an old delivered one',
      );
    });
  });
}
