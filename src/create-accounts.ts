import { MemoryRateLimitStore } from './adapters/memory';
import { Accounts } from './domain/accounts';
import type { Io } from './ports/io';
import type { Lib } from './ports/lib';
import type { RateLimitStore } from './ports/rate-limits';

export interface CreateAccountsOptions {
  io: Io;
  lib: Lib;
  /**
   * Where brute-force counters live. Defaults to one process's memory; pass a `SqlRateLimitStore`
   * when the application runs on several instances, so the limits hold across them.
   */
  rateLimits?: RateLimitStore;
  /**
   * Where the per-client `reqsPerSec` counters live; default: `rateLimits`. They are hit on every
   * request a key authenticates, so a shared SQL store costs statements on the hot path (one on
   * PostgreSQL, SQLite and MariaDB, two on MySQL; never a transaction). Pass a `MemoryRateLimitStore` to
   * throttle per instance for free, or a store of your own (e.g. Redis) to share the counters cheaply.
   */
  clientRateLimits?: RateLimitStore;
}

/** The usual entry point: the accounts services over your `Io` and `Lib`. */
export function createAccounts(options: CreateAccountsOptions): Accounts {
  return new Accounts({
    io: options.io,
    lib: options.lib,
    rateLimits: options.rateLimits ?? new MemoryRateLimitStore(),
    clientRateLimits: options.clientRateLimits,
  });
}
