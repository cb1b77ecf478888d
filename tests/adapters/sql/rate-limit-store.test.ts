import { SqlRateLimitStore } from '../../../src/adapters/sql';
import { fixtureTime, MINUTE_MS, uniqueSuffix } from '../../../src/testing';
import { describeEachDb } from '../../support/databases';

describeEachDb('SqlRateLimitStore', (database) => {
  it('purges the counters whose window has ended, and keeps the running ones', async () => {
    const store = new SqlRateLimitStore(database().knex);
    const ended = `purge:${uniqueSuffix()}`;
    const running = `purge:${uniqueSuffix()}`;
    await store.hit(ended, MINUTE_MS, fixtureTime(-2 * MINUTE_MS), 3);
    await store.hit(running, MINUTE_MS, fixtureTime(), 3);
    expect(await store.purgeExpired(fixtureTime())).toBeGreaterThanOrEqual(1);
    const keys = await database().knex('rate_limits').whereIn('limit_key', [ended, running]).pluck('limit_key');
    expect(keys).toEqual([running]);
    expect((await store.hit(running, MINUTE_MS, fixtureTime(1))).count).toBe(4);
  });
});
