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
 * Records a refused login in the event trail, in its own statement: it changes nothing else.
 *
 * A refusal by a limit (`rate_limited`) is written once per method, IP and failure window: past a
 * limit every request of an attacker is refused, and each one would otherwise add a row, so the
 * table would grow at the attacker's request rate. The refusals that are not written are still
 * counted by the limits that refused them. Every other refusal costs the attacker one of the guesses
 * its own limits allow, so those rows are bounded already.
 */
export async function recordLoginFailure(deps: Deps, failure: LoginFailure, request: RequestInfo): Promise<void> {
  const { lib } = deps;
  if (failure.reason === 'rate_limited') {
    const requester = ipLimitKey(lib.config, request.ip) ?? 'unknown';
    const key = `refusal-event:${failure.method}:ip:${requester}`;
    const written = await rateLimited(deps, { key, limit: 1, windowMs: lib.config.loginFailureWindowMs });
    if (written !== null) return;
  }
  await publishEvents(deps, actorOf(undefined, request), [
    { type: 'login.failed', at: lib.now(), ...failure, ip: request.ip },
  ]);
}
