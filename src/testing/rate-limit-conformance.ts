/// <reference types="jest" />
import type { RateLimitStore } from '../ports/rate-limits';
import { fixtureTime, MINUTE_MS, uniqueSuffix } from './fixtures';

/** How the rate-limit conformance suite gets the store under test, and disposes of it. */
export interface RateLimitStoreConformanceSetup {
  /** Called once, before the suite's tests; every test uses the store it returns. */
  create: () => Promise<RateLimitStore>;
  /** Called once after the suite's tests. */
  destroy?: (store: RateLimitStore) => Promise<void>;
}

const WINDOW_MS = 15 * MINUTE_MS;
const START = fixtureTime();
const afterStart = (offsetMs: number): Date => fixtureTime(offsetMs);
const WINDOW_END = afterStart(WINDOW_MS);

/**
 * Declares Jest tests checking a `RateLimitStore`: fixed windows starting at the first hit, counts,
 * refunds that never go below zero, reset, a new window at or after `resetAt`, and atomic parallel
 * hits. Every test uses fresh random keys, so the suite can run again and again against one database.
 */
export function runRateLimitStoreConformanceTests(name: string, setup: RateLimitStoreConformanceSetup): void {
  describe(`RateLimitStore conformance: ${name}`, () => {
    let store: RateLimitStore | undefined;
    const getStore = (): RateLimitStore => {
      if (!store) throw new Error('the store under test was not created (see the failure of beforeAll)');
      return store;
    };
    const newKey = (): string => `conformance:${uniqueSuffix()}`;

    beforeAll(async () => {
      store = await setup.create();
    });

    afterAll(async () => {
      if (store && setup.destroy) await setup.destroy(store);
    });

    it('starts a window at the first hit of a key', async () => {
      expect(await getStore().hit(newKey(), WINDOW_MS, START)).toStrictEqual({ count: 1, resetAt: WINDOW_END });
    });

    it('counts hits within the window and keeps its end', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START);
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(MINUTE_MS))).toStrictEqual({
        count: 2,
        resetAt: WINDOW_END,
      });
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(WINDOW_MS - 1), 3)).toStrictEqual({
        count: 5,
        resetAt: WINDOW_END,
      });
    });

    it('refunds hits without going below zero', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 2);
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(1), -1)).toStrictEqual({ count: 1, resetAt: WINDOW_END });
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(2), -5)).toStrictEqual({ count: 0, resetAt: WINDOW_END });
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(3))).toStrictEqual({ count: 1, resetAt: WINDOW_END });
    });

    it('answers a refund on an unknown key with a count of zero', async () => {
      expect((await getStore().hit(newKey(), WINDOW_MS, START, -1)).count).toBe(0);
    });

    it('starts a new window with a hit at the end of the previous one', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 7);
      expect(await rateLimits.hit(key, WINDOW_MS, WINDOW_END)).toStrictEqual({
        count: 1,
        resetAt: afterStart(2 * WINDOW_MS),
      });
    });

    it('starts a new window with a hit long after the previous one ended', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 7);
      const later = afterStart(10 * WINDOW_MS + 5);
      expect(await rateLimits.hit(key, WINDOW_MS, later, 2)).toStrictEqual({
        count: 2,
        resetAt: new Date(later.getTime() + WINDOW_MS),
      });
    });

    it('forgets a key on reset, so its next hit starts a new window', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 9);
      await rateLimits.reset(key);
      expect(await rateLimits.hit(key, WINDOW_MS, afterStart(MINUTE_MS))).toStrictEqual({
        count: 1,
        resetAt: afterStart(MINUTE_MS + WINDOW_MS),
      });
      await expect(rateLimits.reset(newKey())).resolves.toBeUndefined();
    });

    it('keeps separate counts for separate keys', async () => {
      const rateLimits = getStore();
      const first = newKey();
      const second = newKey();
      await rateLimits.hit(first, WINDOW_MS, START, 4);
      expect((await rateLimits.hit(second, WINDOW_MS, START)).count).toBe(1);
      await rateLimits.reset(second);
      expect((await rateLimits.hit(first, WINDOW_MS, START)).count).toBe(5);
    });

    it('counts 20 parallel hits exactly, each answered with its own count', async () => {
      const rateLimits = getStore();
      const key = newKey();
      const states = await Promise.all(Array.from({ length: 20 }, () => rateLimits.hit(key, WINDOW_MS, START)));
      const counts = states.map((state) => state.count).sort((a, b) => a - b);
      expect(counts).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      expect(states.every((state) => state.resetAt.getTime() === WINDOW_END.getTime())).toBe(true);
    });
  });
}
