import type { Knex } from 'knex';
import type {
  AppendOptions,
  ClaimOptions,
  EventOutbox,
  EventRecord,
  FailureOutcome,
  JsonValue,
  ListEventsQuery,
  StoredEvent,
} from '../../ports/outbox';
import { subjectKey } from '../../ports/outbox';
import { type Dialect, dialectOf, fromDbTime, fromDbTimeOrNull, toDbTime } from './dialect';
import type { Row } from './rows';

const TABLE = 'events';
const MAX_ERROR_LENGTH = 1000;
/** How many batches' worth of candidates a claim reads before locking `limit` of them. */
const CLAIM_WINDOW = 4;

/**
 * The outbox on the `events` table (migration `20261202_007_events`). Several relays may share it on
 * MySQL 8 / MariaDB 10.6+ and PostgreSQL: a claim locks its rows with `FOR UPDATE SKIP LOCKED`, so
 * concurrent claims pass each other instead of waiting, and the lease it writes keeps the rows off
 * other relays after the claim commits, while they are delivered outside any transaction. SQLite has
 * neither row locks nor SKIP LOCKED: run one relay there (docs/events.md).
 *
 * `append` takes an optional transaction so the domain can write an event in the transaction of its
 * change; the other methods are the relay's and the event routes'.
 */
export class SqlEventOutbox implements EventOutbox {
  private readonly dialect: Dialect;

  constructor(
    private readonly knex: Knex,
    private readonly trx?: Knex.Transaction,
  ) {
    this.dialect = dialectOf(knex);
  }

  /** The same outbox, writing through `trx` (the transaction of the change the events report). */
  within(trx: Knex.Transaction): SqlEventOutbox {
    return new SqlEventOutbox(this.knex, trx);
  }

  private get db(): Knex | Knex.Transaction {
    return this.trx ?? this.knex;
  }

  private time(date: Date): string | number {
    return toDbTime(this.dialect, date);
  }

  async append(events: readonly EventRecord[], options: AppendOptions = {}): Promise<void> {
    if (events.length === 0) return;
    // One row per statement in order, so auto-increment `seq` follows the order given on every driver.
    const write = async (db: Knex | Knex.Transaction) => {
      for (const event of events) await db(TABLE).insert(this.toRow(event, options.deliveredAt));
    };
    if (this.trx !== undefined || events.length === 1) await write(this.db);
    else await this.knex.transaction(write);
  }

  async claim({ owner, limit, leaseMs, now }: ClaimOptions): Promise<StoredEvent[]> {
    if (limit <= 0) return [];
    const at = this.time(now);
    const leaseUntil = this.time(new Date(now.getTime() + leaseMs));
    return this.knex.transaction(async (trx) => {
      // SQLite: a write first takes the write lock for the whole transaction (as BEGIN IMMEDIATE
      // would), so a second process claiming at once waits instead of failing on its upgrade.
      if (this.dialect === 'sqlite') await trx(TABLE).where('seq', '<', 0).update({ lease_owner: null });
      // The candidates are read without locks first: a locking read of the blocking subquery would,
      // with SKIP LOCKED, skip the very rows another relay is claiming and so miss the block. A few
      // batches' worth are read, so relays claiming at the same moment skip past each other's rows
      // instead of all contending for the first batch.
      const candidates: number[] = (
        await trx(`${TABLE} as e`)
          .select('e.seq')
          .whereNull('e.delivered_at')
          .whereNull('e.dead_at')
          .where('e.next_attempt_at', '<=', at)
          .where((q) => q.whereNull('e.lease_until').orWhere('e.lease_until', '<=', at))
          .whereNotExists((q) =>
            q
              .select(trx.raw('1'))
              .from(`${TABLE} as b`)
              .whereRaw('b.subject_key = e.subject_key')
              .whereRaw('b.seq < e.seq')
              .whereNull('b.delivered_at')
              .whereNull('b.dead_at'),
          )
          .orderBy('e.seq')
          .limit(limit * CLAIM_WINDOW)
      ).map((row: Row) => Number(row.seq));
      if (candidates.length === 0) return [];
      // Then locked, with the lease condition checked again on the row as it is now.
      let locked = trx(TABLE)
        .select('*')
        .whereIn('seq', candidates)
        .whereNull('delivered_at')
        .whereNull('dead_at')
        .where((q) => q.whereNull('lease_until').orWhere('lease_until', '<=', at))
        .orderBy('seq')
        .limit(limit);
      if (this.dialect !== 'sqlite') locked = locked.forUpdate().skipLocked();
      const rows: Row[] = await locked;
      if (rows.length === 0) return [];
      const seqs = rows.map((row) => Number(row.seq));
      await trx(TABLE)
        .whereIn('seq', seqs)
        .update({ lease_owner: owner, lease_until: leaseUntil, attempts: trx.raw('attempts + 1') });
      return rows.map((row) => ({ ...this.fromRow(row), attempts: Number(row.attempts) + 1 }));
    });
  }

  async markDelivered(ids: readonly string[], owner: string, at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const updated = await this.db(TABLE)
      .whereIn('id', [...ids])
      .where('lease_owner', owner)
      .whereNull('delivered_at')
      .update({ delivered_at: this.time(at), lease_owner: null, lease_until: null, last_error: null });
    return Number(updated);
  }

  async markFailed(id: string, owner: string, outcome: FailureOutcome): Promise<boolean> {
    const error = outcome.error.slice(0, MAX_ERROR_LENGTH);
    const change =
      'dead' in outcome
        ? { dead_at: this.time(outcome.at), last_error: error }
        : { next_attempt_at: this.time(outcome.nextAttemptAt), last_error: error };
    const updated = await this.db(TABLE)
      .where({ id, lease_owner: owner })
      .whereNull('delivered_at')
      .update({ ...change, lease_owner: null, lease_until: null });
    return Number(updated) === 1;
  }

  async list(query: ListEventsQuery): Promise<StoredEvent[]> {
    let select = this.db(TABLE).select('*').orderBy('seq').limit(query.limit);
    if (query.organizationId !== undefined) select = select.where('organization_id', query.organizationId);
    if (query.userId !== undefined) select = select.where('user_id', query.userId);
    if (query.types !== undefined) select = select.whereIn('type', [...query.types]);
    if (query.from !== undefined) select = select.where('at', '>=', this.time(query.from));
    if (query.to !== undefined) select = select.where('at', '<', this.time(query.to));
    if (query.after !== undefined) select = select.where('seq', '>', query.after);
    return ((await select) as Row[]).map((row) => this.fromRow(row));
  }

  async prune(olderThan: Date): Promise<number> {
    const deleted = await this.db(TABLE)
      .where('at', '<', this.time(olderThan))
      .where((q) => q.whereNotNull('delivered_at').orWhereNotNull('dead_at'))
      .del();
    return Number(deleted);
  }

  private toRow(event: EventRecord, deliveredAt?: Date): Row {
    return {
      id: event.id,
      type: event.type,
      at: this.time(event.at),
      actor_user_id: event.actor.userId,
      actor_client_id: event.actor.clientId,
      actor_ip: event.actor.ip,
      user_id: event.subjects.userId,
      organization_id: event.subjects.organizationId,
      client_id: event.subjects.clientId,
      session_id: event.subjects.sessionId,
      subject_key: subjectKey(event.subjects),
      payload: JSON.stringify(event.payload),
      attempts: 0,
      next_attempt_at: this.time(event.at),
      delivered_at: deliveredAt === undefined ? null : this.time(deliveredAt),
    };
  }

  private fromRow(row: Row): StoredEvent {
    const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    return {
      id: String(row.id),
      seq: Number(row.seq),
      type: String(row.type),
      at: fromDbTime(row.at),
      actor: {
        userId: (row.actor_user_id as string | null) ?? null,
        clientId: (row.actor_client_id as string | null) ?? null,
        ip: (row.actor_ip as string | null) ?? null,
      },
      subjects: {
        userId: (row.user_id as string | null) ?? null,
        organizationId: (row.organization_id as string | null) ?? null,
        clientId: (row.client_id as string | null) ?? null,
        sessionId: (row.session_id as string | null) ?? null,
      },
      payload: payload as { [key: string]: JsonValue },
      attempts: Number(row.attempts),
      nextAttemptAt: fromDbTime(row.next_attempt_at),
      deliveredAt: fromDbTimeOrNull(row.delivered_at),
      deadAt: fromDbTimeOrNull(row.dead_at),
      lastError: (row.last_error as string | null) ?? null,
    };
  }
}
