import knexFactory, { type Knex } from 'knex';
import { dialectOf } from './dialect';
import * as schemaV1 from './schema-v1';
import * as schemaV2 from './schema-v2';
import * as schemaV3 from './schema-v3';
import * as schemaV4 from './schema-v4';
import * as schemaV5 from './schema-v5';
import * as schemaV6 from './schema-v6';
import * as schemaV7 from './schema-v7';
import * as schemaV8 from './schema-v8';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Names are stored in the version table: never rename one. */
const MIGRATIONS: ReadonlyArray<{ name: string; migration: Migration }> = [
  { name: '20261122_001_initial', migration: schemaV1 },
  { name: '20261202_002_credential_versions', migration: schemaV2 },
  { name: '20261202_003_invitations', migration: schemaV3 },
  { name: '20261202_004_two_factor', migration: schemaV4 },
  { name: '20261202_005_organization_require_mfa', migration: schemaV5 },
  { name: '20261202_006_list_indexes', migration: schemaV6 },
  { name: '20261202_007_events', migration: schemaV7 },
  { name: '20261202_008_custom_fields', migration: schemaV8 },
];

/** The version table (knex's own bookkeeping, under a name that will not clash with an application's). */
export const MIGRATIONS_TABLE = 'accounts_migrations';

/**
 * Migrations live in code rather than files so they run the same from TypeScript sources and from
 * the compiled package, with no globbing.
 */
const migrationSource: Knex.MigrationSource<{ name: string; migration: Migration }> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (entry) => entry.name,
  getMigration: async (entry) => entry.migration,
};

const config: Knex.MigratorConfig = { migrationSource, tableName: MIGRATIONS_TABLE };

export interface MigrateOptions {
  /**
   * How long to wait for another process that holds the migration lock, in milliseconds: a finite
   * number, at least 0. Default 60 s. MySQL/MariaDB wait in whole seconds, so it is rounded up there.
   */
  lockTimeoutMs?: number;
}

/**
 * Brings the database up to the latest schema. Safe to run any number of times, and from several
 * instances starting at once: on MySQL/MariaDB and PostgreSQL the instances queue on a server-side
 * advisory lock, so one migrates while the others wait, then find nothing left to do. Returns the
 * names of the migrations it applied.
 *
 * The advisory lock is needed because knex's own lock is not safe on a first run: knex creates its
 * lock table and inserts the lock row with a check-then-insert, so instances racing there can insert
 * two rows, after which knex's lock (an UPDATE that must touch exactly one row) can never be taken
 * and every instance retries until the deadline (knex/knex#3538). knex's lock stays in force too: it
 * also guards against processes that do not take the advisory lock (the knex CLI, older versions).
 */
export async function migrate(knex: Knex, options: MigrateOptions = {}): Promise<string[]> {
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  if (!Number.isFinite(lockTimeoutMs) || lockTimeoutMs < 0) {
    throw new RangeError(`migrate(): lockTimeoutMs must be a finite number of milliseconds >= 0, got ${lockTimeoutMs}`);
  }
  const deadline = Date.now() + lockTimeoutMs;
  return withAdvisoryLock(knex, deadline, async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await dropDuplicateLockRows(knex);
        const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
        return applied;
      } catch (error) {
        const { name, message } = error as Error;
        const lockHeld = name === 'MigrationLocked';
        // SQLite has no advisory lock, so pools there can still race to create knex's tables. Only
        // errors on those tables count: a migration's own "already exists" must surface unchanged.
        const versionTableRace =
          attempt <= 3 && String(message).includes(MIGRATIONS_TABLE) && /already exists|duplicate key/i.test(message);
        if (!(lockHeld || versionTableRace) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      }
    }
  });
}

const LOCK_TABLE = `${MIGRATIONS_TABLE}_lock`;

/**
 * A database that went through knex's first-run race keeps two lock rows and would refuse every
 * migration for good. Surplus rows are removed only while unlocked, and the lowest one is always
 * kept, so this never frees a lock that someone holds, even when run by several instances at once.
 */
async function dropDuplicateLockRows(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(LOCK_TABLE))) return;
  const rows: Array<{ index: number }> = await knex(LOCK_TABLE).select('index').orderBy('index');
  if (rows.length <= 1) return;
  await knex(LOCK_TABLE).where('index', '>', rows[0].index).andWhere('is_locked', 0).del();
}

type Query = (sql: string, bindings?: readonly Knex.Value[]) => Promise<unknown>;

interface AdvisoryLock {
  /** Waits until `deadline` for the lock; throws a `MigrationLocked` error when it is not free by then. */
  acquire(query: Query, deadline: number): Promise<void>;
  release(query: Query): Promise<unknown>;
}

// Lock names are server-wide on MySQL, so the name carries the database; hashed, it fits in 64 characters.
const MYSQL_LOCK_NAME = `concat('${MIGRATIONS_TABLE}:', sha1(coalesce(database(), '')))`;

/** The ASCII bytes of "accounts"; PostgreSQL keeps advisory locks per database already. */
const POSTGRES_LOCK_KEY = '7017561974736057459';

const ADVISORY_LOCKS: Record<'mysql' | 'postgres', AdvisoryLock> = {
  mysql: {
    async acquire(query, deadline) {
      const seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const [[{ acquired }]] = (await query(`select get_lock(${MYSQL_LOCK_NAME}, ?) as acquired`, [seconds])) as [
        [{ acquired: number | null }],
      ];
      // 0: timed out; NULL: the server failed to take it (an error, not someone else migrating).
      if (acquired === null) throw new Error('accounts-module: MySQL GET_LOCK failed for the migration lock');
      if (Number(acquired) !== 1) throw migrationLockTimeout();
    },
    release: (query) => query(`select release_lock(${MYSQL_LOCK_NAME})`),
  },
  postgres: {
    async acquire(query, deadline) {
      // The setting dies with the lock's own connection. It is an int of milliseconds (at most
      // 2^31 - 1), and 0 would mean "wait forever".
      const waitMs = Math.min(2 ** 31 - 1, Math.max(1, deadline - Date.now()));
      await query(`select set_config('lock_timeout', ?, false)`, [`${waitMs}ms`]);
      try {
        await query('select pg_advisory_lock(?::bigint)', [POSTGRES_LOCK_KEY]);
      } catch (error) {
        if ((error as { code?: string }).code === '55P03') throw migrationLockTimeout();
        throw error;
      }
    },
    release: (query) => query('select pg_advisory_unlock(?::bigint)', [POSTGRES_LOCK_KEY]),
  },
};

/**
 * Runs `body` while holding a session-level advisory lock. A session-level lock belongs to one
 * connection, so it is taken through a pool of its own with exactly one connection: migrations run on
 * the caller's pool (the CLI's has a single connection), and destroying this one afterwards guarantees
 * the lock cannot outlive this call, even if the unlock fails. The pool is built from the caller's own
 * settings, so a `connection` given as a function (rotating or IAM credentials) works as it does for
 * them; `min: 1` keeps the connection from being reaped while idle during a long migration.
 */
async function withAdvisoryLock<T>(knex: Knex, deadline: number, body: () => Promise<T>): Promise<T> {
  const dialect = dialectOf(knex);
  if (dialect === 'sqlite') return body();
  const lock = ADVISORY_LOCKS[dialect];
  const lockPool = knexFactory({ ...knex.client.config, pool: { min: 1, max: 1 } });
  const query: Query = async (sql, bindings = []) => lockPool.raw(sql, bindings);
  try {
    await lock.acquire(query, deadline);
    try {
      return await body();
    } finally {
      // Destroying the pool below frees the lock anyway; an unlock error must not hide body's outcome.
      await lock.release(query).catch(() => undefined);
    }
  } finally {
    await lockPool.destroy().catch(() => undefined);
  }
}

function migrationLockTimeout(): Error {
  const error = new Error('accounts-module: another instance is still migrating this database; gave up waiting');
  // The same name knex gives its own lock error, so callers handle both alike.
  error.name = 'MigrationLocked';
  return error;
}

/** Undoes every migration (drops the accounts tables). Meant for tests and uninstalling. */
export async function rollback(knex: Knex): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config, true)) as [number, string[]];
  return undone;
}

/** The names of every migration this version of the library ships, oldest first. */
export const SCHEMA_VERSIONS: readonly string[] = Object.freeze(MIGRATIONS.map((entry) => entry.name));

/** The name of the newest migration this version of the library ships. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].name;

/** The newest migration applied to this database, or null when none is. */
export async function currentSchemaVersion(knex: Knex): Promise<string | null> {
  const version = (await knex.migrate.currentVersion(config)) as string;
  if (version === 'none') return null;
  const [completed] = (await knex.migrate.list(config)) as [Array<{ name: string } | string>, unknown];
  const last = completed[completed.length - 1];
  return last === undefined ? null : typeof last === 'string' ? last : last.name;
}
