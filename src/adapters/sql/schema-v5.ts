import type { Knex } from 'knex';

/**
 * An organization may require two-factor authentication of its members (docs/security-rules.md
 * §4a, "Organizations that require two-factor"): one flag on the organization, off for every
 * organization that exists when the migration runs, so nobody is locked out by an upgrade.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (table) => {
    table.boolean('require_mfa').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (table) => {
    table.dropColumn('require_mfa');
  });
}
