import type { Result } from 'ts-results';
import type { AccountsConfig } from '../ports/lib';
import type { RateLimitStore } from '../ports/rate-limits';
import type { Deps } from './context';
import { type AccountsError, fail } from './errors';
import { limitNetwork } from './ip-addresses';

/** One limit: at most `limit` counted attempts per `windowMs` under `key`. */
export interface Limit {
  key: string;
  limit: number;
  windowMs: number;
  /**
   * What `forgive` does once the request proved it was no guess: `refund` (the default) gives its own
   * attempt back, `reset` clears the counter (docs/security-rules.md §7: a success resets the identifier's counter).
   */
  onSuccess?: 'refund' | 'reset';
}

/**
 * Counts one attempt against a limit (docs/security-rules.md §7) and answers `RATE_LIMITED` (with the seconds until the
 * window ends) once the count passes `limit`. The attempt is counted before the guarded work runs, so
 * parallel requests cannot all slip under the limit at once.
 */
export async function rateLimited(
  deps: Deps,
  limit: Limit,
  store: RateLimitStore = deps.rateLimits,
): Promise<Result<never, AccountsError> | null> {
  const now = deps.lib.now();
  const state = await store.hit(limit.key, limit.windowMs, now);
  if (state.count <= limit.limit) return null;
  // Never more than one window: a concurrent hit that read its clock a moment later may have opened
  // the window the store answers with.
  const waitMs = Math.min(limit.windowMs, state.resetAt.getTime() - now.getTime());
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return fail('RATE_LIMITED', { retryAfterSeconds });
}

/**
 * Counts one attempt against each limit, in order, and stops at the first one passed: its
 * `RATE_LIMITED` is the answer. The limits counted before it keep their count, which is what a
 * refused attempt costs; those after it are not touched.
 */
export async function firstLimitPassed(
  deps: Deps,
  limits: ReadonlyArray<Limit>,
): Promise<Result<never, AccountsError> | null> {
  for (const limit of limits) {
    const limited = await rateLimited(deps, limit);
    if (limited) return limited;
  }
  return null;
}

/**
 * Undoes what a request counted against each limit once it proved it was no guess (a right password,
 * a right code), so that the counters hold failures only and an office behind one address is never
 * locked out by its own successes. Each request gives back only its own attempt (or resets a counter
 * keyed by what it just proved), never other requests' failures.
 */
export async function forgive(deps: Deps, limits: ReadonlyArray<Limit>): Promise<void> {
  const now = deps.lib.now();
  for (const limit of limits) {
    if (limit.onSuccess === 'reset') await deps.rateLimits.reset(limit.key);
    else await deps.rateLimits.hit(limit.key, limit.windowMs, now, -1);
  }
}

/**
 * The limits a password check counts against (docs/security-rules.md §7), tightest first: failures per identifier and
 * IP, a higher ceiling per identifier from anywhere, and failures per IP. `firstLimitPassed` stops at
 * the first one passed, so an attacker stuck at the tight limit from one place adds nothing to the
 * identifier's ceiling: failures from one IP cannot lock the owner out elsewhere (ASVS 6.1.1).
 * `identifier` is the account the password is checked for (`user:<id>`; `email:<address>` for an
 * address no account holds), so logins through any of its addresses and the current password asked
 * by a change share one budget.
 */
export function passwordGuessLimits(config: AccountsConfig, identifier: string, ip: string | null): Limit[] {
  const windowMs = config.loginFailureWindowMs;
  return [
    ...perIdentifierAndIpLimit(
      config,
      'password-guess',
      identifier,
      ip,
      config.loginFailuresPerIdentifierAndIp,
      windowMs,
      'reset',
    ),
    { key: `password-guess:${identifier}`, limit: config.loginFailuresPerIdentifier, windowMs },
    ...perIpLimit(config, 'password-guess', ip, config.loginFailuresPerIp, windowMs),
  ];
}

/** Successful logins of one user per window (docs/security-rules.md §7: generous, but bounded). */
export function loginSuccessLimit(config: AccountsConfig, userId: string): Limit {
  return { key: `login-success:${userId}`, limit: config.loginSuccessesPerUser, windowMs: config.loginSuccessWindowMs };
}

/**
 * A limit per (identifier, requesting IP): the tight kind, which lets one place use up only its own
 * share of what the identifier allows (none when `ipLimitsWithoutAddress` skips an unknown address).
 */
export function perIdentifierAndIpLimit(
  config: AccountsConfig,
  name: string,
  identifier: string,
  ip: string | null,
  limit: number,
  windowMs: number,
  onSuccess?: Limit['onSuccess'],
): Limit[] {
  const requester = ipLimitKey(config, ip);
  return requester === null ? [] : [{ key: `${name}:${identifier}|${requester}`, limit, windowMs, onSuccess }];
}

/** Limits counted per requesting IP only (none when `ipLimitsWithoutAddress` skips an unknown address). */
export function perIpLimit(
  config: AccountsConfig,
  name: string,
  ip: string | null,
  limit: number,
  windowMs: number,
): Limit[] {
  const requester = ipLimitKey(config, ip);
  return requester === null ? [] : [{ key: `${name}:ip:${requester}`, limit, windowMs }];
}

/**
 * The part of an address that per-IP limits count (docs/security-rules.md §7): an IPv4 address whole (IPv4-mapped IPv6
 * as IPv4), an IPv6 address by its prefix of `ipv6LimitPrefixLength` bits (one subscriber usually
 * holds a whole /64, so counting single addresses would let them rotate past every limit). A request
 * whose address is unknown counts as `unknown` (`ipLimitsWithoutAddress: 'shared'`) or not at all
 * (`'skip'`, null); so does one whose address does not parse.
 */
export function ipLimitKey(config: AccountsConfig, ip: string | null): string | null {
  const network = ip === null ? null : limitNetwork(ip, config.ipv6LimitPrefixLength);
  if (network === null) return config.ipLimitsWithoutAddress === 'skip' ? null : 'unknown';
  return network;
}
