import type { Knex } from 'knex';
import { type Dialect, isUniqueViolation, toDbTime } from './dialect';
import type { Row } from './rows';

/** What every query needs: where to run it and how to speak to the database. */
export interface SqlContext {
  readonly db: Knex | Knex.Transaction;
  readonly dialect: Dialect;
  /** Bound to a transaction: locking reads (`FOR UPDATE`) are meaningful. */
  readonly inTransaction: boolean;
}

export function dbTime(sql: SqlContext, date: Date): string | number {
  return toDbTime(sql.dialect, date);
}

export function dbTimeOrNull(sql: SqlContext, date: Date | null): string | number | null {
  return date === null ? null : toDbTime(sql.dialect, date);
}

/**
 * Inserts a row unless it collides on `conflictColumns`; returns whether it was written. The
 * duplicate is decided by the unique index, never by a prior read. PostgreSQL and SQLite skip the
 * row with `ON CONFLICT … DO NOTHING`, so a surrounding PostgreSQL transaction is not aborted by a
 * failed statement; MySQL reports ER_DUP_ENTRY, which only undoes that statement, and the error is
 * matched to the expected index so other violations still surface.
 */
export async function insertUnlessDuplicate(
  sql: SqlContext,
  table: string,
  row: Row,
  conflictColumns: string[],
  mysqlIndexName: string,
): Promise<boolean> {
  if (sql.dialect !== 'mysql') {
    const inserted = await sql.db(table).insert(row).onConflict(conflictColumns).ignore().returning(conflictColumns[0]);
    return (inserted as unknown[]).length === 1;
  }
  try {
    await sql.db(table).insert(row);
    return true;
  } catch (error) {
    const message = String((error as { sqlMessage?: unknown }).sqlMessage ?? '');
    if (isUniqueViolation(error) && message.includes(`'${mysqlIndexName}'`)) return false;
    if (isUniqueViolation(error) && message.includes(`'${table}.${mysqlIndexName}'`)) return false;
    throw error;
  }
}

/** Affected-row counts come back as numbers from every driver knex wraps; normalized here. */
export function count(result: unknown): number {
  return Number(result);
}

/** `COUNT(*)` arrives as a number, a bigint or a string depending on the driver. */
export function countFromRow(row: Row | undefined): number {
  return row === undefined ? 0 : Number(Object.values(row)[0]);
}
