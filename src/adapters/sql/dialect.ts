import type { Knex } from 'knex';

/** The SQL families the adapter speaks. MariaDB counts as `mysql`. */
export type Dialect = 'mysql' | 'postgres' | 'sqlite';

export function dialectOf(knex: Knex): Dialect {
  const client = String(knex.client.config.client ?? knex.client.dialect ?? '');
  if (/mysql|maria/i.test(client)) return 'mysql';
  if (/pg|postgres/i.test(client)) return 'postgres';
  if (/sqlite/i.test(client)) return 'sqlite';
  throw new Error(`accounts-module: unsupported knex client "${client}" (use mysql2, pg or better-sqlite3)`);
}

/**
 * How timestamps travel to and from each dialect. Every value is written explicitly in UTC so the
 * stored instant never depends on the server's or the driver's time zone:
 * - MySQL/MariaDB `DATETIME(3)`: written as `YYYY-MM-DD HH:MM:SS.mmm` in UTC.
 * - PostgreSQL `timestamptz(3)`: written as ISO 8601 with `Z`; pg reads it back as an exact `Date`.
 * - SQLite: integer milliseconds since the epoch (sortable, comparable, no parsing ambiguity).
 */
export function toDbTime(dialect: Dialect, date: Date): string | number {
  if (dialect === 'sqlite') return date.getTime();
  const iso = date.toISOString();
  return dialect === 'mysql' ? iso.slice(0, 23).replace('T', ' ') : iso;
}

const ZONELESS = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$/;

/** Reads a stored timestamp back; zone-less strings (mysql2 `dateStrings`) are UTC by construction. */
export function fromDbTime(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string') {
    const fast = mysqlDateTime(value);
    if (fast !== null) return new Date(fast);
    if (/^-?\d+$/.test(value)) return new Date(Number(value));
    return new Date(ZONELESS.test(value) ? `${value.replace(' ', 'T')}Z` : value);
  }
  throw new TypeError(`accounts-module: unexpected timestamp value of type ${typeof value}`);
}

export function fromDbTimeOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : fromDbTime(value);
}

interface DriverError {
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
}

/** A unique or primary-key violation, as each driver reports it. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno } = error as DriverError;
  return (
    code === 'ER_DUP_ENTRY' ||
    errno === 1062 ||
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * A conflict worth running the transaction again for at once: an InnoDB deadlock, a PostgreSQL
 * deadlock or serialization failure. The database rolled the loser back whole, and the other side
 * has moved on. A lock wait timeout or a busy SQLite file is not one: the lock is still held, and
 * waiting again (on SQLite, synchronously, blocking the event loop) would only multiply the wait.
 */
export function isLockConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno } = error as DriverError;
  return errno === 1213 || code === '40P01' || code === '40001';
}

/**
 * mysql2 turns `DATETIME` into `Date`s in the process's local zone unless told otherwise, which would
 * shift every timestamp by the local offset. Refuse such a pool up front rather than corrupt data.
 */
export function assertUtcMysqlDates(knex: Knex): void {
  const connection = knex.client.config.connection as unknown;
  if (typeof connection !== 'object' || connection === null) return;
  const { timezone, dateStrings } = connection as { timezone?: unknown; dateStrings?: unknown };
  if (dateStrings === true) return;
  if (typeof timezone === 'string' && ['z', '+00:00'].includes(timezone.toLowerCase())) return;
  throw new Error(
    "accounts-module: a mysql2 knex must set connection.timezone = 'Z' (or dateStrings: true) so DATETIME " +
      'values are read as UTC; createKnexFromUrl() does this for you',
  );
}

/**
 * Milliseconds of a MySQL `DATETIME(3)` string in UTC (`2026-12-02 07:41:02.123`, as mysql2 reads it
 * with `dateStrings`), or null for any other form. Strict validation reads nine timestamps per row;
 * reading the digits directly costs a fraction of a regex test, a string rebuild and `Date` parsing.
 */
function mysqlDateTime(value: string): number | null {
  const { length } = value;
  if ((length !== 19 && length !== 23) || value[4] !== '-' || value[10] !== ' ' || value[13] !== ':') return null;
  if (value[7] !== '-' || value[16] !== ':' || (length === 23 && value[19] !== '.')) return null;
  const digits = (start: number, end: number): number => {
    let result = 0;
    for (let index = start; index < end; index++) {
      const digit = value.charCodeAt(index) - 48;
      if (digit < 0 || digit > 9) return Number.NaN;
      result = result * 10 + digit;
    }
    return result;
  };
  const milliseconds = Date.UTC(
    digits(0, 4),
    digits(5, 7) - 1,
    digits(8, 10),
    digits(11, 13),
    digits(14, 16),
    digits(17, 19),
    length === 23 ? digits(20, 23) : 0,
  );
  return Number.isNaN(milliseconds) ? null : milliseconds;
}
