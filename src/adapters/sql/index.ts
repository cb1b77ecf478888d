/**
 * The SQL persistence adapter: `SqlIo` (the `Io` port), `SqlRateLimitStore`, migrations and a
 * URL-to-knex helper. See docs/sql.md.
 */
export { createKnexFromUrl, type KnexFromUrlOptions, redactDatabaseUrl } from './connect';
export { SqlIoError } from './errors';
export { SqlEventOutbox } from './event-outbox';
export {
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  type MigrateOptions,
  migrate,
  rollback,
  SCHEMA_VERSIONS,
} from './migrations';
export { SqlRateLimitStore } from './rate-limit-store';
export { SqlIo } from './sql-io';
