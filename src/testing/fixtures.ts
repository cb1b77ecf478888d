import type {
  AccessRestriction,
  Client,
  Invitation,
  LoginEmail,
  Membership,
  Organization,
  RefreshToken,
  Session,
  User,
  VerificationCode,
} from '../ports/entities';

/**
 * Entity builders for tests of an `Io` (the conformance suite uses them; so can yours). Every
 * builder gives fresh unique ids, addresses and hashes, so tests can run again and again against one
 * database without colliding with rows an earlier run left behind. Times are fixed, millisecond-precise
 * instants around `fixtureTime()`, never the clock, so results are deterministic.
 */

/** 2030-01-01T12:00:00.123Z: a fixed instant with milliseconds, to catch stores that drop them. */
const FIXTURE_EPOCH_MS = Date.UTC(2030, 0, 1, 12, 0, 0, 123);

/** The fixed instant the fixtures are built around, shifted by `offsetMs`. */
export function fixtureTime(offsetMs = 0): Date {
  return new Date(FIXTURE_EPOCH_MS + offsetMs);
}

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

let sequence = 0;

/** A string unique within this process and, with overwhelming likelihood, across runs. */
export function uniqueSuffix(): string {
  sequence = (sequence + 1) % 36 ** 4;
  return Date.now().toString(36) + sequence.toString(36).padStart(4, '0') + randomChars(6);
}

/** A unique id with a type prefix, e.g. `usr_m3k2…`: 22 characters with a three-letter prefix. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${uniqueSuffix()}`;
}

/** A unique, normalized (lower-case) email address. */
export function uniqueAddress(): string {
  return `user-${uniqueSuffix()}@example.test`;
}

/** A unique 64-character hex string, shaped like the SHA-256 hashes the entities hold. */
export function uniqueHash(): string {
  let hex = '';
  while (hex.length < 64)
    hex += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return hex;
}

function randomChars(length: number): string {
  let chars = '';
  while (chars.length < length) chars += Math.floor(Math.random() * 36).toString(36);
  return chars;
}

export function makeUser(fields: Partial<User> = {}): User {
  return {
    id: uniqueId('usr'),
    name: 'Ada Lovelace',
    passwordHash: '$2b$04$abcdefghijklmnopqrstuu1a0P2VWJnQvUx4zqJ4xJ9DkW6HG9dXy',
    roles: ['user'],
    createdAt: fixtureTime(),
    updatedAt: fixtureTime(),
    deletedAt: null,
    bannedAt: null,
    credentialVersion: 0,
    fields: {},
    ...fields,
  };
}

export function makeLoginEmail(fields: Partial<LoginEmail> & Pick<LoginEmail, 'userId'>): LoginEmail {
  return {
    address: uniqueAddress(),
    verifiedAt: null,
    createdAt: fixtureTime(),
    ...fields,
  };
}

/** A usable `login` code (bound to a fresh state) unless `fields` say otherwise. */
export function makeVerificationCode(fields: Partial<VerificationCode> = {}): VerificationCode {
  const purpose = fields.purpose ?? 'login';
  return {
    id: uniqueId('cod'),
    purpose,
    address: uniqueAddress(),
    state: purpose === 'login' ? `state-${uniqueSuffix()}` : null,
    codeHash: uniqueHash(),
    attempts: 0,
    createdAt: fixtureTime(),
    expiresAt: fixtureTime(10 * MINUTE_MS),
    consumedAt: null,
    invalidatedAt: null,
    ...fields,
  };
}

export function makeOrganization(fields: Partial<Organization> = {}): Organization {
  return {
    id: uniqueId('org'),
    name: 'Analytical Engines Ltd',
    requireMfa: false,
    createdAt: fixtureTime(),
    updatedAt: fixtureTime(),
    fields: {},
    ...fields,
  };
}

export function makeMembership(
  fields: Partial<Membership> & Pick<Membership, 'organizationId' | 'userId'>,
): Membership {
  return {
    id: uniqueId('mem'),
    role: 'member',
    createdAt: fixtureTime(),
    fields: {},
    ...fields,
  };
}

export function makeClient(fields: Partial<Client> & Pick<Client, 'organizationId'>): Client {
  return {
    id: uniqueId('cli'),
    name: 'Billing service',
    secretHash: uniqueHash(),
    roles: ['external'],
    reqsPerSec: 10,
    createdAt: fixtureTime(),
    updatedAt: fixtureTime(),
    deletedAt: null,
    lastUsedAt: null,
    fields: {},
    ...fields,
  };
}

export function makeAccessRestriction(
  fields: Partial<AccessRestriction> & Pick<AccessRestriction, 'clientId'>,
): AccessRestriction {
  return {
    id: uniqueId('res'),
    type: 'ip',
    value: '203.0.113.0/24',
    createdAt: fixtureTime(),
    ...fields,
  };
}

/** A session alive from `fixtureTime()` for 14 idle days and 30 days in all. */
export function makeSession(fields: Partial<Session> & Pick<Session, 'userId'>): Session {
  return {
    id: uniqueId('ses'),
    clientId: null,
    ip: '198.51.100.7',
    userAgent: 'conformance-suite/1.0',
    createdAt: fixtureTime(),
    lastUsedAt: fixtureTime(),
    idleExpiresAt: fixtureTime(14 * DAY_MS),
    expiresAt: fixtureTime(30 * DAY_MS),
    revokedAt: null,
    credentialVersion: 0,
    authMethod: 'password',
    authenticatedAt: fixtureTime(),
    ...fields,
  };
}

export function makeRefreshToken(fields: Partial<RefreshToken> & Pick<RefreshToken, 'sessionId'>): RefreshToken {
  return {
    tokenHash: uniqueHash(),
    createdAt: fixtureTime(),
    expiresAt: fixtureTime(14 * DAY_MS),
    consumedAt: null,
    ...fields,
  };
}

/** An invitation to a fresh address, open for 7 days from `fixtureTime()`. */
export function makeInvitation(fields: Partial<Invitation> & Pick<Invitation, 'organizationId'>): Invitation {
  return {
    id: uniqueId('inv'),
    address: uniqueAddress(),
    role: 'member',
    tokenHash: uniqueHash(),
    invitedByUserId: uniqueId('usr'),
    invitedByClientId: null,
    createdAt: fixtureTime(),
    expiresAt: fixtureTime(7 * DAY_MS),
    ...fields,
  };
}
