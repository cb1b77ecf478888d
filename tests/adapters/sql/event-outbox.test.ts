import type { Knex } from 'knex';
import { SqlEventOutbox } from '../../../src/adapters/sql/event-outbox';
import { at, describeOutboxContract, record } from '../../events/outbox-contract';
import { describeEachDb } from '../../support/databases';

describeEachDb('SqlEventOutbox', (database) => {
  describeOutboxContract(async () => {
    await database().knex('events').del();
    return new SqlEventOutbox(database().knex);
  });

  it('appends within the caller’s transaction: rolled back with it', async () => {
    const { knex } = database();
    await knex('events').del();
    const outbox = new SqlEventOutbox(knex);
    const event = record({ userId: 'u1' });
    await expect(
      knex.transaction(async (trx) => {
        await outbox.within(trx).append([event]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outbox.list({ limit: 10 })).toEqual([]);
    await knex.transaction((trx) => outbox.within(trx).append([event]));
    expect((await outbox.list({ limit: 10 })).map((stored) => stored.id)).toEqual([event.id]);
  });

  it('hands concurrent claims from separate pools disjoint events', async () => {
    const { kind, knex } = database();
    if (kind === 'sqlite') return; // one relay on SQLite (docs/events.md)
    await knex('events').del();
    const pools: Knex[] = [database().connect(), database().connect(), database().connect()];
    try {
      const outbox = new SqlEventOutbox(knex);
      await outbox.append(Array.from({ length: 60 }, (_, index) => record({ userId: `u${index}` })));
      const claims = await Promise.all(
        pools.flatMap((pool, index) =>
          [0, 1].map((round) =>
            new SqlEventOutbox(pool).claim({ owner: `r${index}.${round}`, limit: 8, leaseMs: 60_000, now: at(0) }),
          ),
        ),
      );
      const claimed = claims.flat().map((event) => event.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBeGreaterThan(8);
    } finally {
      await Promise.all(pools.map((pool) => pool.destroy()));
    }
  });
});
