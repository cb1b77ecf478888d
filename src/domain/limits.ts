import type { Result } from 'ts-results';
import type { RateLimitStore } from '../ports/rate-limits';
import type { Deps } from './context';
import { type AccountsError, fail } from './errors';

/**
 * Counts one attempt against a limit (SPEC §7) and answers `RATE_LIMITED` (with the seconds until the
 * window ends) once the count passes `limit`. The attempt is counted before the guarded work runs, so
 * parallel requests cannot all slip under the limit at once.
 */
export async function rateLimited(
  deps: Deps,
  limit: { key: string; limit: number; windowMs: number },
  store: RateLimitStore = deps.rateLimits,
): Promise<Result<never, AccountsError> | null> {
  const now = deps.lib.now();
  const state = await store.hit(limit.key, limit.windowMs, now);
  if (state.count <= limit.limit) return null;
  const retryAfterSeconds = Math.max(1, Math.ceil((state.resetAt.getTime() - now.getTime()) / 1000));
  return fail('RATE_LIMITED', { retryAfterSeconds });
}
