import type { Knex } from 'knex';

export interface RecordedQuery {
  sql: string;
  bindings: readonly unknown[];
  txId: string | undefined;
}

/** The statements knex sends while `work` runs (knex emits one `query` event per round trip). */
export async function recordQueries<T>(
  knex: Knex,
  work: () => Promise<T>,
): Promise<{ result: T; queries: RecordedQuery[] }> {
  const queries: RecordedQuery[] = [];
  const listener = (query: { sql: string; bindings?: unknown[]; __knexTxId?: string }) =>
    queries.push({ sql: query.sql, bindings: query.bindings ?? [], txId: query.__knexTxId });
  knex.on('query', listener);
  try {
    return { result: await work(), queries };
  } finally {
    knex.removeListener('query', listener);
  }
}
