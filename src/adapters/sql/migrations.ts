import type { Knex } from 'knex';
import * as schemaV1 from './schema-v1';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, oldest first. Names are stored in the version table: never rename one. */
const MIGRATIONS: ReadonlyArray<{ name: string; migration: Migration }> = [
  { name: '20261122_001_initial', migration: schemaV1 },
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
  /** How long to wait for another process that holds the migration lock. Default 60 s. */
  lockTimeoutMs?: number;
}

/**
 * Brings the database up to the latest schema. Safe to run any number of times, and from several
 * instances starting at once: knex's lock lets one migrate while the others wait for it (knex itself
 * fails fast on a held lock, and two first runs can race to create the version table), then find
 * nothing left to do. Returns the names of the migrations it applied.
 */
export async function migrate(knex: Knex, options: MigrateOptions = {}): Promise<string[]> {
  const deadline = Date.now() + (options.lockTimeoutMs ?? 60_000);
  for (let attempt = 1; ; attempt++) {
    try {
      const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
      return applied;
    } catch (error) {
      const lockHeld = (error as Error).name === 'MigrationLocked';
      const versionTableRace = attempt <= 3 && /already exists|duplicate key/i.test(String((error as Error).message));
      if (!(lockHeld || versionTableRace) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
    }
  }
}

/** Undoes every migration (drops the accounts tables). Meant for tests and uninstalling. */
export async function rollback(knex: Knex): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(config, true)) as [number, string[]];
  return undone;
}

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
