import { PAYLOAD_FIELDS, toAccountsEvent, toEventRecord } from '../../src/ports/event-record';
import type { AccountsEvent, AccountsEventType } from '../../src/ports/events';
import { subjectKey } from '../../src/ports/outbox';

const at = new Date('2026-12-02T10:00:00.123Z');
const invitation = { invitationId: 'inv_1', organizationId: 'org_1', address: 'a@example.com' };

/** One event of every type: the compiler refuses this map when a type is added to the union and not here. */
const SAMPLES: { [K in AccountsEventType]: Extract<AccountsEvent, { type: K }> } = {
  'user.registered': { type: 'user.registered', at, userId: 'usr_1' },
  'user.deleted': { type: 'user.deleted', at, userId: 'usr_1', byUserId: 'usr_2' },
  'user.banned': { type: 'user.banned', at, userId: 'usr_1' },
  'user.unbanned': { type: 'user.unbanned', at, userId: 'usr_1' },
  'user.roles_changed': { type: 'user.roles_changed', at, userId: 'usr_1', roles: ['support', 'ops'] },
  'login.succeeded': { type: 'login.succeeded', at, userId: 'usr_1', sessionId: 'ses_1', method: 'code', ip: null },
  'login.failed': {
    type: 'login.failed',
    at,
    method: 'password',
    reason: 'invalid_credentials',
    email: 'a@example.com',
    ip: '192.0.2.1',
  },
  'session.revoked': { type: 'session.revoked', at, userId: 'usr_1', sessionId: null, reason: 'logout_all' },
  'mfa.enabled': { type: 'mfa.enabled', at, userId: 'usr_1' },
  'mfa.disabled': { type: 'mfa.disabled', at, userId: 'usr_1', reason: 'account_claimed' },
  'mfa.recovery_codes_replaced': { type: 'mfa.recovery_codes_replaced', at, userId: 'usr_1' },
  'mfa.recovery_code_used': { type: 'mfa.recovery_code_used', at, userId: 'usr_1', remaining: 9 },
  'refresh_token.reused': { type: 'refresh_token.reused', at, userId: 'usr_1', sessionId: 'ses_1' },
  'password.changed': { type: 'password.changed', at, userId: 'usr_1' },
  'password.reset': { type: 'password.reset', at, userId: 'usr_1', address: 'a@example.com' },
  'session.reauthenticated': {
    type: 'session.reauthenticated',
    at,
    userId: 'usr_1',
    sessionId: 'ses_1',
    method: 'password',
  },
  'email.added': { type: 'email.added', at, userId: 'usr_1', address: 'a@example.com' },
  'email.verified': { type: 'email.verified', at, userId: 'usr_1', address: 'a@example.com' },
  'email.removed': { type: 'email.removed', at, userId: 'usr_1', address: 'a@example.com' },
  'email.released': {
    type: 'email.released',
    at,
    userId: 'usr_1',
    address: 'a@example.com',
    reason: 'proven_elsewhere',
  },
  'account.claimed': {
    type: 'account.claimed',
    at,
    userId: 'usr_1',
    address: 'a@example.com',
    passwordRemoved: true,
  },
  'email.delivery_failed': { type: 'email.delivery_failed', at, address: 'a@example.com', purpose: 'login' },
  'client.created': { type: 'client.created', at, clientId: 'cli_1', organizationId: 'org_1' },
  'client.updated': { type: 'client.updated', at, clientId: 'cli_1', organizationId: 'org_1' },
  'client.rotated': { type: 'client.rotated', at, clientId: 'cli_1', organizationId: 'org_1' },
  'client.deleted': { type: 'client.deleted', at, clientId: 'cli_1', organizationId: 'org_1' },
  'client.restrictions_changed': {
    type: 'client.restrictions_changed',
    at,
    clientId: 'cli_1',
    organizationId: 'org_1',
  },
  'membership.changed': {
    type: 'membership.changed',
    at,
    organizationId: 'org_1',
    userId: 'usr_1',
    change: 'removed',
    role: null,
  },
  'organization.deleted': { type: 'organization.deleted', at, organizationId: 'org_1' },
  'organization.mfa_requirement_changed': {
    type: 'organization.mfa_requirement_changed',
    at,
    organizationId: 'org_1',
    requireMfa: true,
    byUserId: null,
    byClientId: 'cli_1',
  },
  'invitation.created': {
    type: 'invitation.created',
    at,
    ...invitation,
    role: 'admin',
    byUserId: 'usr_2',
    byClientId: null,
  },
  'invitation.accepted': {
    type: 'invitation.accepted',
    at,
    ...invitation,
    userId: 'usr_1',
    membershipId: 'mem_1',
    joined: true,
  },
  'invitation.declined': { type: 'invitation.declined', at, ...invitation, userId: 'usr_1' },
  'invitation.revoked': {
    type: 'invitation.revoked',
    at,
    ...invitation,
    reason: 'replaced',
    byUserId: null,
    byClientId: null,
  },
};

/** Words that name something a receiver must never get. */
const SECRET_WORDS = /secret|hash|token|code|otp|totp|password|key|sealed|credential/i;

describe.each(Object.values(SAMPLES).map((event) => [event.type, event] as const))('%s', (_type, event) => {
  const stored = toEventRecord(event, 'evt_1');

  it('carries no secret, hash, code or token in its payload', () => {
    for (const [key, value] of Object.entries(stored.payload)) {
      expect(PAYLOAD_FIELDS.has(key)).toBe(true);
      // `passwordRemoved` says that a password went, not what it was.
      if (key !== 'passwordRemoved') expect(key).not.toMatch(SECRET_WORDS);
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(false);
    }
  });

  it('moves `at`, the subjects and the actor to columns and keeps every other field', () => {
    expect(stored.at).toEqual(event.at);
    expect(stored.payload).not.toHaveProperty('at');
    for (const field of ['userId', 'organizationId', 'clientId', 'sessionId', 'byUserId', 'byClientId', 'ip']) {
      expect(stored.payload).not.toHaveProperty(field);
    }
    expect(toAccountsEvent(stored)).toEqual(event);
  });
});

describe('toEventRecord', () => {
  it('derives subjects and actor from the event fields', () => {
    expect(toEventRecord(SAMPLES['membership.changed'], 'evt_1')).toMatchObject({
      subjects: { userId: 'usr_1', organizationId: 'org_1', clientId: null, sessionId: null },
      actor: { userId: null, clientId: null, ip: null },
    });
    expect(toEventRecord(SAMPLES['user.deleted'], 'evt_1').actor.userId).toBe('usr_2');
    expect(toEventRecord(SAMPLES['login.failed'], 'evt_1').actor.ip).toBe('192.0.2.1');
  });

  it('takes the actor the event does not name from the caller', () => {
    const stored = toEventRecord(SAMPLES['password.changed'], 'evt_1', { userId: 'usr_1', ip: '192.0.2.9' });
    expect(stored.actor).toEqual({ userId: 'usr_1', clientId: null, ip: '192.0.2.9' });
  });

  it('refuses a field nobody cleared for the payload, rather than ship or drop it', () => {
    const withToken = { ...SAMPLES['password.changed'], token: 'tok_secret' } as AccountsEvent;
    expect(() => toEventRecord(withToken, 'evt_1')).toThrow(/password\.changed\.token is not cleared/);
  });

  it('orders by organization, else user, else client', () => {
    const subjects = (stored: ReturnType<typeof toEventRecord>) => subjectKey(stored.subjects);
    expect(subjects(toEventRecord(SAMPLES['membership.changed'], 'e'))).toBe('org:org_1');
    expect(subjects(toEventRecord(SAMPLES['login.succeeded'], 'e'))).toBe('user:usr_1');
    expect(subjectKey({ userId: null, organizationId: null, clientId: 'cli_1', sessionId: null })).toBe('client:cli_1');
    expect(subjects(toEventRecord(SAMPLES['email.delivery_failed'], 'e'))).toBeNull();
  });
});
