/**
 * What every `EventOutbox` does, run against the memory outbox (tests/events/memory-event-outbox.test.ts)
 * and the SQL one on every database (tests/adapters/sql/event-outbox.test.ts).
 */
import type { EventOutbox, EventRecord, EventSubjects } from '../../src/ports/outbox';

const T0 = new Date('2026-12-02T10:00:00.000Z');
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

let counter = 0;
export function record(subjects: Partial<EventSubjects>, overrides: Partial<EventRecord> = {}): EventRecord {
  counter += 1;
  return {
    id: `evt_${Date.now().toString(36)}_${counter}`,
    type: 'user.registered',
    at: T0,
    actor: { userId: null, clientId: null, ip: null },
    subjects: { userId: null, organizationId: null, clientId: null, sessionId: null, ...subjects },
    payload: {},
    ...overrides,
  };
}

const lease = { leaseMs: 10_000 };

export function describeOutboxContract(fresh: () => Promise<EventOutbox>): void {
  let outbox: EventOutbox;
  beforeEach(async () => {
    outbox = await fresh();
  });

  const ids = (events: Array<{ id: string }>) => events.map((event) => event.id);

  it('keeps every field of an appended event and numbers events in append order', async () => {
    const first = record(
      { userId: 'usr_1', sessionId: 'ses_1' },
      {
        type: 'login.succeeded',
        at: at(1234),
        actor: { userId: 'usr_1', clientId: 'cli_1', ip: '2001:db8::1' },
        payload: { method: 'password', roles: ['a', 'b'], nested: { n: 1, ok: true, none: null } },
      },
    );
    const second = record({ organizationId: 'org_1' });
    await outbox.append([first, second]);
    const [a, b] = await outbox.list({ limit: 10 });
    expect(a).toEqual({
      ...first,
      seq: a.seq,
      attempts: 0,
      nextAttemptAt: first.at,
      deliveredAt: null,
      deadAt: null,
      lastError: null,
    });
    expect(b.seq).toBeGreaterThan(a.seq);
  });

  it('claims ready events in seq order, leased to the claimer and counting an attempt', async () => {
    const events = [record({ userId: 'u1' }), record({ userId: 'u2' }), record({ userId: 'u3' })];
    await outbox.append(events);
    const claimed = await outbox.claim({ owner: 'a', limit: 2, now: at(0), ...lease });
    expect(ids(claimed)).toEqual([events[0].id, events[1].id]);
    expect(claimed.map((event) => event.attempts)).toEqual([1, 1]);
    expect(ids(await outbox.claim({ owner: 'b', limit: 10, now: at(1), ...lease }))).toEqual([events[2].id]);
  });

  it('never hands out an event under another unexpired lease, and does once the lease runs out', async () => {
    const event = record({ userId: 'u1' });
    await outbox.append([event]);
    await outbox.claim({ owner: 'a', limit: 1, now: at(0), ...lease });
    expect(await outbox.claim({ owner: 'b', limit: 1, now: at(9_999), ...lease })).toEqual([]);
    const again = await outbox.claim({ owner: 'b', limit: 1, now: at(10_000), ...lease });
    expect(ids(again)).toEqual([event.id]);
    expect(again[0].attempts).toBe(2);
    // The first holder lost it: its late mark does not count.
    expect(await outbox.markDelivered([event.id], 'a', at(10_001))).toBe(0);
    expect(await outbox.markDelivered([event.id], 'b', at(10_002))).toBe(1);
    expect((await outbox.list({ limit: 1 }))[0].deliveredAt).toEqual(at(10_002));
  });

  it('holds a subject’s later events until its earlier one is delivered or dead', async () => {
    const orgFirst = record({ organizationId: 'o1', userId: 'u9' });
    const orgSecond = record({ organizationId: 'o1' });
    const userOnly = record({ userId: 'u1' });
    const clientOnly = record({ clientId: 'c1' });
    const orgThird = record({ organizationId: 'o1' });
    await outbox.append([orgFirst, orgSecond, userOnly, clientOnly, orgThird]);

    const first = await outbox.claim({ owner: 'a', limit: 10, now: at(0), ...lease });
    expect(ids(first)).toEqual([orgFirst.id, userOnly.id, clientOnly.id]);

    // A retry waiting for its backoff still holds the subject.
    await outbox.markFailed(orgFirst.id, 'a', { error: 'HTTP 500', nextAttemptAt: at(5_000) });
    expect(await outbox.claim({ owner: 'a', limit: 10, now: at(1), ...lease })).toEqual([]);
    expect(ids(await outbox.claim({ owner: 'a', limit: 10, now: at(5_000), ...lease }))).toEqual([orgFirst.id]);

    await outbox.markFailed(orgFirst.id, 'a', { dead: true, error: 'gave up', at: at(5_001) });
    expect(ids(await outbox.claim({ owner: 'a', limit: 10, now: at(5_002), ...lease }))).toEqual([orgSecond.id]);
    await outbox.markDelivered([orgSecond.id], 'a', at(5_003));
    expect(ids(await outbox.claim({ owner: 'a', limit: 10, now: at(5_004), ...lease }))).toEqual([orgThird.id]);
  });

  it('orders events without a subject against nothing', async () => {
    const events = [record({}), record({}), record({})];
    await outbox.append(events);
    expect(ids(await outbox.claim({ owner: 'a', limit: 10, now: at(0), ...lease }))).toEqual(ids(events));
  });

  it('records retries and dead letters only for the lease holder', async () => {
    const event = record({ userId: 'u1' });
    await outbox.append([event]);
    await outbox.claim({ owner: 'a', limit: 1, now: at(0), ...lease });
    expect(await outbox.markFailed(event.id, 'b', { error: 'not mine', nextAttemptAt: at(1) })).toBe(false);
    expect(await outbox.markFailed(event.id, 'a', { error: 'x'.repeat(2000), nextAttemptAt: at(100) })).toBe(true);
    let [stored] = await outbox.list({ limit: 1 });
    expect(stored).toMatchObject({ attempts: 1, nextAttemptAt: at(100), deliveredAt: null, deadAt: null });
    expect(stored.lastError).toHaveLength(1000);
    expect(await outbox.claim({ owner: 'a', limit: 1, now: at(99), ...lease })).toEqual([]);

    await outbox.claim({ owner: 'a', limit: 1, now: at(100), ...lease });
    await outbox.markFailed(event.id, 'a', { dead: true, error: 'HTTP 410', at: at(200) });
    [stored] = await outbox.list({ limit: 1 });
    expect(stored).toMatchObject({ attempts: 2, deadAt: at(200), lastError: 'HTTP 410', deliveredAt: null });
    expect(await outbox.claim({ owner: 'a', limit: 1, now: at(1_000_000), ...lease })).toEqual([]);
  });

  it('lists by organization or user, types, time range and seq cursor', async () => {
    const events = [
      record({ organizationId: 'o1' }, { type: 'client.created', at: at(0) }),
      record({ organizationId: 'o1', userId: 'u1' }, { type: 'membership.changed', at: at(10) }),
      record({ userId: 'u1' }, { type: 'login.succeeded', at: at(20) }),
      record({ organizationId: 'o2' }, { type: 'client.created', at: at(30) }),
      record({ organizationId: 'o1' }, { type: 'client.deleted', at: at(40) }),
    ];
    await outbox.append(events);
    const list = async (query: Parameters<EventOutbox['list']>[0]) => ids(await outbox.list(query));
    expect(await list({ organizationId: 'o1', limit: 10 })).toEqual(ids([events[0], events[1], events[4]]));
    expect(await list({ userId: 'u1', limit: 10 })).toEqual(ids([events[1], events[2]]));
    expect(await list({ types: ['client.created'], limit: 10 })).toEqual(ids([events[0], events[3]]));
    expect(await list({ from: at(10), to: at(40), limit: 10 })).toEqual(ids(events.slice(1, 4)));
    const [page] = await outbox.list({ organizationId: 'o1', limit: 1 });
    expect(await list({ organizationId: 'o1', after: page.seq, limit: 1 })).toEqual([events[1].id]);
    expect(await list({ limit: 2 })).toEqual(ids(events.slice(0, 2)));
  });

  it('prunes delivered and dead events that happened before the date, and nothing waiting', async () => {
    const [oldDelivered, oldDead, recentDelivered, oldWaiting] = [
      record({ userId: 'u1' }, { at: at(100) }),
      record({ userId: 'u2' }, { at: at(100) }),
      record({ userId: 'u3' }, { at: at(1_000) }),
      record({ userId: 'u4' }, { at: at(100) }),
    ];
    await outbox.append([oldDelivered, oldDead, recentDelivered, oldWaiting]);
    await outbox.claim({ owner: 'a', limit: 10, now: at(2_000), ...lease });
    await outbox.markDelivered([oldDelivered.id, recentDelivered.id], 'a', at(2_000));
    await outbox.markFailed(oldDead.id, 'a', { dead: true, error: 'x', at: at(2_000) });
    await outbox.markFailed(oldWaiting.id, 'a', { error: 'x', nextAttemptAt: at(3_000) });
    expect(await outbox.prune(at(500))).toBe(2);
    expect(ids(await outbox.list({ limit: 10 }))).toEqual([recentDelivered.id, oldWaiting.id]);
    expect(await outbox.prune(at(500))).toBe(0);
  });

  it('stores events appended as delivered out of every claim', async () => {
    const audited = record({ userId: 'u1' });
    const pending = record({ userId: 'u2' });
    await outbox.append([audited], { deliveredAt: at(5) });
    await outbox.append([pending]);
    const [stored] = await outbox.list({ limit: 1 });
    expect(stored.deliveredAt).toEqual(at(5));
    expect(ids(await outbox.claim({ owner: 'a', limit: 10, now: at(10), ...lease }))).toEqual([pending.id]);
  });
}
