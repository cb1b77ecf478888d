import type { Knex } from 'knex';
import type { RateLimitState, RateLimitStore } from '../../ports/rate-limits';
import type { SqlContext } from './context';
import { type Dialect, dialectOf, fromDbTime, isLockConflict, toDbTime } from './dialect';
import { SqlIoError } from './errors';
import { selectRows, statement } from './prepared';

const TABLE = 'rate_limits';

/**
 * The hit of PostgreSQL and SQLite, a prepared statement (see `prepared.ts`): every SET expression
 * reads the row as it was before the update.
 */
const hitUpsertSql = (greatest: string) => `insert into ${TABLE} (limit_key, hits, reset_at) values (?, ?, ?)
  on conflict (limit_key) do update set
    hits = case when ${TABLE}.reset_at <= ? then excluded.hits else ${greatest}(${TABLE}.hits + ?, 0) end,
    reset_at = case when ${TABLE}.reset_at <= ? then excluded.reset_at else ${TABLE}.reset_at end
  returning hits, reset_at`;
const HIT_UPSERT = statement('accounts_rate_limit_hit', hitUpsertSql('greatest'), { sqlite: hitUpsertSql('max') });

// MySQL applies SET assignments left to right: `hits` is computed while `reset_at` is still old.
const MYSQL_HITS = 'if(reset_at <= ?, ?, greatest(hits + ?, 0))';
const MYSQL_RESET_AT = 'reset_at = if(reset_at <= ?, ?, reset_at)';
export const HIT_UPSERT_MARIADB = statement(
  'accounts_rate_limit_hit_mariadb',
  `insert into ${TABLE} (limit_key, hits, reset_at) values (?, ?, ?)
   on duplicate key update hits = ${MYSQL_HITS}, ${MYSQL_RESET_AT}
   returning hits, reset_at`,
);
/** InnoDB may pick a deadlock victim among concurrent upserts of a new key; the hit is retried. */
const MAX_LOCK_RETRIES = 5;

/**
 * Rate-limit counters in the `rate_limits` table, shared by every instance of an application. Each
 * hit is decided in the database in one atomic step, so parallel hits from many machines count
 * exactly: PostgreSQL and SQLite use `INSERT … ON CONFLICT DO UPDATE … RETURNING`, MariaDB
 * `INSERT … ON DUPLICATE KEY UPDATE … RETURNING`; MySQL the same upsert, whose count comes back
 * through `LAST_INSERT_ID`, and a plain read of the window's end. No hit
 * takes a transaction or holds a lock beyond its one statement.
 */
export class SqlRateLimitStore implements RateLimitStore {
  private readonly dialect: Dialect;
  private readonly sql: SqlContext;
  private mariaDb: Promise<boolean> | undefined;

  constructor(private readonly knex: Knex) {
    this.dialect = dialectOf(knex);
    this.sql = { db: knex, dialect: this.dialect, inTransaction: false };
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
    const [row] = await selectRows(this.sql, HIT_UPSERT, [key, Math.max(by, 0), newResetAt, at, by, at]);
    return { count: Number(row!.hits), resetAt: fromDbTime(row!.reset_at) };
  }

  /**
   * One `INSERT … ON DUPLICATE KEY UPDATE`, never a locked transaction. MariaDB (10.5+) returns the
   * row from that same statement (`RETURNING`). MySQL has no `RETURNING`: the statement hands the new
   * count back through `LAST_INSERT_ID(expr)` (offset by one, so 0 still means "inserted, not
   * updated"), exact under any concurrency, and a plain second read fetches `reset_at`, which only
   * moves when a window ends and only serves the `Retry-After`.
   */
  private async hitMysql(key: string, windowMs: number, now: Date, by: number): Promise<RateLimitState> {
    const at = toDbTime(this.dialect, now);
    const newResetAt = toDbTime(this.dialect, new Date(now.getTime() + windowMs));
    const first = Math.max(by, 0);
    if (await this.upsertCanReturn()) {
      const [row] = await selectRows(this.sql, HIT_UPSERT_MARIADB, [
        key,
        first,
        newResetAt,
        at,
        first,
        by,
        at,
        newResetAt,
      ]);
      return { count: Number(row!.hits), resetAt: fromDbTime(row!.reset_at) };
    }
    const [result] = (await this.knex.raw(
      `insert into ${TABLE} (limit_key, hits, reset_at) values (?, ?, ?)
       on duplicate key update hits = last_insert_id(${MYSQL_HITS} + 1) - 1, ${MYSQL_RESET_AT}`,
      [key, first, newResetAt, at, first, by, at, newResetAt],
    )) as [{ insertId: number }];
    const updated = Number(result.insertId);
    const count = updated === 0 ? first : updated - 1;
    const row = await this.knex(TABLE).where({ limit_key: key }).first('reset_at');
    return { count, resetAt: row ? fromDbTime(row.reset_at) : new Date(now.getTime() + windowMs) };
  }

  /** Whether the MySQL-family server has `INSERT … RETURNING` (MariaDB does, MySQL not), asked once. */
  protected upsertCanReturn(): Promise<boolean> {
    this.mariaDb ??= this.knex.raw('select version() as version').then(
      ([rows]: [Array<{ version: string }>]) => /mariadb/i.test(String(rows[0]?.version)),
      (error: unknown) => {
        this.mariaDb = undefined; // ask again next time: the server may just have been unreachable
        throw error;
      },
    );
    return this.mariaDb;
  }
}
