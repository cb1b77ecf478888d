import type { Knex } from 'knex';
import type { RateLimitState, RateLimitStore } from '../../ports/rate-limits';
import { type Dialect, dialectOf, fromDbTime, isLockConflict, toDbTime } from './dialect';
import { SqlIoError } from './errors';

const TABLE = 'rate_limits';
/** InnoDB may pick a deadlock victim among concurrent upserts of a new key; the hit is retried. */
const MAX_LOCK_RETRIES = 5;

/**
 * Rate-limit counters in the `rate_limits` table, shared by every instance of an application. Each
 * hit is decided in the database in one atomic step, so parallel hits from many machines count
 * exactly: PostgreSQL and SQLite use `INSERT … ON CONFLICT DO UPDATE … RETURNING`; MySQL/MariaDB an
 * `INSERT … ON DUPLICATE KEY UPDATE` followed by a read of the row it still holds locked.
 */
export class SqlRateLimitStore implements RateLimitStore {
  private readonly dialect: Dialect;

  constructor(private readonly knex: Knex) {
    this.dialect = dialectOf(knex);
  }

  async hit(key: string, windowMs: number, now: Date, by = 1): Promise<RateLimitState> {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.dialect === 'mysql'
          ? await this.hitMysql(key, windowMs, now, by)
          : await this.hitUpsert(key, windowMs, now, by);
      } catch (error) {
        if (!isLockConflict(error) || attempt >= MAX_LOCK_RETRIES) throw SqlIoError.from('rateLimitHit', error);
      }
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.knex(TABLE).where({ limit_key: key }).delete();
    } catch (error) {
      throw SqlIoError.from('rateLimitReset', error);
    }
  }

  /** Deletes counters whose window ended before `now` (run it now and then; they are dead weight). */
  async purgeExpired(now: Date): Promise<number> {
    try {
      return Number(await this.knex(TABLE).where('reset_at', '<=', toDbTime(this.dialect, now)).delete());
    } catch (error) {
      throw SqlIoError.from('rateLimitPurge', error);
    }
  }

  private async hitUpsert(key: string, windowMs: number, now: Date, by: number): Promise<RateLimitState> {
    const at = toDbTime(this.dialect, now);
    const newResetAt = toDbTime(this.dialect, new Date(now.getTime() + windowMs));
    const greatest = this.dialect === 'sqlite' ? 'max' : 'greatest';
    // Every SET expression reads the row as it was before the update, on both dialects.
    const result = await this.knex.raw(
      `insert into ${TABLE} (limit_key, hits, reset_at) values (?, ?, ?)
       on conflict (limit_key) do update set
         hits = case when ${TABLE}.reset_at <= ? then excluded.hits else ${greatest}(${TABLE}.hits + ?, 0) end,
         reset_at = case when ${TABLE}.reset_at <= ? then excluded.reset_at else ${TABLE}.reset_at end
       returning hits, reset_at`,
      [key, Math.max(by, 0), newResetAt, at, by, at],
    );
    const rows = (Array.isArray(result) ? result : result.rows) as Array<{ hits: unknown; reset_at: unknown }>;
    return { count: Number(rows[0].hits), resetAt: fromDbTime(rows[0].reset_at) };
  }

  private hitMysql(key: string, windowMs: number, now: Date, by: number): Promise<RateLimitState> {
    const at = toDbTime(this.dialect, now);
    const newResetAt = toDbTime(this.dialect, new Date(now.getTime() + windowMs));
    return this.knex.transaction(async (trx) => {
      // MySQL applies SET assignments left to right: `hits` is computed while `reset_at` is still old.
      await trx.raw(
        `insert into ${TABLE} (limit_key, hits, reset_at) values (?, ?, ?)
         on duplicate key update
           hits = if(reset_at <= ?, ?, greatest(hits + ?, 0)),
           reset_at = if(reset_at <= ?, ?, reset_at)`,
        [key, Math.max(by, 0), newResetAt, at, Math.max(by, 0), by, at, newResetAt],
      );
      const row = await trx(TABLE).where({ limit_key: key }).forUpdate().first('hits', 'reset_at');
      return { count: Number(row.hits), resetAt: fromDbTime(row.reset_at) };
    });
  }
}
