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
  /** What knex would call it in its query events (`select`, `insert`, `update`, `del`). */
  readonly method: 'select' | 'insert' | 'update' | 'del';
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
  const verb = sql.trimStart().slice(0, 6).toLowerCase();
  const method = verb === 'select' ? 'select' : verb === 'insert' ? 'insert' : verb === 'update' ? 'update' : 'del';
  return { name, method, text: { ...text, postgres: toPositional(text.postgres) } };
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

/**
 * The rows a statement selects, as arrays in select-list order: the driver builds no object with a
 * key per column (for a 20-column join on SQLite that is nearly half the statement's time).
 */
export async function selectTuples(
  sql: SqlContext,
  query: PreparedStatement,
  params: readonly unknown[],
): Promise<unknown[][]> {
  return (await run(sql, query, params, 'tuples')) as unknown[][];
}

/** How many rows a statement changed. */
export async function changeRows(
  sql: SqlContext,
  query: PreparedStatement,
  params: readonly unknown[],
): Promise<number> {
  return (await run(sql, query, params, 'count')) as number;
}

type Want = 'rows' | 'tuples' | 'count';
type Result = Row[] | unknown[][] | number;

interface KnexClientLike {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown> | unknown;
  emit(event: string, ...payload: unknown[]): boolean;
}

interface SqliteStatementLike {
  raw(toggle: boolean): SqliteStatementLike;
  all(...params: unknown[]): Row[];
  run(...params: unknown[]): { changes: number };
}

interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  /** False once closed (a pool that replaced it). */
  readonly open: boolean;
  /** True between BEGIN and COMMIT or ROLLBACK. */
  readonly inTransaction: boolean;
}

/** The connection a SQLite pool last handed out, for statements that need no turn at the pool. */
const idleSqliteConnection = new WeakMap<object, SqliteDatabaseLike>();

/** better-sqlite3 statements belong to one connection; SQLite pools hold exactly one. */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatementLike>>();

async function run(sql: SqlContext, query: PreparedStatement, params: readonly unknown[], want: Want): Promise<Result> {
  const client = (sql.db as unknown as { client: KnexClientLike }).client;
  const text = query.text[sql.dialect];
  refuseFinishedTransaction(sql);
  if (sql.dialect === 'sqlite' && !sql.inTransaction) {
    // better-sqlite3 runs a statement synchronously, start to end: on a connection with no
    // transaction open, an autocommit statement needs no turn at the pool (which costs timers and
    // promises per call, as much as the statement itself). Inside another request's transaction it
    // would join that transaction, so then it waits for the pool like anything else.
    const idle = idleSqliteConnection.get(client);
    if (idle?.open && !idle.inTransaction) {
      return reported(client, {}, query, text, params, async () => runSqlite(idle, query.name, text, params, want));
    }
  }
  const connection = await client.acquireConnection();
  if (sql.dialect === 'sqlite' && !sql.inTransaction)
    idleSqliteConnection.set(client, connection as SqliteDatabaseLike);
  try {
    // The transaction may have ended while this waited for its connection.
    refuseFinishedTransaction(sql);
    return await reported(client, connection as KnexConnectionIds, query, text, params, () => {
      if (sql.dialect === 'sqlite')
        return Promise.resolve(runSqlite(connection as SqliteDatabaseLike, query.name, text, params, want));
      if (sql.dialect === 'mysql') return runMysql(connection as MysqlConnectionLike, text, params, want);
      return runPostgres(connection as PgClientLike, query.name, text, params, want);
    });
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * knex refuses a query on a transaction that has ended; so must these, which skip its query path: a
 * statement sent after COMMIT or ROLLBACK would run on a connection back in the pool, maybe inside
 * someone else's transaction.
 */
function refuseFinishedTransaction(sql: SqlContext): void {
  if (!sql.inTransaction) return;
  const transaction = sql.db as { isCompleted?: () => boolean };
  if (transaction.isCompleted?.()) throw new Error('Transaction query already complete');
}

interface KnexConnectionIds {
  __knexUid?: string;
  __knexTxId?: string;
}

let queryUid = 0;

/**
 * Runs a statement between the events knex sends for its own queries (`query`, then `query-response`
 * or `query-error`, paired by `__knexQueryUid`), so listeners, logging and query counting see these
 * statements as they see knex's.
 */
async function reported(
  client: KnexClientLike,
  connection: KnexConnectionIds,
  query: PreparedStatement,
  text: string,
  params: readonly unknown[],
  execute: () => Promise<Result>,
): Promise<Result> {
  const event = {
    __knexUid: connection.__knexUid,
    __knexTxId: connection.__knexTxId,
    __knexQueryUid: `accounts-${++queryUid}`,
    sql: text,
    bindings: params,
    method: query.method,
    options: {},
  };
  client.emit('query', event);
  try {
    const result = await execute();
    client.emit('query-response', result, event, undefined);
    return result;
  } catch (error) {
    client.emit('query-error', error, event);
    throw error;
  }
}

function runSqlite(
  database: SqliteDatabaseLike,
  name: string,
  text: string,
  params: readonly unknown[],
  want: Want,
): Result {
  const statements = sqliteStatements.get(database) ?? new Map<string, SqliteStatementLike>();
  sqliteStatements.set(database, statements);
  const key = want === 'tuples' ? `${name}:tuples` : name;
  let prepared = statements.get(key);
  if (!prepared) {
    prepared = want === 'tuples' ? database.prepare(text).raw(true) : database.prepare(text);
    statements.set(key, prepared);
  }
  return want === 'count' ? prepared.run(...params).changes : prepared.all(...params);
}

interface MysqlConnectionLike {
  execute(
    options: { sql: string; rowsAsArray?: boolean },
    params: readonly unknown[],
    callback: (error: Error | null, result: Row[] | unknown[][] | { affectedRows: number }) => void,
  ): void;
}

function runMysql(
  connection: MysqlConnectionLike,
  text: string,
  params: readonly unknown[],
  want: Want,
): Promise<Result> {
  // `execute` prepares the statement on the server once per connection (mysql2 caches it).
  return new Promise((resolve, reject) => {
    connection.execute({ sql: text, rowsAsArray: want === 'tuples' }, params, (error, result) => {
      if (error) reject(error);
      else resolve(want === 'count' ? (result as { affectedRows: number }).affectedRows : (result as Row[]));
    });
  });
}

interface PgClientLike {
  query(config: {
    name: string;
    text: string;
    values: readonly unknown[];
    rowMode?: 'array';
  }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

async function runPostgres(
  client: PgClientLike,
  name: string,
  text: string,
  params: readonly unknown[],
  want: Want,
): Promise<Result> {
  // A named statement is parsed and planned once per connection; pg remembers which ones it has.
  const config = { name, text, values: params };
  const result = await client.query(want === 'tuples' ? { ...config, rowMode: 'array' } : config);
  return want === 'count' ? (result.rowCount ?? 0) : result.rows;
}

/** `alias.column as <prefix>column` for each column: the select list of one entity in a join. */
export function aliasedColumns(alias: string, prefix: string, columns: readonly string[]): string {
  return columns.map((column) => `${alias}.${column} as ${prefix}${column}`).join(', ');
}

/**
 * Reads one entity's columns out of a tuple: `columns` stand at `offset` onwards, in the order the
 * statement selects them.
 */
export function tupleReader(columns: readonly string[], offset = 0): (tuple: readonly unknown[]) => Row {
  return (tuple) => {
    const out: Row = {};
    for (let index = 0; index < columns.length; index++) out[columns[index]!] = tuple[offset + index];
    return out;
  };
}
