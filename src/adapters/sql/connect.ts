import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';

export interface KnexFromUrlOptions {
  /** Pool bounds for MySQL and PostgreSQL (SQLite always uses one connection). Default 0–10. */
  pool?: { min?: number; max?: number };
  /** How long a query waits for a free pooled connection before failing. Default 10 s. */
  acquireConnectionTimeout?: number;
  /** Extra knex settings merged last (e.g. `debug`). */
  knex?: Partial<Knex.Config>;
}

/**
 * Builds a knex instance from a database URL:
 * - `mysql://user:pass@host:3306/db` (also `mariadb://`): mysql2, UTC timestamps, pool 0–10.
 * - `postgres://…` or `postgresql://…`: pg, pool 0–10.
 * - `sqlite:<path>` or `sqlite://<path>` (relative to the working directory unless absolute:
 *   `sqlite:///var/db/a.db` is absolute), or `sqlite::memory:`: better-sqlite3 on one connection,
 *   foreign keys on, WAL journal for files; the file's directory is created.
 *
 * The caller owns the returned pool and closes it with `knex.destroy()`.
 */
export function createKnexFromUrl(url: string, options: KnexFromUrlOptions = {}): Knex {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  const common: Partial<Knex.Config> = {
    acquireConnectionTimeout: options.acquireConnectionTimeout ?? 10_000,
    // Without this knex inlines bound values (hashes, addresses) into error messages.
    compileSqlOnError: false,
  };
  const pool = { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 };
  let config: Knex.Config;
  switch (scheme) {
    case 'mysql':
    case 'mariadb':
      config = { ...common, client: 'mysql2', connection: mysqlConnection(url), pool };
      break;
    case 'postgres':
    case 'postgresql':
      config = { ...common, client: 'pg', connection: url, pool };
      break;
    case 'sqlite':
      config = { ...common, ...sqliteConfig(url.slice('sqlite:'.length)) };
      break;
    default:
      throw new Error(`accounts-module: unsupported database URL scheme "${scheme}" (mysql, postgres or sqlite)`);
  }
  return knexFactory({ ...config, ...options.knex });
}

function mysqlConnection(url: string): Knex.MySql2ConnectionConfig {
  const parsed = new URL(url);
  const connection: Knex.MySql2ConnectionConfig & Record<string, unknown> = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined,
    charset: 'utf8mb4',
    // Timestamps are DATETIME in UTC: read them as UTC whatever the process's zone.
    timezone: 'Z',
    dateStrings: true,
  };
  for (const [key, value] of parsed.searchParams) {
    connection[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return connection;
}

function sqliteConfig(location: string): Knex.Config {
  const inMemory = location === '' || location === ':memory:';
  const filename = inMemory ? ':memory:' : resolve(location.replace(/^\/\//, ''));
  if (!inMemory) mkdirSync(dirname(filename), { recursive: true });
  return {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has one writer anyway, and an in-memory database lives in its
    // connection, so the pool must never drop it.
    pool: {
      min: 1,
      max: 1,
      idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
      afterCreate(connection: { pragma(sql: string): unknown }, done: (error: Error | null) => void) {
        try {
          connection.pragma('foreign_keys = ON');
          connection.pragma('busy_timeout = 5000');
          if (!inMemory) connection.pragma('journal_mode = WAL');
          done(null);
        } catch (error) {
          done(error as Error);
        }
      },
    },
  };
}
