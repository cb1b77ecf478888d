import { MemoryRateLimitStore } from '../../../src/adapters/memory';
import { fixtureTime, MINUTE_MS, runRateLimitStoreConformanceTests } from '../../../src/testing';

runRateLimitStoreConformanceTests('memory', { create: async () => new MemoryRateLimitStore() });

describe('MemoryRateLimitStore', () => {
  it('drops keys whose window has ended as later hits come in', async () => {
    const store = new MemoryRateLimitStore();
    const windowMs = MINUTE_MS;
    for (let index = 0; index < 1000; index++) await store.hit(`early:${index}`, windowMs, fixtureTime());
    expect(store.size).toBe(1000);
    for (let index = 0; index < 2000; index++) await store.hit('late', windowMs, fixtureTime(windowMs));
    expect(store.size).toBe(1);
  });

  it('keeps keys whose window is still running when it sweeps', async () => {
    const store = new MemoryRateLimitStore();
    await store.hit('long', 60 * MINUTE_MS, fixtureTime(), 3);
    for (let index = 0; index < 2000; index++) await store.hit(`short:${index}`, 1, fixtureTime(index));
    expect((await store.hit('long', 60 * MINUTE_MS, fixtureTime(MINUTE_MS))).count).toBe(4);
  });
});
