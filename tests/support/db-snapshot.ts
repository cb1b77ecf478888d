import type { Knex } from 'knex';
import { dialectOf } from '../../src/adapters/sql/dialect';

/**
 * Whole-database snapshots for tests that must prove a request changed nothing: every table, every
 * row, each row in a canonical form (keys sorted, bytes as hex) and the rows of a table sorted, so two
 * snapshots of the same data compare equal whatever order the database returns rows in.
 */

type Row = Record<string, unknown>;

export interface DbSnapshot {
  /** Canonical rows by table, sorted. */
  tables: Record<string, Row[]>;
}

/** What a comparison leaves out, with the reason kept by the caller. */
export interface SnapshotMask {
  /** Tables not compared at all. */
  tables?: readonly string[];
  /** Columns not compared, by table. */
  columns?: Readonly<Record<string, readonly string[]>>;
}

/** Every table of the connection's database (or PostgreSQL schema), the migration bookkeeping included. */
export async function listTables(knex: Knex): Promise<string[]> {
  const dialect = dialectOf(knex);
  let names: unknown[];
  if (dialect === 'sqlite') {
    const rows: Row[] = await knex.raw(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
    );
    names = rows.map((row) => row.name);
  } else if (dialect === 'mysql') {
    const [rows] = (await knex.raw(
      "select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE'",
    )) as [Row[]];
    names = rows.map((row) => row.name ?? row.NAME);
  } else {
    const result = (await knex.raw('select tablename as name from pg_tables where schemaname = current_schema()')) as {
      rows: Row[];
    };
    names = result.rows.map((row) => row.name);
  }
  return names.map(String).sort();
}

/** Reads every row of every table (pass `tables` to skip the listing query). */
export async function snapshotDatabase(knex: Knex, tables?: readonly string[]): Promise<DbSnapshot> {
  const names = tables ?? (await listTables(knex));
  const contents = await Promise.all(names.map((name) => knex.select('*').from(name) as Promise<Row[]>));
  const snapshot: DbSnapshot = { tables: {} };
  names.forEach((name, index) => {
    snapshot.tables[name] = contents[index].map(canonicalRow).sort(compareRows);
  });
  return snapshot;
}

/**
 * What differs between two snapshots once the mask is applied: one line per table whose rows differ,
 * with the rows only in `before` (`-`) and only in `after` (`+`). Empty when they are equal.
 */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot, mask: SnapshotMask = {}): string[] {
  const skipped = new Set(mask.tables ?? []);
  const names = [...new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])].sort();
  const lines: string[] = [];
  for (const name of names) {
    if (skipped.has(name)) continue;
    const hidden = mask.columns?.[name] ?? [];
    const rowsBefore = (before.tables[name] ?? []).map((row) => rowKey(row, hidden));
    const rowsAfter = (after.tables[name] ?? []).map((row) => rowKey(row, hidden));
    const removed = multisetMinus(rowsBefore, rowsAfter);
    const added = multisetMinus(rowsAfter, rowsBefore);
    if (removed.length === 0 && added.length === 0) continue;
    lines.push(`${name}:`, ...describeChanges(removed, added));
  }
  return lines;
}

/** Columns that identify a row in the accounts schema, in the order tried. */
const IDENTITY_COLUMNS = ['id', 'token_hash', 'limit_key', 'address', 'name'];

/** A changed row (same identity before and after) as `~ id=…: column before → after`, others as `-` / `+`. */
function describeChanges(removed: string[], added: string[]): string[] {
  const parse = (row: string) => JSON.parse(row) as Row;
  const identity = (row: Row) => {
    const column = IDENTITY_COLUMNS.find((name) => name in row);
    return column === undefined ? null : `${column}=${String(row[column])}`;
  };
  const addedById = new Map<string, Row>();
  for (const row of added.map(parse)) {
    const id = identity(row);
    if (id !== null) addedById.set(id, row);
  }
  const lines: string[] = [];
  const changed = new Set<string>();
  for (const raw of removed) {
    const before = parse(raw);
    const id = identity(before);
    const after = id === null ? undefined : addedById.get(id);
    if (id === null || after === undefined) {
      lines.push(`  - ${raw}`);
      continue;
    }
    changed.add(id);
    const columns = Object.keys({ ...before, ...after }).filter(
      (column) => JSON.stringify(before[column]) !== JSON.stringify(after[column]),
    );
    const described = columns.map(
      (column) => `${column}: ${JSON.stringify(before[column])} → ${JSON.stringify(after[column])}`,
    );
    lines.push(`  ~ ${id}: ${described.join(', ')}`);
  }
  for (const raw of added) {
    const id = identity(parse(raw));
    if (id === null || !changed.has(id)) lines.push(`  + ${raw}`);
  }
  return lines;
}

/** The raw rows of some tables, as the driver returned them, to write back with `restoreTables`. */
export type TableDump = Record<string, Row[]>;

export async function dumpTables(knex: Knex, tables: readonly string[]): Promise<TableDump> {
  const dump: TableDump = {};
  for (const name of tables) dump[name] = await knex.select('*').from(name);
  return dump;
}

/**
 * Empties the tables (`childFirst`: an order in which no row is deleted before the rows referring to
 * it) and writes the dumped rows back, parents first, in one transaction.
 */
export async function restoreTables(knex: Knex, dump: TableDump, childFirst: readonly string[]): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const name of childFirst) await trx(name).delete();
    for (const name of [...childFirst].reverse()) {
      const rows = dump[name] ?? [];
      for (let start = 0; start < rows.length; start += 100) await trx(name).insert(rows.slice(start, start + 100));
    }
  });
}

function canonicalRow(row: Row): Row {
  const canonical: Row = {};
  for (const key of Object.keys(row).sort()) canonical[key] = canonicalValue(row[key]);
  return canonical;
}

function canonicalValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function rowKey(row: Row, hidden: readonly string[]): string {
  if (hidden.length === 0) return JSON.stringify(row);
  const visible: Row = {};
  for (const [key, value] of Object.entries(row)) if (!hidden.includes(key)) visible[key] = value;
  return JSON.stringify(visible);
}

function compareRows(a: Row, b: Row): number {
  const left = JSON.stringify(a);
  const right = JSON.stringify(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function multisetMinus(items: string[], remove: string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of remove) counts.set(item, (counts.get(item) ?? 0) + 1);
  const rest: string[] = [];
  for (const item of items) {
    const left = counts.get(item) ?? 0;
    if (left > 0) counts.set(item, left - 1);
    else rest.push(item);
  }
  return rest;
}
