import type { AccountsEvent, AccountsEventType } from './events';
import type { EventActor, EventRecord, EventSubjects, JsonValue } from './outbox';

/** Fields that become the subject columns. */
const SUBJECT_FIELDS = ['userId', 'organizationId', 'clientId', 'sessionId'] as const;

/** Fields that become the actor columns. */
const ACTOR_FIELDS = { byUserId: 'userId', byClientId: 'clientId', ip: 'ip' } as const;

/**
 * Every other field an event may carry, and so may land in `payload`, which integrators' webhooks
 * receive and the event routes return. A list rather than "everything else": a field added to an
 * event later (a token, a code) must be refused here until someone has decided it is safe to ship,
 * not slip into every receiver's logs.
 */
export const PAYLOAD_FIELDS: ReadonlySet<string> = new Set([
  'address',
  'change',
  'email',
  'invitationId',
  'joined',
  'membershipId',
  'method',
  'passwordRemoved',
  'purpose',
  'reason',
  'remaining',
  'requireMfa',
  'role',
  'roles',
]);

/**
 * Maps a domain event to the record the outbox stores: `at`, the subjects and the actor go to their
 * columns, every other field to `payload`. Throws on a field that is on no list (see
 * `PAYLOAD_FIELDS`) rather than drop or ship it: a test over every event type catches it first.
 *
 * `actor` fills what the event does not say (the event names its actor only as `byUserId`,
 * `byClientId` or `ip`).
 */
export function toEventRecord(event: AccountsEvent, id: string, actor: Partial<EventActor> = {}): EventRecord {
  const subjects: EventSubjects = { userId: null, organizationId: null, clientId: null, sessionId: null };
  const fromEvent: EventActor = { userId: null, clientId: null, ip: null };
  const payload: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type' || key === 'at') continue;
    if ((SUBJECT_FIELDS as readonly string[]).includes(key)) {
      subjects[key as keyof EventSubjects] = value as string | null;
    } else if (key in ACTOR_FIELDS) {
      fromEvent[ACTOR_FIELDS[key as keyof typeof ACTOR_FIELDS]] = value as string | null;
    } else if (PAYLOAD_FIELDS.has(key)) {
      payload[key] = toJson(value, `${event.type}.${key}`);
    } else {
      throw new Error(`accounts-module: event field ${event.type}.${key} is not cleared for the outbox payload`);
    }
  }
  return {
    id,
    type: event.type,
    at: new Date(event.at.getTime()),
    actor: {
      userId: fromEvent.userId ?? actor.userId ?? null,
      clientId: fromEvent.clientId ?? actor.clientId ?? null,
      ip: fromEvent.ip ?? actor.ip ?? null,
    },
    subjects,
    payload,
  };
}

function toJson(value: unknown, where: string): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item) => toJson(item, where));
  throw new Error(`accounts-module: event field ${where} is not JSON (${typeof value})`);
}

type ColumnField = 'userId' | 'organizationId' | 'clientId' | 'sessionId' | 'byUserId' | 'byClientId' | 'ip';
type ColumnFieldsOf<K extends AccountsEventType> = ReadonlyArray<
  Extract<keyof Extract<AccountsEvent, { type: K }>, ColumnField>
>;

/**
 * Which column fields each event type has, so `toAccountsEvent` can give back the event exactly (a
 * null column is either a field that was null or one the type does not have).
 */
const COLUMN_FIELDS: { [K in AccountsEventType]: ColumnFieldsOf<K> } = {
  'user.registered': ['userId'],
  'user.deleted': ['userId', 'byUserId'],
  'user.banned': ['userId'],
  'user.unbanned': ['userId'],
  'user.roles_changed': ['userId'],
  'login.succeeded': ['userId', 'sessionId', 'ip'],
  'login.failed': ['ip'],
  'session.revoked': ['userId', 'sessionId'],
  'mfa.enabled': ['userId'],
  'mfa.disabled': ['userId'],
  'mfa.recovery_codes_replaced': ['userId'],
  'mfa.recovery_code_used': ['userId'],
  'refresh_token.reused': ['userId', 'sessionId'],
  'password.changed': ['userId'],
  'password.reset': ['userId'],
  'session.reauthenticated': ['userId', 'sessionId'],
  'email.added': ['userId'],
  'email.verified': ['userId'],
  'email.removed': ['userId'],
  'email.released': ['userId'],
  'account.claimed': ['userId'],
  'email.delivery_failed': [],
  'client.created': ['clientId', 'organizationId'],
  'client.updated': ['clientId', 'organizationId'],
  'client.rotated': ['clientId', 'organizationId'],
  'client.deleted': ['clientId', 'organizationId'],
  'client.restrictions_changed': ['clientId', 'organizationId'],
  'membership.changed': ['organizationId', 'userId'],
  'organization.deleted': ['organizationId'],
  'organization.mfa_requirement_changed': ['organizationId', 'byUserId', 'byClientId'],
  'invitation.created': ['organizationId', 'byUserId', 'byClientId'],
  'invitation.accepted': ['organizationId', 'userId'],
  'invitation.declined': ['organizationId', 'userId'],
  'invitation.revoked': ['organizationId', 'byUserId', 'byClientId'],
};

/**
 * Every event type this version writes, in a fixed order: what the event routes accept as a `type`
 * filter. Read off `COLUMN_FIELDS`, whose type makes it name every `AccountsEventType` exactly once.
 */
export const EVENT_TYPES: readonly AccountsEventType[] = Object.freeze(
  Object.keys(COLUMN_FIELDS) as AccountsEventType[],
);

/**
 * The domain event a record was made from (the inverse of `toEventRecord`), for sinks that take
 * `AccountsEvent`s, such as `Lib.onEvent`. Throws on a type this version does not know.
 */
export function toAccountsEvent(record: EventRecord): AccountsEvent {
  const fields = (COLUMN_FIELDS as Record<string, ReadonlyArray<ColumnField> | undefined>)[record.type];
  if (fields === undefined) throw new Error(`accounts-module: unknown event type ${record.type}`);
  const columns: Record<ColumnField, string | null> = {
    userId: record.subjects.userId,
    organizationId: record.subjects.organizationId,
    clientId: record.subjects.clientId,
    sessionId: record.subjects.sessionId,
    byUserId: record.actor.userId,
    byClientId: record.actor.clientId,
    ip: record.actor.ip,
  };
  const event: Record<string, unknown> = { type: record.type, at: new Date(record.at.getTime()) };
  for (const field of fields) event[field] = columns[field];
  return { ...event, ...record.payload } as AccountsEvent;
}
