import type { SqlContext } from './context';
import type { Dialect } from './dialect';
import type { Row } from './rows';

/**
 * The hot paths (strict token validation, key authentication, refresh, rate-limit hits) run SQL that
 * is written once and executed straight through the driver, as prepared statements, on the pool's
 * (or the open transaction's) connection. Through the query builder the same statement cost several
 * times its database time: compiling the query (`toSQL`, identifier wrapping, binding positions) on
 * every call, a fresh statement each time, and on SQLite a `LIMIT ?` bound anew, which makes SQLite
 * plan the statement again at every call. Everything else stays on knex.
 *
 * Each statement is written with `?` placeholders; PostgreSQL's `$1, $2 …` are derived once.
 */
export interface PreparedStatement {
  /** Unique per statement: the name of PostgreSQL's named prepared statement. */
  readonly name: string;
  /** The SQL per dialect (most are the same everywhere; `FOR UPDATE` is not SQLite's). */
  readonly text: Readonly<Record<Dialect, string>>;
}

/** A statement whose SQL is the same in every dialect, or differs only in what `forDialect` changes. */
export function statement(
  name: string,
  sql: string,
  forDialect: Partial<Record<Dialect, string>> = {},
): PreparedStatement {
  const text = { mysql: sql, sqlite: sql, postgres: sql, ...forDialect };
  return { name, text: { ...text, postgres: toPositional(text.postgres) } };
}

function toPositional(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** The rows a statement selects (or returns). */
export async function selectRows(
  sql: SqlContext,
  query: PreparedStatement,
  params: readonly unknown[],
): Promise<Row[]> {
  return (await run(sql, query, params, 'rows')) as Row[];
}

/** How many rows a statement changed. */
export async function changeRows(
  sql: SqlContext,
  query: PreparedStatement,
  params: readonly unknown[],
): Promise<number> {
  return (await run(sql, query, params, 'count')) as number;
}

interface KnexClientLike {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  emit(event: string, payload: unknown): boolean;
}

interface SqliteStatementLike {
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
}

/** better-sqlite3 statements belong to one connection; SQLite pools hold exactly one. */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatementLike>>();

async function run(
  sql: SqlContext,
  query: PreparedStatement,
  params: readonly unknown[],
  want: 'rows' | 'count',
): Promise<Row[] | number> {
  const client = (sql.db as unknown as { client: KnexClientLike }).client;
  const text = query.text[sql.dialect];
  const connection = await client.acquireConnection();
  try {
    // The same event knex sends for its own queries, so query counting and logging see these too.
    const { __knexUid, __knexTxId } = connection as { __knexUid?: string; __knexTxId?: string };
    client.emit('query', { __knexUid, __knexTxId, sql: text, bindings: params, method: 'raw' });
    if (sql.dialect === 'sqlite') return runSqlite(connection as SqliteDatabaseLike, query.name, text, params, want);
    if (sql.dialect === 'mysql') return await runMysql(connection as MysqlConnectionLike, text, params, want);
    return await runPostgres(connection as PgClientLike, query.name, text, params, want);
  } finally {
    await client.releaseConnection(connection);
  }
}

function runSqlite(
  database: SqliteDatabaseLike,
  name: string,
  text: string,
  params: readonly unknown[],
  want: 'rows' | 'count',
): Row[] | number {
  const statements = sqliteStatements.get(database) ?? new Map<string, SqliteStatementLike>();
  sqliteStatements.set(database, statements);
  const prepared = statements.get(name) ?? database.prepare(text);
  statements.set(name, prepared);
  return want === 'rows' ? prepared.all(...params) : prepared.run(...params).changes;
}

interface MysqlConnectionLike {
  execute(
    sql: string,
    params: readonly unknown[],
    callback: (error: Error | null, result: Row[] | { affectedRows: number }) => void,
  ): void;
}

function runMysql(
  connection: MysqlConnectionLike,
  text: string,
  params: readonly unknown[],
  want: 'rows' | 'count',
): Promise<Row[] | number> {
  // `execute` prepares the statement on the server once per connection (mysql2 caches it).
  return new Promise((resolve, reject) => {
    connection.execute(text, params, (error, result) => {
      if (error) reject(error);
      else resolve(want === 'rows' ? (result as Row[]) : (result as { affectedRows: number }).affectedRows);
    });
  });
}

interface PgClientLike {
  query(config: {
    name: string;
    text: string;
    values: readonly unknown[];
  }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

async function runPostgres(
  client: PgClientLike,
  name: string,
  text: string,
  params: readonly unknown[],
  want: 'rows' | 'count',
): Promise<Row[] | number> {
  // A named statement is parsed and planned once per connection; pg remembers which ones it has.
  const result = await client.query({ name, text, values: params });
  return want === 'rows' ? result.rows : (result.rowCount ?? 0);
}

/** `alias.column as <prefix>column` for each column: the select list of one entity in a join. */
export function aliasedColumns(alias: string, prefix: string, columns: readonly string[]): string {
  return columns.map((column) => `${alias}.${column} as ${prefix}${column}`).join(', ');
}

/**
 * Reads one entity's columns out of a joined row by their aliases, which are worked out once per
 * statement, not looked for in every row.
 */
export function columnsReader(prefix: string, columns: readonly string[]): (row: Row) => Row {
  const pairs = columns.map((column) => [column, `${prefix}${column}`] as const);
  return (row) => {
    const out: Row = {};
    for (const [column, alias] of pairs) out[column] = row[alias];
    return out;
  };
}
