import type { Knex } from 'knex';
import { SqlIo } from '../../../src/adapters/sql';
import { makeUser } from '../../../src/testing';
import { describeDb } from '../../support/databases';
import { recordQueries } from '../../support/query-recorder';

/**
 * Runs one SqlIo transaction that reads a user, lets another connection rename them (committed), and
 * reads them again: at READ COMMITTED the second read sees the new name, at REPEATABLE READ (InnoDB's
 * default) the old one. What the transaction saw, and the statements it sent.
 */
async function namesSeenInTransaction(pool: Knex, other: Knex) {
  const user = makeUser({ name: 'before' });
  const io = new SqlIo(pool);
  await io.insertUser(user);
  return recordQueries(pool, () =>
    io.transaction(async (tx) => {
      const first = (await tx.findUserById(user.id))?.name;
      await new SqlIo(other).updateUser(user.id, { name: 'after', updatedAt: new Date() });
      const second = (await tx.findUserById(user.id))?.name;
      return [first, second];
    }),
  );
}

describeDb('mariadb', 'READ COMMITTED transactions on MySQL/MariaDB', (database) => {
  it('sets the level once per connection on pools from createKnexFromUrl, not before every BEGIN', async () => {
    const pool = database().connect();
    const other = database().connect();
    try {
      const { result, queries } = await namesSeenInTransaction(pool, other);
      expect(result).toEqual(['before', 'after']);
      expect(queries.filter((query) => /isolation level/i.test(query.sql))).toEqual([]);
    } finally {
      await Promise.all([pool.destroy(), other.destroy()]);
    }
  });

  it('sets it per transaction on a pool whose settings the caller replaced', async () => {
    const pool = database().connect({ knex: { pool: { min: 0, max: 2 } } });
    const other = database().connect();
    try {
      const { result, queries } = await namesSeenInTransaction(pool, other);
      expect(result).toEqual(['before', 'after']);
      expect(queries.filter((query) => /isolation level read committed/i.test(query.sql))).toHaveLength(1);
    } finally {
      await Promise.all([pool.destroy(), other.destroy()]);
    }
  });
});
