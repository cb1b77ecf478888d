import type { Knex } from 'knex';
import type { PageRequest } from '../../../ports/io';
import { dbTime, type SqlContext } from '../context';

/** The columns a list is keyed by (`PageKey`): its creation time and its unique tie-breaker. */
export interface KeyColumns {
  createdAt: string;
  id: string;
}

/**
 * Restricts `query` to one page of a keyset-paginated list: rows strictly after `page.after` in the
 * order `(createdAt, id)` `direction`, ordered so, at most `limit + 1` of them (the extra row tells
 * the domain that another page follows). The row-value comparison `(created_at, id) > (?, ?)` is
 * spelled `created_at > ? or (created_at = ? and id > ?)`, which MySQL, SQLite and PostgreSQL all
 * plan as a range on a `(…, created_at, id)` index. No OFFSET: rows inserted or deleted before the
 * cursor between two requests cannot shift the page.
 */
export function keysetPage<Q extends Knex.QueryBuilder>(
  sql: SqlContext,
  query: Q,
  page: PageRequest,
  columns: KeyColumns,
  direction: 'asc' | 'desc',
): Q {
  const after = page.after;
  if (after) {
    const beyond = direction === 'asc' ? '>' : '<';
    const at = dbTime(sql, after.createdAt);
    query.where((keyset) =>
      keyset
        .where(columns.createdAt, beyond, at)
        .orWhere((tie) => tie.where(columns.createdAt, '=', at).where(columns.id, beyond, after.id)),
    );
  }
  return query
    .orderBy([
      { column: columns.createdAt, order: direction },
      { column: columns.id, order: direction },
    ])
    .limit(Math.max(0, page.limit) + 1) as Q;
}

/** The key columns of most tables. */
export const BY_ID: KeyColumns = { createdAt: 'created_at', id: 'id' };
