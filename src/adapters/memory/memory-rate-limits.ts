import type { RateLimitState, RateLimitStore } from '../../ports/rate-limits';

interface Window {
  count: number;
  resetAtMs: number;
}

/** Sweeping no more often than this keeps the cost per hit constant however many keys are held. */
const MIN_HITS_BETWEEN_SWEEPS = 256;

/**
 * Rate-limit counters in process memory: limits hold for one process only (use the SQL store when an
 * application runs on several machines). Keys whose window has ended are dropped as hits come in, so
 * memory stays bounded by the keys seen within one window.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, Window>();
  #hitsSinceSweep = 0;

  async hit(key: string, windowMs: number, now: Date, by = 1): Promise<RateLimitState> {
    const nowMs = now.getTime();
    this.#sweepNowAndThen(nowMs);
    const current = this.#windows.get(key);
    const window =
      current && nowMs < current.resetAtMs
        ? { count: Math.max(0, current.count + by), resetAtMs: current.resetAtMs }
        : { count: Math.max(0, by), resetAtMs: nowMs + windowMs };
    this.#windows.set(key, window);
    return { count: window.count, resetAt: new Date(window.resetAtMs) };
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  /** How many keys are held: lets tests check that ended windows are dropped. */
  get size(): number {
    return this.#windows.size;
  }

  #sweepNowAndThen(nowMs: number): void {
    this.#hitsSinceSweep++;
    if (this.#hitsSinceSweep < Math.max(MIN_HITS_BETWEEN_SWEEPS, this.#windows.size)) return;
    this.#hitsSinceSweep = 0;
    for (const [key, window] of this.#windows) {
      if (window.resetAtMs <= nowMs) this.#windows.delete(key);
    }
  }
}
