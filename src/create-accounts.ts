import { MemoryRateLimitStore } from './adapters/memory';
import { Accounts } from './domain/accounts';
import { type FieldsOf, type FieldsOptions, fieldSettings } from './domain/custom-fields';
import type { AccountsWith } from './domain/typed-accounts';
import type { Io } from './ports/io';
import type { Lib } from './ports/lib';
import type { RateLimitStore } from './ports/rate-limits';

export interface CreateAccountsOptions<Fields extends FieldsOptions = FieldsOptions> {
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
  /**
   * How events reach `lib.onEvent` (docs/events.md). Every event is written to the `events` table in
   * the transaction of its change either way.
   * - `{ delivery: 'direct' }` (the default): called right after the change commits, at most once;
   *   the stored events count as delivered (the table is the audit trail).
   * - `{ delivery: 'relay', onCommitted }`: only an `EventRelay` you start delivers them, at least
   *   once, to `onEventSink(lib.onEvent)` and webhooks; pass `onCommitted: () => relay.wake()` so a
   *   relay in this process delivers at once rather than at its next poll.
   */
  events?: { delivery: 'direct' | 'relay'; onCommitted?: () => void };
  /**
   * The application's own fields per entity (docs/fields.md): an io-ts codec (`t.type`, `t.partial`,
   * `t.exact` or an intersection of them), or `{ codec, private, readOnly }`. They are validated with
   * the entity's input, stored in the `Io`'s `fields` (a JSON column in the shipped ones), returned
   * beside the entity's own fields, and typed: `createAccounts({ fields: { user: t.type({ plan:
   * t.string }) } }).users.get(…)` answers users with `plan: string`.
   */
  fields?: Fields;
}

/** The field types `createAccounts` infers from its `fields` option. */
export type FieldTypesOf<Fields> = {
  user: FieldsOf<Fields, 'user'>;
  organization: FieldsOf<Fields, 'organization'>;
  membership: FieldsOf<Fields, 'membership'>;
  client: FieldsOf<Fields, 'client'>;
};

/** Names each entity's custom fields may not take: its own fields, in and out of the services. */
const RESERVED_FIELD_NAMES = {
  user: [
    'id',
    'name',
    'email',
    'emails',
    'password',
    'passwordHash',
    'roles',
    'hasPassword',
    'mfa',
    'createdAt',
    'updatedAt',
    'deletedAt',
    'bannedAt',
    'credentialVersion',
  ],
  organization: ['id', 'name', 'requireMfa', 'createdAt', 'updatedAt'],
  membership: ['id', 'organizationId', 'userId', 'role', 'createdAt'],
  client: [
    'id',
    'organizationId',
    'name',
    'roles',
    'reqsPerSec',
    'secretHash',
    'key',
    'createdAt',
    'updatedAt',
    'deletedAt',
    'lastUsedAt',
  ],
} as const;

/** The usual entry point: the accounts services over your `Io` and `Lib`. */
export function createAccounts<const Fields extends FieldsOptions = Record<never, never>>(
  options: CreateAccountsOptions<Fields>,
): AccountsWith<FieldTypesOf<Fields>> {
  const accounts = new Accounts({
    io: options.io,
    lib: options.lib,
    rateLimits: options.rateLimits ?? new MemoryRateLimitStore(),
    clientRateLimits: options.clientRateLimits,
    events: options.events
      ? { mode: options.events.delivery, onCommitted: options.events.onCommitted }
      : { mode: 'direct' },
    fields: fieldSettings(options.fields, RESERVED_FIELD_NAMES),
  });
  return accounts as AccountsWith<FieldTypesOf<Fields>>;
}
