import type { Knex } from 'knex';
import { dialectOf } from './dialect';

/**
 * Organization invitations: one row per (organization, address), replaced by a newer invitation and
 * deleted when accepted, declined or revoked, or with its organization (`ON DELETE CASCADE`). The
 * token is stored only as its SHA-256, unique. Inviters are not foreign keys: users and clients are
 * deleted softly, and the domain checks the inviter again at acceptance.
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  await knex.schema.createTable('invitations', (table) => {
    if (dialect === 'mysql') {
      table.engine('InnoDB');
      table.charset('utf8mb4');
      table.collate('utf8mb4_bin');
    }
    const time = (name: string) => {
      if (dialect === 'mysql') return table.specificType(name, 'datetime(3)');
      if (dialect === 'postgres') return table.timestamp(name, { useTz: true, precision: 3 });
      return table.bigInteger(name);
    };
    table.string('id', 64).primary();
    table.string('organization_id', 64).notNullable();
    table.string('address', 254).notNullable();
    table.string('role', 16).notNullable();
    table.specificType('token_hash', dialect === 'postgres' ? 'varchar(64)' : 'char(64)').notNullable();
    table.string('invited_by_user_id', 64).nullable();
    table.string('invited_by_client_id', 64).nullable();
    time('created_at').notNullable();
    time('expires_at').notNullable();
    table.unique(['token_hash'], { indexName: 'invitations_token_hash_unique' });
    table.unique(['organization_id', 'address'], { indexName: 'invitations_organization_id_address_unique' });
    table.index(['address'], 'invitations_address_index');
    table
      .foreign('organization_id', 'invitations_organization_id_foreign')
      .references('organizations.id')
      .onDelete('CASCADE');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invitations');
}
