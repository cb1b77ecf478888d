import type { Knex } from 'knex';
import { type Dialect, dialectOf } from './dialect';

/**
 * The first schema: every table the accounts module stores. Column types differ per dialect only
 * where they must (timestamps, see `toDbTime`); `db/schema.sql` is what this produces on MySQL.
 */
export const TABLES_CHILD_FIRST = [
  'rate_limits',
  'refresh_tokens',
  'sessions',
  'access_restrictions',
  'clients',
  'memberships',
  'organizations',
  'verification_codes',
  'login_emails',
  'users',
] as const;

type Columns = ReturnType<typeof columnsFor>;

function columnsFor(dialect: Dialect, table: Knex.CreateTableBuilder) {
  return {
    id: (name = 'id') => table.string(name, 64),
    /** SHA-256 hex digests: fixed width. */
    hash: (name: string) => table.specificType(name, dialect === 'postgres' ? 'varchar(64)' : 'char(64)'),
    time: (name: string) => {
      if (dialect === 'mysql') return table.specificType(name, 'datetime(3)');
      if (dialect === 'postgres') return table.timestamp(name, { useTz: true, precision: 3 });
      return table.bigInteger(name);
    },
    /** Role lists, comma-separated in their original order. */
    roles: () => table.string('roles', 255).notNullable(),
  };
}

async function createTable(
  knex: Knex,
  name: string,
  build: (table: Knex.CreateTableBuilder, columns: Columns) => void,
): Promise<void> {
  const dialect = dialectOf(knex);
  await knex.schema.createTable(name, (table) => {
    if (dialect === 'mysql') {
      table.engine('InnoDB');
      table.charset('utf8mb4');
      // Binary collation: ids and hashes are case-sensitive and comparisons match SQLite/PostgreSQL.
      table.collate('utf8mb4_bin');
    }
    build(table, columnsFor(dialect, table));
  });
}

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'users', (t, c) => {
    c.id().primary();
    t.string('name', 255).notNullable();
    t.string('password_hash', 255).nullable();
    c.roles();
    c.time('created_at').notNullable();
    c.time('updated_at').notNullable();
    c.time('deleted_at').nullable();
    c.time('banned_at').nullable();
  });

  await createTable(knex, 'login_emails', (t, c) => {
    t.string('address', 254).primary();
    c.id('user_id').notNullable();
    c.time('verified_at').nullable();
    c.time('created_at').notNullable();
    t.index(['user_id', 'created_at'], 'login_emails_user_id_index');
    t.foreign('user_id', 'login_emails_user_id_foreign').references('users.id').onDelete('CASCADE');
  });

  await createTable(knex, 'verification_codes', (t, c) => {
    c.id().primary();
    t.string('purpose', 32).notNullable();
    t.string('address', 254).notNullable();
    t.string('state', 128).nullable();
    c.hash('code_hash').notNullable();
    t.integer('attempts').notNullable();
    c.time('created_at').notNullable();
    c.time('expires_at').notNullable();
    c.time('consumed_at').nullable();
    c.time('invalidated_at').nullable();
    t.unique(['code_hash'], { indexName: 'verification_codes_code_hash_unique' });
    t.index(['purpose', 'address'], 'verification_codes_purpose_address_index');
    t.index(['state'], 'verification_codes_state_index');
    t.index(['address', 'created_at'], 'verification_codes_address_created_at_index');
    t.index(['expires_at'], 'verification_codes_expires_at_index');
  });

  await createTable(knex, 'organizations', (t, c) => {
    c.id().primary();
    t.string('name', 255).notNullable();
    c.time('created_at').notNullable();
    c.time('updated_at').notNullable();
  });

  await createTable(knex, 'memberships', (t, c) => {
    c.id().primary();
    c.id('organization_id').notNullable();
    c.id('user_id').notNullable();
    t.string('role', 16).notNullable();
    c.time('created_at').notNullable();
    t.unique(['organization_id', 'user_id'], { indexName: 'memberships_organization_id_user_id_unique' });
    t.index(['user_id'], 'memberships_user_id_index');
    t.foreign('organization_id', 'memberships_organization_id_foreign')
      .references('organizations.id')
      .onDelete('CASCADE');
    t.foreign('user_id', 'memberships_user_id_foreign').references('users.id').onDelete('CASCADE');
  });

  await createTable(knex, 'clients', (t, c) => {
    c.id().primary();
    c.id('organization_id').notNullable();
    t.string('name', 255).notNullable();
    c.hash('secret_hash').notNullable();
    c.roles();
    t.integer('reqs_per_sec').notNullable();
    c.time('created_at').notNullable();
    c.time('updated_at').notNullable();
    c.time('deleted_at').nullable();
    c.time('last_used_at').nullable();
    t.unique(['secret_hash'], { indexName: 'clients_secret_hash_unique' });
    t.index(['organization_id', 'created_at'], 'clients_organization_id_index');
    t.foreign('organization_id', 'clients_organization_id_foreign').references('organizations.id').onDelete('CASCADE');
  });

  await createTable(knex, 'access_restrictions', (t, c) => {
    c.id().primary();
    c.id('client_id').notNullable();
    t.string('type', 16).notNullable();
    t.string('value', 255).notNullable();
    c.time('created_at').notNullable();
    t.index(['client_id', 'created_at'], 'access_restrictions_client_id_index');
    t.foreign('client_id', 'access_restrictions_client_id_foreign').references('clients.id').onDelete('CASCADE');
  });

  await createTable(knex, 'sessions', (t, c) => {
    c.id().primary();
    c.id('user_id').notNullable();
    c.id('client_id').nullable();
    t.string('ip', 64).nullable();
    t.text('user_agent').nullable();
    c.time('created_at').notNullable();
    c.time('last_used_at').notNullable();
    c.time('idle_expires_at').notNullable();
    c.time('expires_at').notNullable();
    c.time('revoked_at').nullable();
    t.index(['user_id', 'created_at'], 'sessions_user_id_index');
    t.index(['client_id'], 'sessions_client_id_index');
    t.index(['expires_at'], 'sessions_expires_at_index');
    t.foreign('user_id', 'sessions_user_id_foreign').references('users.id').onDelete('CASCADE');
    t.foreign('client_id', 'sessions_client_id_foreign').references('clients.id').onDelete('SET NULL');
  });

  await createTable(knex, 'refresh_tokens', (t, c) => {
    c.hash('token_hash').primary();
    c.id('session_id').notNullable();
    c.time('created_at').notNullable();
    c.time('expires_at').notNullable();
    c.time('consumed_at').nullable();
    t.index(['session_id'], 'refresh_tokens_session_id_index');
    t.index(['expires_at'], 'refresh_tokens_expires_at_index');
    t.foreign('session_id', 'refresh_tokens_session_id_foreign').references('sessions.id').onDelete('CASCADE');
  });

  await createTable(knex, 'rate_limits', (t, c) => {
    t.string('limit_key', 512).primary();
    t.integer('hits').notNullable();
    c.time('reset_at').notNullable();
    t.index(['reset_at'], 'rate_limits_reset_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES_CHILD_FIRST) await knex.schema.dropTableIfExists(table);
}
