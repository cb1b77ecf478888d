import type { Knex } from 'knex';
import { dialectOf } from './dialect';

/**
 * Two-factor authentication (docs/security-rules.md §4a): a user's TOTP factor (its secret sealed
 * with AES-256-GCM under a key the database never holds, and the last accepted time step, which the
 * replay refusal compares against in one conditional UPDATE), the user's recovery codes (only their
 * keyed hashes) and the logins waiting for their second factor (the challenge token only as its
 * SHA-256). Every row goes with its user (`ON DELETE CASCADE`).
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const hash = (table: Knex.CreateTableBuilder, name: string) =>
    table.specificType(name, dialect === 'postgres' ? 'varchar(64)' : 'char(64)').notNullable();
  const create = (
    name: string,
    build: (table: Knex.CreateTableBuilder, time: (column: string) => Knex.ColumnBuilder) => void,
  ) =>
    knex.schema.createTable(name, (table) => {
      if (dialect === 'mysql') {
        table.engine('InnoDB');
        table.charset('utf8mb4');
        table.collate('utf8mb4_bin');
      }
      const time = (column: string) => {
        if (dialect === 'mysql') return table.specificType(column, 'datetime(3)');
        if (dialect === 'postgres') return table.timestamp(column, { useTz: true, precision: 3 });
        return table.bigInteger(column);
      };
      build(table, time);
    });

  await create('totp_factors', (table, time) => {
    table.string('user_id', 64).primary();
    table.string('sealed_secret', 255).notNullable();
    time('created_at').notNullable();
    time('confirmed_at').nullable();
    table.bigInteger('last_used_step').nullable();
    table.foreign('user_id', 'totp_factors_user_id_foreign').references('users.id').onDelete('CASCADE');
  });

  await create('recovery_codes', (table, time) => {
    table.string('user_id', 64).notNullable();
    hash(table, 'code_hash');
    time('created_at').notNullable();
    time('used_at').nullable();
    table.primary(['user_id', 'code_hash']);
    table.foreign('user_id', 'recovery_codes_user_id_foreign').references('users.id').onDelete('CASCADE');
  });

  await create('mfa_challenges', (table, time) => {
    hash(table, 'token_hash').primary();
    table.string('user_id', 64).notNullable();
    table.string('first_factor', 16).notNullable();
    table.integer('credential_version').notNullable();
    table.integer('attempts').notNullable();
    time('created_at').notNullable();
    time('expires_at').notNullable();
    time('consumed_at').nullable();
    table.index(['user_id'], 'mfa_challenges_user_id_index');
    table.index(['expires_at'], 'mfa_challenges_expires_at_index');
    table.foreign('user_id', 'mfa_challenges_user_id_foreign').references('users.id').onDelete('CASCADE');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mfa_challenges');
  await knex.schema.dropTableIfExists('recovery_codes');
  await knex.schema.dropTableIfExists('totp_factors');
}
