/**
 * Counters behind the brute-force limits (docs/security-rules.md §7). Fixed windows: a key's window starts at its
 * first hit and lasts `windowMs`; a hit after the window ended starts a new one at 1.
 *
 * The in-memory store holds for one process; the SQL store shares counters between every instance
 * of an application, so limits hold when it runs on many machines.
 */
export interface RateLimitStore {
  /**
   * Atomically adds `by` (default 1; negative to refund an attempt) to the key's counter in its
   * current window and returns the state after the change.
   */
  hit(key: string, windowMs: number, now: Date, by?: number): Promise<RateLimitState>;
  /** Forgets a key (a successful login resets its identifier's counter). */
  reset(key: string): Promise<void>;
}

export interface RateLimitState {
  count: number;
  /** When the current window ends and the count starts again from zero. */
  resetAt: Date;
}
