import type { Knex } from 'knex';
import { dialectOf } from './dialect';

/**
 * The security review's columns (docs/security-rules.md §3): a per-user credential version that every session
 * remembers, so a change of credentials kills every session opened under the old ones (a login in
 * flight included); and how and when each session's login was authenticated (`amr`, `auth_time`),
 * kept across refreshes. Existing sessions count as password logins at their creation time.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  await knex.schema.alterTable('users', (table) => {
    table.integer('credential_version').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('sessions', (table) => {
    table.integer('credential_version').notNullable().defaultTo(0);
    table.string('auth_method', 16).notNullable().defaultTo('password');
    // Null for sessions opened before this migration: read as their `created_at`.
    if (dialect === 'mysql') table.specificType('authenticated_at', 'datetime(3)').nullable();
    else if (dialect === 'postgres') table.timestamp('authenticated_at', { useTz: true, precision: 3 }).nullable();
    else table.bigInteger('authenticated_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (table) => {
    table.dropColumn('authenticated_at');
    table.dropColumn('auth_method');
    table.dropColumn('credential_version');
  });
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('credential_version');
  });
}
