import type { Knex } from 'knex';

/** The entities an application can extend with fields of its own (`createAccounts({ fields })`). */
const EXTENSIBLE_TABLES = ['users', 'organizations', 'memberships', 'clients'] as const;

/**
 * Custom fields: one JSON object per user, organization, membership and client, as text on every
 * dialect: it is written and read whole, never queried into, and text keeps the JSON exactly as
 * written (PostgreSQL's `jsonb` would reorder its keys). Nullable, so the migration rewrites no
 * existing row: a null reads as `{}`.
 */
export async function up(knex: Knex): Promise<void> {
  for (const name of EXTENSIBLE_TABLES) {
    await knex.schema.alterTable(name, (table) => {
      table.text('fields').nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [...EXTENSIBLE_TABLES].reverse()) {
    await knex.schema.alterTable(name, (table) => {
      table.dropColumn('fields');
    });
  }
}
