import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { markReadCommittedPool, READ_COMMITTED_SESSION_SQL } from './isolation';

export interface KnexFromUrlOptions {
  /** Pool bounds for MySQL and PostgreSQL (SQLite always uses one connection). Default 0–10. */
  pool?: { min?: number; max?: number };
  /** How long a query waits for a free pooled connection before failing. Default 10 s. */
  acquireConnectionTimeout?: number;
  /** Extra knex settings merged last (e.g. `debug`). */
  knex?: Partial<Knex.Config>;
  /**
   * Where the URL came from, as the operator knows it (`DATABASE_URL`, `--url`): errors name it, so
   * the message points at the setting to fix. Default "the database URL".
   */
  source?: string;
}

/** The URL forms `createKnexFromUrl` accepts, as listed in its errors. */
export const ACCEPTED_DATABASE_URLS =
  'mysql://user:pass@host:3306/db (or mariadb://), postgres://user:pass@host:5432/db (or postgresql://), ' +
  'sqlite:<path>, sqlite::memory:, or a plain file path such as ./data/accounts.db (SQLite)';

/** Why a database URL cannot be used: unreadable, an unknown scheme, or its driver is not installed. */
export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError';
  constructor(
    readonly reason: 'empty' | 'unknown-scheme' | 'driver-missing',
    message: string,
    /** For `driver-missing`: the npm package to install. */
    readonly missingPackage?: string,
  ) {
    super(message);
  }
}

/** The driver package knex loads for each client; pg and mysql2 are optional peer dependencies. */
const DRIVER_PACKAGES = { mysql2: 'mysql2', pg: 'pg', 'better-sqlite3': 'better-sqlite3' } as const;
type DriverClient = keyof typeof DRIVER_PACKAGES;

/** A URL scheme (RFC 3986 §3.1); one letter is a Windows drive (`C:\data\a.db`), not a scheme. */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Builds a knex instance from a database URL:
 * - `mysql://user:pass@host:3306/db` (also `mariadb://`): mysql2, UTC timestamps, pool 0–10.
 * - `postgres://…` or `postgresql://…`: pg, pool 0–10.
 * - `sqlite:<path>` or `sqlite://<path>` (relative to the working directory unless absolute:
 *   `sqlite:///var/db/a.db` is absolute), or `sqlite::memory:`: better-sqlite3 on one connection,
 *   foreign keys on, WAL journal for files; the file's directory is created.
 * - a plain path without a scheme (`./data/accounts.db`, `data/a.db`, `/var/db/a.db`): a SQLite file.
 *
 * Throws `DatabaseUrlError` for an empty URL, an unknown scheme, or a driver (`pg`, `mysql2`) that is
 * not installed; the message names `options.source` and never shows the URL's password.
 * The caller owns the returned pool and closes it with `knex.destroy()`.
 */
export function createKnexFromUrl(url: string, options: KnexFromUrlOptions = {}): Knex {
  const source = options.source ?? 'the database URL';
  if (url.trim() === '') {
    throw new DatabaseUrlError('empty', `${source} is empty: set it to one of ${ACCEPTED_DATABASE_URLS}`);
  }
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase() ?? null;
  const common: Partial<Knex.Config> = {
    acquireConnectionTimeout: options.acquireConnectionTimeout ?? 10_000,
    // Without this knex inlines bound values (hashes, addresses) into error messages.
    compileSqlOnError: false,
  };
  const pool = { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 };
  let config: Knex.Config & { client: DriverClient };
  switch (scheme) {
    case 'mysql':
    case 'mariadb':
      config = {
        ...common,
        client: 'mysql2',
        connection: mysqlConnection(url),
        pool: {
          ...pool,
          afterCreate(connection: MysqlConnectionLike, done: (error: Error | null, connection: unknown) => void) {
            connection.query(READ_COMMITTED_SESSION_SQL, (error) => done(error, connection));
          },
        },
      };
      break;
    case 'postgres':
    case 'postgresql':
      config = { ...common, client: 'pg', connection: url, pool };
      break;
    case 'sqlite':
      config = { ...common, ...sqliteConfig(url.slice('sqlite:'.length)) };
      break;
    case null:
      if (!looksLikeSqlitePath(url)) {
        throw new DatabaseUrlError(
          'unknown-scheme',
          `${source} is ${redactDatabaseUrl(url)}: it has no scheme and does not look like a SQLite file path ` +
            '(start it with /, ./ or ../, or end it in .db, .sqlite or .sqlite3); ' +
            `use ${ACCEPTED_DATABASE_URLS}`,
        );
      }
      config = { ...common, ...sqliteConfig(url) };
      break;
    default:
      throw new DatabaseUrlError(
        'unknown-scheme',
        `${source} is ${redactDatabaseUrl(url)}: the scheme "${scheme}:" is not supported; use ${ACCEPTED_DATABASE_URLS}`,
      );
  }
  requireDriver(config.client, url, source);
  const knex = knexFactory({ ...config, ...options.knex });
  // A pool of the caller's own replaces the hook that set the isolation level.
  if (config.client === 'mysql2' && options.knex?.pool === undefined) markReadCommittedPool(knex);
  return knex;
}

interface MysqlConnectionLike {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/**
 * Loads the driver before knex does, because knex's own failure ("run npm install pg --save") names
 * neither the setting nor the optional peer dependency. Only the driver itself missing is reported
 * so; a driver that fails to load for another reason keeps its own error.
 */
function requireDriver(client: DriverClient, url: string, source: string): void {
  const name = DRIVER_PACKAGES[client];
  try {
    require(name);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'MODULE_NOT_FOUND' || !message.includes(`'${name}'`)) throw error;
    throw new DatabaseUrlError(
      'driver-missing',
      `${source} is ${redactDatabaseUrl(url)}: install the \`${name}\` package (npm install ${name}); ` +
        'accounts-module lists it as an optional peer dependency, so it is not installed with it',
      name,
    );
  }
}

/** The URL as it may appear in a terminal or log: the password, if any, replaced by `***`. */
/**
 * Whether a value without a scheme reads as a SQLite file path. Anything else is refused rather than
 * opened as a file: `mysql//user:pass@db/app` (a colon missed) or `db.example.com/app` would
 * otherwise become a local database, silently, with the password in its file name.
 */
function looksLikeSqlitePath(value: string): boolean {
  if (value.includes('@') || value.startsWith('//') || /^[a-z][a-z0-9+.-]*\/\//i.test(value)) return false;
  return /^(\/|\.\.?[\\/]|[a-z]:[\\/])/i.test(value) || /\.(db|sqlite3?)$/i.test(value);
}

/** Query parameters that carry a credential in some driver's URL syntax. */
const SECRET_PARAMETER = /pass|secret|token|key/i;

/**
 * A database URL as it may be printed: the password, any credential in the query string, and any
 * user-info a typo left unparsed (`root:pw@host/db`) replaced with `***`.
 */
export function redactDatabaseUrl(url: string): string {
  let text = url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAMETER.test(key)) parsed.searchParams.set(key, '***');
    }
    text = parsed.toString();
  } catch {
    // Not a URL: only the pattern below applies.
  }
  return text.replace(/([^/@:\s]*):[^/@\s]*@/g, '$1:***@');
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

function sqliteConfig(location: string): Knex.Config & { client: 'better-sqlite3' } {
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
