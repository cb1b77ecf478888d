import assert from 'node:assert/strict';
import type { RateLimitStore } from '../ports/rate-limits';
import { fixtureTime, MINUTE_MS, uniqueSuffix } from './fixtures';
import { assertSame } from './io-conformance/assert-same';
import { suiteRunner, type TestFunctions } from './test-functions';

/** How the rate-limit conformance suite gets the store under test, disposes of it, and declares its tests. */
export interface RateLimitStoreConformanceSetup {
  /** Called once, before the suite's tests; every test uses the store it returns. */
  create: () => Promise<RateLimitStore>;
  /** Called once after the suite's tests. */
  destroy?: (store: RateLimitStore) => Promise<void>;
  /**
   * The runner's test functions: `{ describe, it, before, after }` from `node:test`, or
   * `{ describe, it, beforeAll, afterAll }` from `vitest` or Jest. Optional under Jest and
   * `vitest --globals`, whose global functions are used when it is left out.
   */
  test?: TestFunctions;
  /** A timeout for each test and hook, in milliseconds; by default the runner's own. */
  timeoutMs?: number;
}

const WINDOW_MS = 15 * MINUTE_MS;
const START = fixtureTime();
const afterStart = (offsetMs: number): Date => fixtureTime(offsetMs);
const WINDOW_END = afterStart(WINDOW_MS);

/**
 * Declares tests checking a `RateLimitStore`: fixed windows starting at the first hit, counts,
 * refunds that never go below zero, reset, a new window at or after `resetAt`, and atomic parallel
 * hits. Every test uses fresh random keys, so the suite can run again and again against one database.
 * Like `runIoConformanceTests`, it asserts with `node:assert/strict` and runs under Jest, Vitest and
 * node:test: pass `setup.test`, or leave it out to use Jest's (or `vitest --globals`') global functions.
 *
 * @example Jest (globals)
 * ```ts
 * import { runRateLimitStoreConformanceTests } from 'accounts-module/testing';
 * runRateLimitStoreConformanceTests('redis', { create: async () => new RedisRateLimitStore(client) });
 * ```
 *
 * @example node:test
 * ```ts
 * import { after, before, describe, it } from 'node:test';
 * import { runRateLimitStoreConformanceTests } from 'accounts-module/testing';
 * runRateLimitStoreConformanceTests('redis', {
 *   create: async () => new RedisRateLimitStore(client),
 *   test: { describe, it, before, after },
 * });
 * ```
 */
export function runRateLimitStoreConformanceTests(name: string, setup: RateLimitStoreConformanceSetup): void {
  const { describe, it, beforeAll, afterAll } = suiteRunner(
    'runRateLimitStoreConformanceTests',
    setup.test,
    setup.timeoutMs,
  );
  describe(`RateLimitStore conformance: ${name}`, () => {
    let store: RateLimitStore | undefined;
    const getStore = (): RateLimitStore => {
      if (!store) throw new Error('the store under test was not created (see the failure of the before-all hook)');
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
      assertSame(
        await getStore().hit(newKey(), WINDOW_MS, START),
        { count: 1, resetAt: WINDOW_END },
        'the first hit of a key did not start a window of count 1 ending windowMs after it',
      );
    });

    it('counts hits within the window and keeps its end', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START);
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(MINUTE_MS)),
        { count: 2, resetAt: WINDOW_END },
        'a second hit within the window did not count 2, or moved the end of the window',
      );
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(WINDOW_MS - 1), 3),
        { count: 5, resetAt: WINDOW_END },
        'a hit of 3 just before the end of the window did not add 3, or moved the end of the window',
      );
    });

    it('refunds hits without going below zero', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 2);
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(1), -1),
        { count: 1, resetAt: WINDOW_END },
        'a refund of 1 did not take 1 off the count',
      );
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(2), -5),
        { count: 0, resetAt: WINDOW_END },
        'a refund larger than the count did not stop at 0',
      );
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(3)),
        { count: 1, resetAt: WINDOW_END },
        'a hit after a refund down to 0 did not count 1 in the same window',
      );
    });

    it('answers a refund on an unknown key with a count of zero', async () => {
      assert.strictEqual(
        (await getStore().hit(newKey(), WINDOW_MS, START, -1)).count,
        0,
        'a refund on an unknown key did not answer a count of 0',
      );
    });

    it('starts a new window with a hit at the end of the previous one', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 7);
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, WINDOW_END),
        { count: 1, resetAt: afterStart(2 * WINDOW_MS) },
        'a hit at resetAt did not start a new window',
      );
    });

    it('starts a new window with a hit long after the previous one ended', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 7);
      const later = afterStart(10 * WINDOW_MS + 5);
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, later, 2),
        { count: 2, resetAt: new Date(later.getTime() + WINDOW_MS) },
        'a hit long after the window ended did not start a new window at that hit',
      );
    });

    it('forgets a key on reset, so its next hit starts a new window', async () => {
      const rateLimits = getStore();
      const key = newKey();
      await rateLimits.hit(key, WINDOW_MS, START, 9);
      await rateLimits.reset(key);
      assertSame(
        await rateLimits.hit(key, WINDOW_MS, afterStart(MINUTE_MS)),
        { count: 1, resetAt: afterStart(MINUTE_MS + WINDOW_MS) },
        'the first hit after reset did not start a new window',
      );
      assert.strictEqual(
        await rateLimits.reset(newKey()),
        undefined,
        'reset of an unknown key did not resolve quietly',
      );
    });

    it('keeps separate counts for separate keys', async () => {
      const rateLimits = getStore();
      const first = newKey();
      const second = newKey();
      await rateLimits.hit(first, WINDOW_MS, START, 4);
      assert.strictEqual(
        (await rateLimits.hit(second, WINDOW_MS, START)).count,
        1,
        'the first hit of a key counted the hits of another key',
      );
      await rateLimits.reset(second);
      assert.strictEqual(
        (await rateLimits.hit(first, WINDOW_MS, START)).count,
        5,
        'reset of one key changed the count of another',
      );
    });

    it('counts 20 parallel hits exactly, each answered with its own count', async () => {
      const rateLimits = getStore();
      const key = newKey();
      const states = await Promise.all(Array.from({ length: 20 }, () => rateLimits.hit(key, WINDOW_MS, START)));
      const counts = states.map((state) => state.count).sort((a, b) => a - b);
      assertSame(
        counts,
        Array.from({ length: 20 }, (_, index) => index + 1),
        '20 parallel hits were not answered with the counts 1 to 20, each once: hits were lost or counted twice',
      );
      assert.ok(
        states.every((state) => state.resetAt.getTime() === WINDOW_END.getTime()),
        '20 parallel hits of a new key were not all answered with the end of one window',
      );
    });
  });
}
