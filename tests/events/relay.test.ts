import { MemoryEventOutbox } from '../../src/adapters/memory/memory-event-outbox';
import { EventRelay, type EventRelayOptions, functionSink, onEventSink } from '../../src/events';
import { toEventRecord } from '../../src/ports/event-record';
import type { AccountsEvent } from '../../src/ports/events';
import type { StoredEvent } from '../../src/ports/outbox';
import { at, record } from './outbox-contract';

/** A relay on a clock the test moves. */
function setup(options: Partial<EventRelayOptions> = {}) {
  const outbox = new MemoryEventOutbox();
  let clock = at(0);
  const relay = new EventRelay({
    outbox,
    sinks: [],
    owner: 'relay-a',
    now: () => clock,
    random: () => 0.5,
    ...options,
  });
  return { outbox, relay, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

describe('EventRelay', () => {
  it('hands each event to every sink in order, then marks it delivered', async () => {
    const seen: string[] = [];
    const { outbox, relay } = setup({
      sinks: [
        functionSink((event) => void seen.push(`one:${event.id}`)),
        functionSink((e) => void seen.push(`two:${e.id}`)),
      ],
    });
    const [a, b] = [record({ userId: 'u1' }), record({ userId: 'u2' })];
    await outbox.append([a, b]);
    expect(await relay.runOnce()).toEqual({ claimed: 2, delivered: 2, failed: 0, dead: 0 });
    expect(seen).toEqual([`one:${a.id}`, `two:${a.id}`, `one:${b.id}`, `two:${b.id}`]);
    expect((await outbox.list({ limit: 10 })).every((event) => event.deliveredAt !== null)).toBe(true);
  });

  it('retries a failed event after a full-jitter exponential backoff, capped', async () => {
    const { relay } = setup({ random: () => 0.999999, backoffBaseMs: 1000, backoffCapMs: 600_000 });
    expect([1, 2, 3, 4].map((attempts) => relay.backoffMs(attempts))).toEqual([999, 1999, 3999, 7999]);
    expect(relay.backoffMs(30)).toBe(599_999);
    const { relay: low } = setup({ random: () => 0 });
    expect(low.backoffMs(5)).toBe(0);
  });

  it('turns an event into a dead letter after maxAttempts failures, freeing its subject', async () => {
    const errors: unknown[] = [];
    const { outbox, relay, advance } = setup({
      maxAttempts: 3,
      sinks: [
        functionSink((event) => {
          if (event.payload.poison === true) throw new Error('receiver refused');
        }),
      ],
      onError: (error) => errors.push(error),
    });
    const poison = record({ organizationId: 'o1' }, { payload: { poison: true } });
    const next = record({ organizationId: 'o1' });
    await outbox.append([poison, next]);
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    advance(1000);
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
    advance(60_000);
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, dead: 1 });
    expect(errors).toHaveLength(3);
    const [dead] = await outbox.list({ limit: 1 });
    expect(dead).toMatchObject({ attempts: 3, lastError: 'receiver refused' });
    expect(dead.deadAt).not.toBeNull();
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, delivered: 1 });
  });

  it('schedules the retry at now + backoff', async () => {
    const { outbox, relay } = setup({
      random: () => 0.5,
      sinks: [functionSink(() => Promise.reject(new Error('503')))],
    });
    await outbox.append([record({ userId: 'u1' })]);
    await relay.runOnce();
    const [event] = await outbox.list({ limit: 1 });
    expect(event.nextAttemptAt).toEqual(at(500));
    expect(event.lastError).toBe('503');
  });

  it('gives Lib.onEvent the domain event back', async () => {
    const received: AccountsEvent[] = [];
    const { outbox, relay } = setup({ sinks: [onEventSink((event) => void received.push(event))] });
    const event: AccountsEvent = {
      type: 'session.revoked',
      at: at(0),
      userId: 'u1',
      sessionId: null,
      reason: 'logout',
    };
    await outbox.append([toEventRecord(event, 'evt_1')]);
    await relay.runOnce();
    expect(received).toEqual([event]);
  });

  it('polls until stopped, sleeping only when a poll found nothing, and keeps polling after outbox errors', async () => {
    const delivered: StoredEvent[] = [];
    const sleeps: number[] = [];
    const errors: unknown[] = [];
    const outbox = new MemoryEventOutbox();
    let failClaims = 1;
    const claim = outbox.claim.bind(outbox);
    outbox.claim = async (options) => {
      if (failClaims-- > 0) throw new Error('connection lost');
      return claim(options);
    };
    await outbox.append([record({ userId: 'u1' }), record({ userId: 'u2' }), record({ userId: 'u3' })]);
    let relay: EventRelay;
    const stopped = new Promise<void>((resolve) => {
      relay = new EventRelay({
        outbox,
        batchSize: 2,
        pollIntervalMs: 250,
        sinks: [functionSink((event) => void delivered.push(event))],
        onError: (error) => errors.push(error),
        sleep: async (ms) => {
          sleeps.push(ms);
          if (delivered.length === 3) resolve();
          await new Promise((wake) => setImmediate(wake));
        },
      });
    });
    relay!.start();
    relay!.start();
    await stopped;
    await relay!.stop();
    expect(relay!.running).toBe(false);
    expect(delivered).toHaveLength(3);
    expect(errors).toEqual([new Error('connection lost')]);
    // One sleep after the failed claim, none between the two full batches, then idle polls.
    expect(sleeps[0]).toBe(250);
  });

  it('cuts its wait short when woken, and polls again at once when woken mid-poll', async () => {
    const outbox = new MemoryEventOutbox();
    const delivered: string[] = [];
    const relay = new EventRelay({
      outbox,
      pollIntervalMs: 3_600_000,
      sinks: [functionSink((event) => void delivered.push(event.id))],
    });
    relay.start();
    const waitFor = async (count: number) => {
      for (let spins = 0; delivered.length < count && spins < 200; spins++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    // Idle in an hour-long wait: only a wake-up makes it see the new event.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = record({ userId: 'u1' });
    await outbox.append([first]);
    relay.wake();
    await waitFor(1);
    expect(delivered).toEqual([first.id]);
    const second = record({ userId: 'u2' });
    await outbox.append([second]);
    relay.wake();
    await waitFor(2);
    await relay.stop();
    expect(delivered).toEqual([first.id, second.id]);
  });
});
