import type { Knex } from 'knex';

/**
 * Cursor pagination of list routes (docs/http.md, "Pagination") reads `where organization_id = ? and
 * (created_at, id) > (?, ?) order by created_at, id limit ?`. Memberships had no index beginning
 * with the organization and its creation time, so a page of a large organization sorted every
 * membership it has; this one makes each page a range read. Sessions and clients already have
 * `(user_id | organization_id, created_at)` indexes (InnoDB appends the primary key `id` to them;
 * elsewhere ties within a millisecond are few), and the other lists are short.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('memberships', (table) => {
    table.index(['organization_id', 'created_at', 'id'], 'memberships_organization_id_created_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('memberships', (table) => {
    table.dropIndex(['organization_id', 'created_at', 'id'], 'memberships_organization_id_created_at_index');
  });
}
