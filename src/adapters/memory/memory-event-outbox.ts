import type {
  AppendOptions,
  ClaimOptions,
  EventOutbox,
  EventRecord,
  FailureOutcome,
  ListEventsQuery,
  StoredEvent,
} from '../../ports/outbox';
import { subjectKey } from '../../ports/outbox';

interface Entry {
  event: StoredEvent;
  subject: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
}

/**
 * The outbox in memory, with the semantics of `SqlEventOutbox`, for tests and single-process
 * development. Each method runs without an `await` between its reads and its writes, so it is atomic
 * with respect to any number of relays in the process.
 */
export class MemoryEventOutbox implements EventOutbox {
  private readonly entries: Entry[] = [];
  private nextSeq = 1;

  async append(events: readonly EventRecord[], options: AppendOptions = {}): Promise<void> {
    this.appendNow(events, options);
  }

  /**
   * `append` without the promise, for `MemoryIo`, whose operations run synchronously under its lock.
   */
  appendNow(events: readonly EventRecord[], options: AppendOptions = {}): void {
    for (const record of events) {
      if (this.entries.some((entry) => entry.event.id === record.id)) {
        throw new Error(`MemoryEventOutbox: duplicate event id ${record.id}`);
      }
    }
    for (const record of events) {
      const event: StoredEvent = {
        ...copy(record),
        seq: this.nextSeq++,
        attempts: 0,
        nextAttemptAt: new Date(record.at.getTime()),
        deliveredAt: options.deliveredAt === undefined ? null : new Date(options.deliveredAt.getTime()),
        deadAt: null,
        lastError: null,
      };
      this.entries.push({ event, subject: subjectKey(record.subjects), leaseOwner: null, leaseUntil: null });
    }
  }

  async claim({ owner, limit, leaseMs, now }: ClaimOptions): Promise<StoredEvent[]> {
    const at = now.getTime();
    // Subjects with an earlier waiting event, whatever its lease or backoff: their later events wait.
    const blocked = new Set<string>();
    const claimed: StoredEvent[] = [];
    for (const entry of this.entries) {
      if (claimed.length >= limit) break;
      const { event, subject } = entry;
      if (event.deliveredAt !== null || event.deadAt !== null) continue;
      const isBlocked = subject !== null && blocked.has(subject);
      if (subject !== null) blocked.add(subject);
      if (isBlocked || event.nextAttemptAt.getTime() > at) continue;
      if (entry.leaseUntil !== null && entry.leaseUntil > at) continue;
      entry.leaseOwner = owner;
      entry.leaseUntil = at + leaseMs;
      event.attempts += 1;
      claimed.push(copyStored(event));
    }
    return claimed;
  }

  async markDelivered(ids: readonly string[], owner: string, at: Date): Promise<number> {
    let marked = 0;
    for (const entry of this.entries) {
      if (!ids.includes(entry.event.id) || entry.leaseOwner !== owner || entry.event.deliveredAt !== null) continue;
      entry.event.deliveredAt = new Date(at.getTime());
      entry.event.lastError = null;
      entry.leaseOwner = null;
      entry.leaseUntil = null;
      marked += 1;
    }
    return marked;
  }

  async markFailed(id: string, owner: string, outcome: FailureOutcome): Promise<boolean> {
    const entry = this.entries.find((candidate) => candidate.event.id === id);
    if (entry === undefined || entry.leaseOwner !== owner || entry.event.deliveredAt !== null) return false;
    entry.event.lastError = outcome.error.slice(0, 1000);
    if ('dead' in outcome) entry.event.deadAt = new Date(outcome.at.getTime());
    else entry.event.nextAttemptAt = new Date(outcome.nextAttemptAt.getTime());
    entry.leaseOwner = null;
    entry.leaseUntil = null;
    return true;
  }

  async list(query: ListEventsQuery): Promise<StoredEvent[]> {
    return this.listNow(query);
  }

  /** `list` without the promise (see `appendNow`). */
  listNow(query: ListEventsQuery): StoredEvent[] {
    return this.entries
      .map((entry) => entry.event)
      .filter(
        (event) =>
          (query.organizationId === undefined || event.subjects.organizationId === query.organizationId) &&
          (query.userId === undefined || event.subjects.userId === query.userId) &&
          (query.types === undefined || query.types.includes(event.type)) &&
          (query.from === undefined || event.at.getTime() >= query.from.getTime()) &&
          (query.to === undefined || event.at.getTime() < query.to.getTime()) &&
          (query.after === undefined || event.seq > query.after),
      )
      .slice(0, query.limit)
      .map(copyStored);
  }

  async prune(olderThan: Date): Promise<number> {
    return this.pruneNow(olderThan);
  }

  /** `prune` without the promise (see `appendNow`). */
  pruneNow(olderThan: Date): number {
    const before = olderThan.getTime();
    let removed = 0;
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const { event } = this.entries[index];
      if (event.at.getTime() < before && (event.deliveredAt !== null || event.deadAt !== null)) {
        this.entries.splice(index, 1);
        removed += 1;
      }
    }
    return removed;
  }
}

function copy(record: EventRecord): EventRecord {
  return {
    id: record.id,
    type: record.type,
    at: new Date(record.at.getTime()),
    actor: { ...record.actor },
    subjects: { ...record.subjects },
    payload: JSON.parse(JSON.stringify(record.payload)),
  };
}

function copyStored(event: StoredEvent): StoredEvent {
  const date = (value: Date | null) => (value === null ? null : new Date(value.getTime()));
  return {
    ...event,
    ...copy(event),
    nextAttemptAt: new Date(event.nextAttemptAt.getTime()),
    deliveredAt: date(event.deliveredAt),
    deadAt: date(event.deadAt),
  };
}
