import type { LoginFailureReason } from '../ports/events';
import type { Deps, RequestInfo } from './context';
import { actorOf, publishEvents } from './event-log';
import { ipLimitKey, rateLimited } from './limits';

/** What a refused login says about itself. */
export interface LoginFailure {
  method: 'password' | 'code' | 'mfa';
  reason: LoginFailureReason;
  /** The address tried, when the method had one. */
  email: string | null;
}

/**
 * Refusals that cost the requester no guess: past a limit every request is refused; a right password
 * of a banned or unverified account (or one whose credentials changed meanwhile) gave its guess back;
 * a right code whose address was released proved it. Repeated, each would add a row at the
 * requester's rate.
 */
const FREE_REFUSALS: ReadonlySet<LoginFailureReason> = new Set<LoginFailureReason>([
  'rate_limited',
  'banned',
  'email_not_verified',
  'credentials_changed',
  'address_released',
]);

/**
 * Records a refused login in the event trail, in its own statement: it changes nothing else.
 *
 * A refusal that costs the requester no guess (`FREE_REFUSALS`) is written once per method, reason,
 * IP and failure window, so the table cannot grow at an attacker's request rate; the limits still
 * count what they count. Every other refusal costs one of the guesses the limits allow, so those
 * rows are bounded already.
 */
export async function recordLoginFailure(deps: Deps, failure: LoginFailure, request: RequestInfo): Promise<void> {
  const { lib } = deps;
  if (FREE_REFUSALS.has(failure.reason)) {
    const requester = ipLimitKey(lib.config, request.ip) ?? 'unknown';
    const key = `refusal-event:${failure.method}:${failure.reason}:ip:${requester}`;
    const written = await rateLimited(deps, { key, limit: 1, windowMs: lib.config.loginFailureWindowMs });
    if (written !== null) return;
  }
  await publishEvents(deps, actorOf(undefined, request), [
    { type: 'login.failed', at: lib.now(), ...failure, ip: request.ip },
  ]);
}
