import type { PageKey, PageRequest } from '../../ports/io';

/**
 * Storage cells of the in-memory `Io`. Rows are frozen copies replaced on every change, never edited
 * in place, so an undo entry can keep a reference to the row it restores.
 */

/** Undo entries of the open transaction, replayed backwards on rollback. */
export class Journal {
  #undo: Array<() => void> | null = null;
  #onCommit: Array<() => void> = [];

  begin(): void {
    this.#undo = [];
    this.#onCommit = [];
  }

  record(undo: () => void): void {
    this.#undo?.push(undo);
  }

  /** Runs `effect` when the open transaction commits (at once outside one); a rollback drops it. */
  afterCommit(effect: () => void): void {
    if (this.#undo === null) effect();
    else this.#onCommit.push(effect);
  }

  commit(): void {
    this.#undo = null;
    const effects = this.#onCommit;
    this.#onCommit = [];
    for (const effect of effects) effect();
  }

  rollback(): void {
    const undo = this.#undo ?? [];
    this.#undo = null;
    this.#onCommit = [];
    for (let index = undo.length - 1; index >= 0; index--) undo[index]!();
  }
}

export class Table<Row extends object> {
  readonly #rows = new Map<string, Readonly<Row>>();

  constructor(
    private readonly journal: Journal,
    private readonly describeDuplicate: string,
  ) {}

  get(key: string): Readonly<Row> | undefined {
    return this.#rows.get(key);
  }

  values(): IterableIterator<Readonly<Row>> {
    return this.#rows.values();
  }

  /** Adds a row; a key already present is a programmer error, as a primary-key violation is in SQL. */
  insert(key: string, row: Row): void {
    if (this.#rows.has(key)) throw new Error(`MemoryIo: ${this.describeDuplicate} already exists`);
    this.#write(key, row);
  }

  /** Replaces an existing row with a copy of it changed by `patch` (undefined fields are left as they are). */
  update(key: string, patch: Partial<Row>): void {
    const row = this.#rows.get(key);
    if (!row) return;
    const next: Record<string, unknown> = { ...row };
    for (const [field, value] of Object.entries(patch)) {
      if (value !== undefined) next[field] = copyValue(value);
    }
    this.#write(key, next as Row);
  }

  delete(key: string): boolean {
    const previous = this.#rows.get(key);
    if (!previous) return false;
    this.journal.record(() => this.#rows.set(key, previous));
    this.#rows.delete(key);
    return true;
  }

  #write(key: string, row: Row): void {
    const previous = this.#rows.get(key);
    this.journal.record(() => (previous ? this.#rows.set(key, previous) : this.#rows.delete(key)));
    this.#rows.set(key, Object.freeze(copyRow(row)));
  }
}

/**
 * A copy sharing nothing mutable with `row`: callers keep no handle on stored state and stored state
 * none on theirs. `undefined` becomes `null`, as it would coming back from SQL.
 */
export function copyRow<Row extends object>(row: Row): Row {
  const copy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(row)) copy[field] = copyValue(value);
  return copy as Row;
}

function copyValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(copyValue);
  // Custom fields, JSON objects: `fromEntries` defines each key, so even `__proto__` stays a key.
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, copyValue(field)]));
  }
  return value;
}

interface Created {
  createdAt: Date;
}

/** Oldest first; rows created in the same millisecond are ordered by `key` so results are stable. */
export function oldestFirst<Row extends Created>(rows: Iterable<Row>, key: (row: Row) => string): Row[] {
  return [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareStrings(key(a), key(b)));
}

export function newestFirst<Row extends Created>(rows: Iterable<Row>, key: (row: Row) => string): Row[] {
  return oldestFirst(rows, key).reverse();
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One page of an already ordered list (see `PageRequest`): the rows strictly after `page.after` in the
 * list's `direction` of `(createdAt, id)`, at most `limit + 1`. Compared by key, not by position, as
 * the SQL `Io` does, so rows inserted or deleted between two pages shift nothing.
 */
export function pageOf<Row>(
  ordered: readonly Row[],
  page: PageRequest,
  keyOf: (row: Row) => PageKey,
  direction: 'asc' | 'desc' = 'asc',
): Row[] {
  const after = page.after;
  const sign = direction === 'asc' ? 1 : -1;
  const rest = after
    ? ordered.filter((row) => {
        const key = keyOf(row);
        const order = key.createdAt.getTime() - after.createdAt.getTime() || compareStrings(key.id, after.id);
        return sign * order > 0;
      })
    : ordered;
  return rest.slice(0, Math.max(0, page.limit) + 1);
}

/** The key of a row with an id. */
export const keyOfRow = (row: { createdAt: Date; id: string }): PageKey => ({ createdAt: row.createdAt, id: row.id });
