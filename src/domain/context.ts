import type { Result } from 'ts-results';
import type { ClientRole, UserRole } from '../ports/entities';
import type { Io } from '../ports/io';
import type { Lib } from '../ports/lib';
import type { RateLimitStore } from '../ports/rate-limits';
import type { PendingDeliveries } from './code-delivery';
import type { FieldSettings } from './custom-fields';
import type { AccountsError } from './errors';
import type { EventDelivery } from './event-log';
import { rollingBackErr } from './rollback';

export { emit } from './emit';

/** What every domain service is built from. */
export interface Deps {
  io: Io;
  lib: Lib;
  rateLimits: RateLimitStore;
  /** The store for per-client `reqsPerSec` counters; default `rateLimits`. */
  clientRateLimits?: RateLimitStore;
  /**
   * Where code emails sent after the answer are tracked (`Accounts` creates one and waits for it in
   * `settled()`). Without it, those emails are sent before the answer.
   */
  pendingDeliveries?: PendingDeliveries;
  /** How events reach `Lib.onEvent`: directly after each commit (default) or through a relay. */
  events?: EventDelivery;
  /** The application's own fields of each entity (`createAccounts({ fields })`). */
  fields?: FieldSettings;
}

/**
 * Who is asking: an authenticated user (from a strictly validated access token), an authenticated
 * client (from an API key), both, or neither. Services check permissions against it (docs/security-rules.md §6).
 */
export interface Caller {
  user?: CallerUser;
  client?: CallerClient;
}

export interface CallerUser {
  id: string;
  roles: UserRole[];
  /** The session the access token belongs to. */
  sessionId: string | null;
}

export interface CallerClient {
  id: string;
  organizationId: string;
  roles: ClientRole[];
}

/** A caller with no credentials. */
export const ANONYMOUS: Caller = Object.freeze({});

/** Where a request came from, for sessions, limits and events. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

export const NO_REQUEST_INFO: RequestInfo = Object.freeze({ ip: null, userAgent: null });

/**
 * Runs `work` in one transaction; an `Err` result rolls everything back (nothing half-written) and is
 * returned as is. Exceptions roll back and propagate.
 */
export function inTransaction<T>(
  io: Io,
  work: (tx: Io) => Promise<Result<T, AccountsError>>,
): Promise<Result<T, AccountsError>> {
  return rollingBackErr((run) => io.transaction(run), work);
}

export function addMs(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}
