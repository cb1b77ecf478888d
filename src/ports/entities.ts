/**
 * The entities the accounts system stores. They are plain data: no methods, no driver types, all
 * timestamps are `Date` values in UTC. Types that carry a hash (`User`, `Client`, `VerificationCode`,
 * `RefreshToken`) never leave the domain as they are: callers get the `Public…` views below.
 */

/** Roles a user can hold. Granted and removed only by sysadmins (docs/security-rules.md §6). */
export const USER_ROLES = ['sysadmin', 'employee', 'user'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/**
 * Roles a client (API key) can hold, granted only by sysadmins and system clients (docs/security-rules.md §5, §6):
 * - `system` may do everything; only a sysadmin user or another system client may manage one.
 * - `internal`: a first-party service of its organization. Alone, it reads that organization like a
 *   `member` does (the organization, its memberships and clients, never a secret).
 * - `external` (the default): a third-party integration. Alone, it reads only itself and its
 *   restrictions; it identifies the application a login or request came through.
 * A caller holding a user and a client gets the more privileged of the two in each organization.
 */
export const CLIENT_ROLES = ['system', 'internal', 'external'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

/**
 * How a session was authenticated: a password, or a code emailed to one of the user's addresses, or
 * either of them followed by a second factor (a TOTP or a recovery code: `mfa`).
 */
export const AUTH_METHODS = ['password', 'code', 'mfa'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Membership roles, lowest first: the order is used to refuse granting a role above one's own. */
export const MEMBERSHIP_ROLES = ['member', 'admin', 'owner'] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

export const CODE_PURPOSES = ['verify-email', 'login', 'password-reset'] as const;
export type CodePurpose = (typeof CODE_PURPOSES)[number];

export const RESTRICTION_TYPES = ['ip', 'host', 'api'] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];

/**
 * Caller-defined fields of an entity as stored (`createAccounts({ fields })`): a plain JSON object,
 * `{}` when the caller defines none. Every `Io` gives it back deep-equal to what it stored, and stores
 * only what JSON can carry exactly (`InvalidCustomFieldsError` lists what the shipped ones refuse).
 */
export type CustomFields = { [key: string]: unknown };

/**
 * The custom-field types of each extensible entity, the type argument of the generic ports
 * (`Io<F>`): each is the JSON shape an application's codec for that entity encodes to. Declare them
 * as type aliases (as `t.TypeOf` and `t.OutputOf` give), not interfaces: an interface has no index
 * signature, so an `Io<F>` of interfaces would not be an `Io`.
 */
export interface EntityFields {
  user: object;
  organization: object;
  membership: object;
  client: object;
}

/** The custom fields of each entity as the library sees them without a codec: opaque JSON objects. */
export interface DefaultEntityFields {
  user: CustomFields;
  organization: CustomFields;
  membership: CustomFields;
  client: CustomFields;
}

export interface User<F extends object = CustomFields> {
  id: string;
  name: string;
  /** bcrypt hash, or null for a passwordless user (login by emailed code only). */
  passwordHash: string | null;
  roles: UserRole[];
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  bannedAt: Date | null;
  /**
   * Moves up by one at every change of credentials (password change or reset, ban, deletion, an
   * account claimed by proof of its address). A session remembers the version it was opened under
   * and is dead once they differ, so a login that was in flight while the credentials changed opens
   * nothing usable (docs/security-rules.md §3).
   */
  credentialVersion: number;
  /** The application's own fields of the user (`CustomFields`); `{}` when it defines none. */
  fields: F;
}

export interface LoginEmail {
  /** Normalized: trimmed and lower-cased. Unique across all users. */
  address: string;
  userId: string;
  verifiedAt: Date | null;
  createdAt: Date;
}

export interface VerificationCode {
  id: string;
  purpose: CodePurpose;
  /** Normalized address the code was sent to. */
  address: string;
  /** For `login` codes: the caller-chosen state the code is bound to; null for `verify-email`. */
  state: string | null;
  /** `Lib.hashCode` of the code; the code itself is never stored. */
  codeHash: string;
  /** Attempts made on this code, right or wrong (each comparison reserves one first). */
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
  invalidatedAt: Date | null;
}

export interface Organization<F extends object = CustomFields> {
  id: string;
  name: string;
  /**
   * Whether the organization requires two-factor authentication of its members (set by owners):
   * a member whose session was not opened or renewed with a second factor gets 403
   * `MFA_REQUIRED_BY_ORGANIZATION` on the organization's routes.
   */
  requireMfa: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** The application's own fields of the organization (`CustomFields`); `{}` when it defines none. */
  fields: F;
}

/** What `Io.updateOrganization` changes: the fields given, and always `updatedAt`. */
export interface OrganizationPatch<F extends object = CustomFields> {
  name?: string;
  requireMfa?: boolean;
  /** Replaces the stored custom fields whole (the domain merges a partial change first). */
  fields?: F;
  updatedAt: Date;
}

export interface Membership<F extends object = CustomFields> {
  id: string;
  organizationId: string;
  userId: string;
  role: MembershipRole;
  createdAt: Date;
  /** The application's own fields of the membership (`CustomFields`); `{}` when it defines none. */
  fields: F;
}

/** `Client.reqsPerSec` of a client that is not throttled. */
export const UNLIMITED_REQS_PER_SEC = -1;

export interface Client<F extends object = CustomFields> {
  id: string;
  organizationId: string;
  name: string;
  /** SHA-256 (hex) of the key's secret part. */
  secretHash: string;
  roles: ClientRole[];
  /** Requests per second allowed to this client; `UNLIMITED_REQS_PER_SEC` (-1) means unlimited. */
  reqsPerSec: number;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  lastUsedAt: Date | null;
  /** The application's own fields of the client (`CustomFields`); `{}` when it defines none. */
  fields: F;
}

export interface AccessRestriction {
  id: string;
  clientId: string;
  type: RestrictionType;
  /** Normalized value: a canonical IP or CIDR, a lower-cased host pattern, or an API name. */
  value: string;
  createdAt: Date;
}

export interface Session {
  id: string;
  userId: string;
  /** The client (API key) the login came through, if any. */
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  /** Moves forward at every refresh; past it the session is dead (idle timeout). */
  idleExpiresAt: Date;
  /** Absolute end of the session; never moves. */
  expiresAt: Date;
  revokedAt: Date | null;
  /** The user's `credentialVersion` when the session was opened; the session dies once it moves on. */
  credentialVersion: number;
  /** How the login that opened the session was authenticated; kept across refreshes. */
  authMethod: AuthMethod;
  /** When that login happened (`auth_time`); kept across refreshes. */
  authenticatedAt: Date;
}

export interface RefreshToken {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  tokenHash: string;
  sessionId: string;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

/** A user as callers see it: no password hash. */
export interface PublicUser {
  id: string;
  name: string;
  roles: UserRole[];
  hasPassword: boolean;
  createdAt: Date;
  updatedAt: Date;
  bannedAt: Date | null;
  emails?: LoginEmail[];
  /** Which second factors are on (`GET /users/:id`); never a secret. */
  mfa?: { totp: boolean };
}

/**
 * An organization as callers see it: its custom fields (`CustomFields`) flat beside its own, never
 * nested under `fields`.
 */
export type PublicOrganization = Omit<Organization, 'fields'>;

/** A membership as callers see it, custom fields flat beside its own. */
export type PublicMembership = Omit<Membership, 'fields'>;

/** A client as callers see it: no secret hash. */
export interface PublicClient {
  id: string;
  organizationId: string;
  name: string;
  roles: ClientRole[];
  reqsPerSec: number;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
}

/** A session as its user sees it. */
export interface PublicSession {
  id: string;
  userId: string;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  idleExpiresAt: Date;
  authMethod: AuthMethod;
  authenticatedAt: Date;
}

/**
 * An invitation to join an organization, sent to an address (docs/security-rules.md §6, invitations).
 * At most one exists per (organization, address): inviting again replaces it. It lives until it is
 * accepted, declined or revoked (then it is deleted: the events are the trail) or replaced; past
 * `expiresAt` it is refused and no longer listed.
 */
export interface Invitation {
  id: string;
  organizationId: string;
  /** Normalized address the token was sent to; only a user holding it verified may accept. */
  address: string;
  /** The role the membership gets; never above what the inviter could grant. */
  role: MembershipRole;
  /** SHA-256 (hex) of the emailed token; the token itself is never stored. */
  tokenHash: string;
  /** The user who invited, if any: their right to grant `role` is checked again at acceptance. */
  invitedByUserId: string | null;
  /** The `system` client that invited, if the authority came from one (checked again too). */
  invitedByClientId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** An invitation as its organization's admins see it: no token hash. */
export interface PublicInvitation {
  id: string;
  organizationId: string;
  email: string;
  role: MembershipRole;
  invitedByUserId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** An invitation as the invited user sees it, with the name of the organization. */
export interface ReceivedInvitation {
  id: string;
  organizationId: string;
  organizationName: string;
  email: string;
  role: MembershipRole;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * A user's TOTP authenticator (RFC 6238; docs/security-rules.md §4a, two-factor). One per user:
 * pending (`confirmedAt` null) from enrolment until a right code confirms it; only a confirmed one is
 * asked for at login.
 */
export interface TotpFactor {
  userId: string;
  /** `Lib.sealSecret` of the base32 secret (AES-256-GCM under a server-held key): never in clear. */
  sealedSecret: string;
  createdAt: Date;
  confirmedAt: Date | null;
  /**
   * The last time step (30-second counter) a code was accepted for, or null: a code is accepted only
   * for a later step, so none is accepted twice, nor one of an earlier step after a later one.
   */
  lastUsedStep: number | null;
}

/** One single-use recovery code of a user; only its keyed hash is stored. */
export interface RecoveryCode {
  userId: string;
  /** `Lib.hashCode(userId, code)`: an HMAC under the server-held code key. */
  codeHash: string;
  createdAt: Date;
  usedAt: Date | null;
}

/** How the first factor of a login waiting for its second one was proven. */
export type FirstFactor = 'password' | 'code';

/**
 * A login whose first factor was proven, waiting for its second (`POST /authn/mfa`): single use,
 * short-lived, with a few attempts, bound to the credential version the first factor was checked
 * against.
 */
export interface MfaChallenge {
  /** SHA-256 (hex) of the opaque challenge token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  firstFactor: FirstFactor;
  /** The user's `credentialVersion` when the first factor was checked: a change since wins. */
  credentialVersion: number;
  /** Second-factor attempts made, right or wrong (each comparison reserves one first). */
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}
