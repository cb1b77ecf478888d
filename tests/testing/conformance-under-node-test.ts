/**
 * Run by node:test, not Jest (tests/testing/node-test-runner.test.ts spawns
 * `node --test --import tsx` on it): the conformance suites on the memory adapters, declared with
 * node:test's own functions, as a user without Jest would.
 */
import { after, before, describe, it } from 'node:test';
import { MemoryIo, MemoryRateLimitStore } from '../../src/adapters/memory';
import { runIoConformanceTests, runRateLimitStoreConformanceTests } from '../../src/testing';

const test = { describe, it, before, after };

runIoConformanceTests('MemoryIo under node:test', { create: async () => new MemoryIo(), test, timeoutMs: 30_000 });
runRateLimitStoreConformanceTests('MemoryRateLimitStore under node:test', {
  create: async () => new MemoryRateLimitStore(),
  test,
  timeoutMs: 30_000,
});
