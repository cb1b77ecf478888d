import type { Result } from 'ts-results';
import { toEventRecord } from '../ports/event-record';
import type { AccountsEvent } from '../ports/events';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import type { EventActor } from '../ports/outbox';
import { emit } from './emit';
import type { AccountsError } from './errors';
import { rollingBackErr } from './rollback';

/**
 * How events reach `Lib.onEvent` (docs/events.md):
 * - `direct` (the default): the domain calls it right after the change commits, as a plain hook: at
 *   most once (a crash between the commit and the call loses the call). The events are stored
 *   as delivered, so the `events` table is the audit trail and no relay sends them again.
 * - `relay`: only an `EventRelay` delivers them (`onEventSink(lib.onEvent)`, webhooks), at least once;
 *   the events wait in the outbox until it does. `onCommitted` is called after every commit that
 *   stored events, so a relay in this process can deliver at once (`relay.wake()`) instead of at its
 *   next poll.
 */
export interface EventDelivery {
  mode: 'direct' | 'relay';
  onCommitted?: () => void;
}

export const DIRECT_DELIVERY: EventDelivery = Object.freeze({ mode: 'direct' });

/** What the event log needs of the domain's dependencies. */
export interface EventDeps {
  lib: Lib;
  events?: EventDelivery;
}

/** The events of one transaction, appended with its change before it commits. */
interface EventLog {
  readonly actor: Partial<EventActor>;
  readonly events: AccountsEvent[];
}

/** The log of each transaction-bound `Io` while the work of `transactWithEvents` runs. */
const logs = new WeakMap<Io, EventLog>();

/** Who acts, from the caller (a `Caller`) and the request: the event rows' actor columns. */
export function actorOf(
  caller: { user?: { id: string }; client?: { id: string } } | undefined,
  request?: { ip: string | null } | null,
): Partial<EventActor> {
  return { userId: caller?.user?.id ?? null, clientId: caller?.client?.id ?? null, ip: request?.ip ?? null };
}

/**
 * Runs `work` in one transaction (or joins the one `io` is bound to) in which `recordEvent(tx, …)`
 * collects events; they are appended to the outbox through the same transaction just before it
 * commits, so an event never exists without its change, nor a change without its event. After the
 * commit they are handed on (see `EventDelivery`). A transaction retried after a deadlock starts
 * with an empty log: the work records its events again.
 *
 * `actor` fills the actor columns the events do not name themselves (docs/events.md).
 */
export async function transactWithEvents<T>(
  deps: EventDeps & { io: Io },
  actor: Partial<EventActor>,
  work: (tx: Io) => Promise<T>,
): Promise<T> {
  // Joined: the outer transaction's log takes the events, and its commit hands them on.
  if (logs.has(deps.io)) return work(deps.io);
  let committed: AccountsEvent[] = [];
  const result = await deps.io.transaction(async (tx) => {
    const log: EventLog = { actor, events: [] };
    logs.set(tx, log);
    try {
      const value = await work(tx);
      await appendTo(tx, deps, log.actor, log.events);
      committed = log.events;
      return value;
    } finally {
      logs.delete(tx);
    }
  });
  handOn(deps, committed);
  return result;
}

/**
 * `transactWithEvents` for work that returns a `Result`, like `inTransaction`: an `Err` rolls the
 * change and its events back and is returned as is.
 */
export function inTransactionWithEvents<T>(
  deps: EventDeps & { io: Io },
  actor: Partial<EventActor>,
  work: (tx: Io) => Promise<Result<T, AccountsError>>,
): Promise<Result<T, AccountsError>> {
  return rollingBackErr((run) => transactWithEvents(deps, actor, run), work);
}

/**
 * Records an event of the change `tx` is making (inside `transactWithEvents`). A `tx` without a log
 * is a programmer error: an event recorded there would be lost, so it throws.
 */
export function recordEvent(tx: Io, event: AccountsEvent): void {
  const log = logs.get(tx);
  if (log === undefined) {
    throw new Error(`accounts-module: event ${event.type} recorded outside transactWithEvents`);
  }
  log.events.push(event);
}

/**
 * Writes events that report no stored change (a refused login, an email that failed to go out) in
 * their own statement, then hands them on like `transactWithEvents`.
 */
export async function publishEvents(
  deps: EventDeps & { io: Io },
  actor: Partial<EventActor>,
  events: readonly AccountsEvent[],
): Promise<void> {
  if (events.length === 0) return;
  // Inside a transaction's work the event belongs to it (and waits for its commit).
  const log = logs.get(deps.io);
  if (log !== undefined) {
    log.events.push(...events);
    return;
  }
  await appendTo(deps.io, deps, actor, events);
  handOn(deps, events);
}

async function appendTo(
  io: Io,
  { lib, events: delivery = DIRECT_DELIVERY }: EventDeps,
  actor: Partial<EventActor>,
  events: readonly AccountsEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const records = events.map((event) => toEventRecord(event, lib.newId('event'), actor));
  await io.appendEvents(records, delivery.mode === 'direct' ? { deliveredAt: lib.now() } : {});
}

function handOn({ lib, events: delivery = DIRECT_DELIVERY }: EventDeps, events: readonly AccountsEvent[]): void {
  if (events.length === 0) return;
  if (delivery.mode === 'direct') {
    for (const event of events) emit(lib, event);
    return;
  }
  try {
    delivery.onCommitted?.();
  } catch {
    // a wake-up that fails only delays delivery to the relay's next poll
  }
}
