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
}

/** The usual entry point: the accounts services over your `Io` and `Lib`. */
export function createAccounts(options: CreateAccountsOptions): Accounts {
  return new Accounts({
    io: options.io,
    lib: options.lib,
    rateLimits: options.rateLimits ?? new MemoryRateLimitStore(),
  });
}
