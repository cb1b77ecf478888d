/**
 * The transactional outbox (issue 11 §2): every security event is written to the `events` table in the
 * transaction of the change it reports, and a relay (`src/events/`) delivers it afterwards, at least
 * once, in order per subject. This is the port both sides talk to; `SqlEventOutbox` and
 * `MemoryEventOutbox` implement it. See docs/events.md.
 */

/** Who caused an event, when the event says so (`byUserId`, `byClientId`, `ip`). */
export interface EventActor {
  userId: string | null;
  clientId: string | null;
  ip: string | null;
}

/** What an event is about: the columns the list routes and the per-subject ordering read. */
export interface EventSubjects {
  userId: string | null;
  organizationId: string | null;
  clientId: string | null;
  sessionId: string | null;
}

/** A JSON value as stored in `payload`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An event as appended: what happened, never how far its delivery got. */
export interface EventRecord {
  /** `evt_…`, unique; receivers deduplicate on it (delivery is at least once). */
  id: string;
  type: string;
  at: Date;
  actor: EventActor;
  subjects: EventSubjects;
  /** The event's remaining fields; never a secret, hash, code or token (see `toEventRecord`). */
  payload: { [key: string]: JsonValue };
}

/** An event in the outbox, with its place in the order and its delivery state. */
export interface StoredEvent extends EventRecord {
  /** Assigned by the store on append, increasing: the delivery and listing order. */
  seq: number;
  /** Delivery attempts begun so far (a claim counts as one, so a relay that crashes mid-delivery counts too). */
  attempts: number;
  /** Not claimed before this instant (the backoff after a failure). */
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  /** Given up on after too many failures (a dead letter): it no longer blocks its subject. */
  deadAt: Date | null;
  lastError: string | null;
}

export interface ClaimOptions {
  /** Who claims: unique per relay instance, so a lease names its holder. */
  owner: string;
  limit: number;
  /** How long the claim keeps other relays off the events; longer than one delivery can take. */
  leaseMs: number;
  now: Date;
}

export type FailureOutcome = { error: string; nextAttemptAt: Date } | { dead: true; error: string; at: Date };

export interface AppendOptions {
  /**
   * Store the events as delivered at this instant: the domain does so when it hands them to
   * `Lib.onEvent` itself (`events: { delivery: 'direct' }`), so the table is the audit trail and no
   * relay delivers them a second time.
   */
  deliveredAt?: Date;
}

export interface ListEventsQuery {
  /** At most one of the two: the events of one organization, or of one user. */
  organizationId?: string;
  userId?: string;
  types?: readonly string[];
  /** `at` ≥ from. */
  from?: Date;
  /** `at` < to. */
  to?: Date;
  /** Only events with a greater `seq` (the cursor of the next page). */
  after?: number;
  limit: number;
}

/**
 * Where events wait for delivery. Every method decides in the store, atomically: several relays may
 * share one outbox, and none may deliver an event another one holds.
 */
export interface EventOutbox {
  /** Adds events, ready for delivery at once (or already delivered: see `AppendOptions`); `seq` follows the order given. */
  append(events: readonly EventRecord[], options?: AppendOptions): Promise<void>;
  /**
   * Claims up to `limit` events for delivery, in `seq` order, leasing each to `owner` until
   * `now + leaseMs` and counting an attempt. An event is claimable when it is neither delivered nor
   * dead, its `nextAttemptAt` has come, nobody holds an unexpired lease on it, and no earlier event of
   * the same `subjectKey` is still waiting (delivered or dead ones do not block): so one subject's
   * events go out one at a time, in order.
   */
  claim(options: ClaimOptions): Promise<StoredEvent[]>;
  /** Marks events delivered; only those `owner` still holds. Returns how many were marked. */
  markDelivered(ids: readonly string[], owner: string, at: Date): Promise<number>;
  /** Records a failed delivery by `owner` (a retry later, or a dead letter) and frees the lease. */
  markFailed(id: string, owner: string, outcome: FailureOutcome): Promise<boolean>;
  /** Events in `seq` order, for the event routes and for operators. */
  list(query: ListEventsQuery): Promise<StoredEvent[]>;
  /**
   * Deletes delivered and dead events that happened (`at`) before `olderThan`; returns the count.
   * An event still waiting for delivery is kept, however old.
   */
  prune(olderThan: Date): Promise<number>;
}

/**
 * The subject events are ordered by: the organization, else the user, else the client, else none
 * (null: such an event, a failed login of an unknown address, is ordered against nothing).
 */
export function subjectKey(subjects: EventSubjects): string | null {
  if (subjects.organizationId !== null) return `org:${subjects.organizationId}`;
  if (subjects.userId !== null) return `user:${subjects.userId}`;
  if (subjects.clientId !== null) return `client:${subjects.clientId}`;
  return null;
}
