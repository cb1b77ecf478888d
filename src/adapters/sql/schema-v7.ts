import type { Knex } from 'knex';
import { dialectOf } from './dialect';

/**
 * The transactional outbox (docs/events.md): one row per security event, written in the transaction
 * of its change and delivered afterwards by a relay. `seq` (the primary key, so InnoDB keeps rows in
 * append order) is the delivery and listing order. Indexes serve the three reads:
 * - the claim: waiting events in order (`delivered_at`, `dead_at` null, then `seq`);
 * - the per-subject block: an earlier waiting event of the same `subject_key`;
 * - the event routes: an organization's or a user's events by `seq`.
 * The payload is JSON: `jsonb` on PostgreSQL, text elsewhere (the adapter parses it).
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  const time = (table: Knex.CreateTableBuilder, column: string) => {
    if (dialect === 'mysql') return table.specificType(column, 'datetime(3)');
    if (dialect === 'postgres') return table.timestamp(column, { useTz: true, precision: 3 });
    return table.bigInteger(column);
  };
  await knex.schema.createTable('events', (table) => {
    if (dialect === 'mysql') {
      table.engine('InnoDB');
      table.charset('utf8mb4');
      table.collate('utf8mb4_bin');
    }
    table.bigIncrements('seq');
    table.string('id', 64).notNullable();
    table.string('type', 64).notNullable();
    time(table, 'at').notNullable();
    table.string('actor_user_id', 64).nullable();
    table.string('actor_client_id', 64).nullable();
    table.string('actor_ip', 64).nullable();
    table.string('user_id', 64).nullable();
    table.string('organization_id', 64).nullable();
    table.string('client_id', 64).nullable();
    table.string('session_id', 64).nullable();
    table.string('subject_key', 80).nullable();
    if (dialect === 'postgres') table.jsonb('payload').notNullable();
    else table.text('payload').notNullable();
    table.integer('attempts').notNullable();
    time(table, 'next_attempt_at').notNullable();
    time(table, 'delivered_at').nullable();
    time(table, 'dead_at').nullable();
    table.string('last_error', 1000).nullable();
    table.string('lease_owner', 128).nullable();
    time(table, 'lease_until').nullable();
    table.unique(['id'], { indexName: 'events_id_unique' });
    table.index(['delivered_at', 'dead_at', 'seq'], 'events_waiting_index');
    table.index(['subject_key', 'seq'], 'events_subject_key_seq_index');
    table.index(['organization_id', 'seq'], 'events_organization_id_seq_index');
    table.index(['user_id', 'seq'], 'events_user_id_seq_index');
    table.index(['dead_at'], 'events_dead_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('events');
}
