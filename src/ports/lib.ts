import type { AuthMethod, CodePurpose, MembershipRole, UserRole } from './entities';
import type { AccountsEvent } from './events';

/**
 * Policy and primitives: everything the domain needs that is a choice (password rules, lifetimes,
 * email wording) or a primitive (hashing, randomness, signing, the clock). The shipped default class
 * (`DefaultLib`) implements it with bcryptjs, nanoid, jsonwebtoken and node:crypto; subclass it to
 * change one method, or wrap it.
 */
export interface Lib {
  /** Lifetimes and limits. Read by the domain at every use, so a subclass may compute them. */
  readonly config: AccountsConfig;

  /** The clock. Tests replace it to move time. */
  now(): Date;

  /** A new unique id with a type prefix, e.g. `usr_V1StGXR8Z5jdHi6BmyT0a`. */
  newId(kind: IdKind): string;
  /** A new random secret of at least 256 bits, URL-safe (refresh tokens, client key secrets). */
  newSecret(): string;
  /** A new verification code from a CSPRNG (default 6 digits). */
  newCode(): string;

  /** SHA-256 (hex) of a high-entropy secret (refresh tokens, client key secrets). */
  hashSecret(secret: string): string;
  /**
   * Hash of a verification code as stored: a keyed hash (HMAC) under a key held by the server and not
   * in the database, so a database dump alone yields no usable code (docs/security-rules.md §4). `codeId` salts it so
   * equal codes hash differently.
   */
  hashCode(codeId: string, code: string): string;
  /** Constant-time equality of two strings (unequal lengths answer false without leaking content). */
  safeEqual(a: string, b: string): boolean;

  /**
   * Encrypts a secret for storage (the TOTP secret: docs/security-rules.md §4a) under a key held by
   * the server and not in the database, bound to `context` (the user id), so a dump alone yields no
   * secret and a sealed value copied onto another user's row does not open.
   */
  sealSecret(secret: string, context: string): string;
  /** Decrypts what `sealSecret` sealed with the same `context`; null when it does not open. */
  openSecret(sealed: string, context: string): string | null;
  /**
   * A new TOTP authenticator (RFC 6238) for `accountName` (the user's address): a random base32
   * secret of at least 160 bits, its `otpauth://` URI (issuer from `config.totpIssuer`) and a QR code
   * of that URI as an SVG document.
   */
  newTotpEnrolment(accountName: string): Promise<TotpEnrolment>;
  /**
   * The RFC 6238 time step (30-second counter) whose code is `code` for `secret` at `at` or one step
   * before or after it (clock skew), or null when none matches. The domain accepts each step once.
   */
  totpCodeStep(secret: string, code: string, at: Date): number | null;
  /** A new single-use recovery code from a CSPRNG (the default: 79 bits, `xxxx-xxxx-xxxx-xxxx`). */
  newRecoveryCode(): string;

  /**
   * Checks a candidate password against the password policy; returns the problems found (empty when
   * acceptable). `context` lets the rules refuse passwords equal to the user's email or name.
   */
  checkPassword(password: string, context: PasswordContext): PasswordProblem[];
  /** Hashes a password for storage (normalizes it first; never truncates). */
  hashPassword(password: string): Promise<string>;
  /** Compares a password with a stored hash. */
  verifyPassword(password: string, hash: string): Promise<boolean>;
  /** True when a stored hash should be replaced at the next successful login (e.g. a lower cost). */
  passwordNeedsRehash(hash: string): boolean;
  /**
   * A valid hash of an unguessable password at the configured cost: compared against when the user
   * is unknown or has no password, so such answers take as long as a wrong password.
   */
  dummyPasswordHash(): Promise<string>;

  /** Signs an access token (a JWT) for these claims. */
  signAccessToken(claims: AccessTokenInput): Promise<string>;
  /** Verifies signature, `exp`, `iss` and `aud`; returns the claims or null for any invalid token. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims | null>;
  /** Public keys for other services to verify access tokens; empty with a symmetric algorithm. */
  jwks(): JsonWebKeySet;

  /** Sends a verification or login code by email. */
  sendCode(message: CodeMessage): Promise<void>;
  /** Emails an invitation to join an organization, with the token that accepts it. */
  sendInvitation(message: InvitationMessage): Promise<void>;

  /** Receives security events. Errors thrown here (or rejections) never break an operation. */
  onEvent(event: AccountsEvent): void | Promise<void>;
}

export type IdKind =
  | 'user'
  | 'organization'
  | 'membership'
  | 'client'
  | 'restriction'
  | 'session'
  | 'code'
  | 'invitation'
  /** An event of the outbox (`evt_…`), which webhook receivers deduplicate on. */
  | 'event';

/** What an enrolment shows once: the secret, its `otpauth://` URI and that URI as a QR code (SVG). */
export interface TotpEnrolment {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  uri: string;
  qrCodeSvg: string;
}

export interface PasswordContext {
  email?: string;
  name?: string;
}

export interface PasswordProblem {
  /** Stable reason code, e.g. `too_short`, `too_long`, `too_common`, `matches_email`, `matches_name`. */
  reason: string;
  message: string;
}

export interface AccessTokenInput {
  userId: string;
  sessionId: string;
  roles: UserRole[];
  clientId: string | null;
  /** How the session's login was authenticated (`amr`), kept across refreshes. */
  authMethod: AuthMethod;
  /** When that login happened (`auth_time`), kept across refreshes. */
  authenticatedAt: Date;
}

export interface AccessTokenClaims {
  /** User id. */
  sub: string;
  /** Session id. */
  sid: string;
  /** Unique token id. */
  jti: string;
  iat: number;
  exp: number;
  roles: UserRole[];
  /** Client the session was opened through, if any. */
  cid?: string;
  /** When the session's login happened, in seconds (OpenID Connect `auth_time`). */
  auth_time?: number;
  /** How it was authenticated (RFC 8176 values: `pwd` for a password, `otp` for an emailed code). */
  amr?: string[];
}

export interface JsonWebKeySet {
  keys: Array<Record<string, unknown>>;
}

export interface CodeMessage {
  /** Normalized address. */
  to: string;
  purpose: CodePurpose;
  code: string;
  expiresAt: Date;
}

/** An invitation email: the token accepts it (`POST /invitations/accept`), by a user holding `to` verified. */
export interface InvitationMessage {
  /** Normalized address. */
  to: string;
  /** The opaque token (at least 256 random bits); only its SHA-256 is stored. */
  token: string;
  invitationId: string;
  organizationId: string;
  organizationName: string;
  role: MembershipRole;
  expiresAt: Date;
}

/** Lifetimes and limits (docs/security-rules.md §3–§8). Durations are in milliseconds; windows are fixed, see `RateLimitStore`. */
export interface AccountsConfig {
  accessTokenTtlMs: number;
  sessionIdleTtlMs: number;
  sessionAbsoluteTtlMs: number;
  /** Live sessions per user; opening one more revokes the oldest (`session.revoked`, `session_limit`). */
  maxSessionsPerUser: number;
  loginCodeTtlMs: number;
  verifyEmailCodeTtlMs: number;
  /** How long an emailed password-reset code stays usable (at most 1 hour). */
  passwordResetCodeTtlMs: number;
  /**
   * Sensitive actions (a password change without the current password, adding or removing login
   * emails, deleting the account, rotating a client key) need a session authenticated this recently;
   * otherwise `REAUTHENTICATION_REQUIRED`, and `sessions.reauthenticate` proves it again.
   */
  reauthenticationMaxAgeMs: number;
  /** Attempts per code (the Nth wrong one invalidates it). */
  codeMaxAttempts: number;
  /**
   * Codes of any purpose sent to one address on behalf of one requesting IP per `codeSendWindowMs`:
   * the tight limit, so that requests from one place cannot use up the owner's codes (docs/security-rules.md §4).
   */
  codeSendLimit: number;
  /** Codes of any purpose sent to one address per `codeSendWindowMs`, whoever asks: the ceiling. */
  codeSendLimitPerAddress: number;
  codeSendWindowMs: number;
  /** Login-code requests and verification resends per IP per `codeSendWindowMs` (answered 429 past it). */
  codeRequestsPerIp: number;
  /**
   * Wrong code comparisons per IP per `loginFailureWindowMs`, code logins and email verifications
   * together: what one address can guess, whatever the number of accounts it targets.
   */
  codeFailuresPerIp: number;
  /**
   * Wrong `verify-email` codes per (address, IP) per `loginFailureWindowMs`. Below `codeMaxAttempts`,
   * so that guesses from one place never kill the code the owner is about to type: a verify-email
   * code is looked up by its address, which anyone may know.
   */
  codeFailuresPerAddressAndIp: number;
  /** Failed password checks per identifier (address or user) and IP per window: the tight limit. */
  loginFailuresPerIdentifierAndIp: number;
  /** Failed password checks per identifier per window, from anywhere: the ceiling. */
  loginFailuresPerIdentifier: number;
  /** Failed password checks per IP per window. */
  loginFailuresPerIp: number;
  loginFailureWindowMs: number;
  /** Successful logins (password or code) per user per `loginSuccessWindowMs`. */
  loginSuccessesPerUser: number;
  loginSuccessWindowMs: number;
  /** Registrations per IP per window. */
  registrationsPerIp: number;
  registrationWindowMs: number;
  /** Addresses added to one user, and from one IP, per `emailAddWindowMs`. */
  emailAddsPerUser: number;
  emailAddsPerIp: number;
  emailAddWindowMs: number;
  /** Unverified login emails one user may hold at once. */
  maxUnverifiedEmailsPerUser: number;
  /** An address left unverified this long may be registered by someone else (pre-hijacking, docs/security-rules.md §4). */
  unverifiedEmailClaimAfterMs: number;
  /** IPv6 addresses are counted by this prefix (a /64 is one subscriber); IPv4 by the whole address. */
  ipv6LimitPrefixLength: number;
  /**
   * Per-IP limits of a request whose address is unknown (`RequestInfo.ip` null): `shared` counts all
   * of them in one bucket per limit (fails closed), `skip` applies no per-IP limit (fails open, for
   * server-side callers that pass no address on purpose).
   */
  ipLimitsWithoutAddress: 'shared' | 'skip';
  /** Refuse password and code login until the address is verified. */
  requireVerifiedEmail: boolean;
  /** Default `reqsPerSec` of new clients (-1 = unlimited). */
  defaultReqsPerSec: number;
  /** `Client.lastUsedAt` is written at most once per this interval. */
  clientLastUsedIntervalMs: number;
  /** Prefix of client keys: `<prefix>_<clientId>_<secret>`. */
  clientKeyPrefix: string;
  /** How long an organization invitation can be accepted (default 7 days). */
  invitationTtlMs: number;
  /** Invitations sent per organization per `invitationsPerOrganizationWindowMs` (default 100 a day). */
  invitationsPerOrganization: number;
  invitationsPerOrganizationWindowMs: number;
  /** Invitations sent by one inviter (user or client) per `invitationsPerInviterWindowMs` (default 50 an hour). */
  invitationsPerInviter: number;
  invitationsPerInviterWindowMs: number;
  /** Invitation acceptances tried per user, and per IP, per `invitationAcceptWindowMs`. */
  invitationAcceptsPerUser: number;
  invitationAcceptsPerIp: number;
  invitationAcceptWindowMs: number;
  /** The issuer an authenticator app shows next to the account (`otpauth://` URI). */
  totpIssuer: string;
  /** How long a login waits for its second factor (`MFA_REQUIRED`'s challenge; default 5 minutes). */
  mfaChallengeTtlMs: number;
  /** Second-factor attempts per challenge (the Nth wrong one kills it). */
  mfaChallengeMaxAttempts: number;
  /**
   * Wrong second factors (TOTP or recovery codes) per (user, IP) per `loginFailureWindowMs`, all
   * challenges together: the tight limit, so someone who holds the password and guesses from one place
   * cannot lock the owner out of their second factor elsewhere.
   */
  mfaFailuresPerUserAndIp: number;
  /** The ceiling of wrong second factors per user from anywhere, per `loginFailureWindowMs`. */
  mfaFailuresPerUser: number;
  /** Wrong second factors per IP per `loginFailureWindowMs`. */
  mfaFailuresPerIp: number;
}

export const DEFAULT_CONFIG: AccountsConfig = Object.freeze({
  accessTokenTtlMs: 15 * 60_000,
  sessionIdleTtlMs: 14 * 24 * 3_600_000,
  sessionAbsoluteTtlMs: 30 * 24 * 3_600_000,
  maxSessionsPerUser: 100,
  loginCodeTtlMs: 10 * 60_000,
  verifyEmailCodeTtlMs: 24 * 3_600_000,
  passwordResetCodeTtlMs: 30 * 60_000,
  reauthenticationMaxAgeMs: 10 * 60_000,
  codeMaxAttempts: 5,
  codeSendLimit: 3,
  codeSendLimitPerAddress: 10,
  codeSendWindowMs: 15 * 60_000,
  codeRequestsPerIp: 100,
  codeFailuresPerIp: 100,
  codeFailuresPerAddressAndIp: 4,
  loginFailuresPerIdentifierAndIp: 10,
  loginFailuresPerIdentifier: 50,
  loginFailuresPerIp: 100,
  loginFailureWindowMs: 15 * 60_000,
  loginSuccessesPerUser: 100,
  loginSuccessWindowMs: 3_600_000,
  registrationsPerIp: 100,
  registrationWindowMs: 3_600_000,
  emailAddsPerUser: 20,
  emailAddsPerIp: 50,
  emailAddWindowMs: 3_600_000,
  maxUnverifiedEmailsPerUser: 10,
  unverifiedEmailClaimAfterMs: 24 * 3_600_000,
  ipv6LimitPrefixLength: 64,
  ipLimitsWithoutAddress: 'shared',
  requireVerifiedEmail: false,
  defaultReqsPerSec: 10,
  clientLastUsedIntervalMs: 60_000,
  clientKeyPrefix: 'ak',
  invitationTtlMs: 7 * 24 * 3_600_000,
  invitationsPerOrganization: 100,
  invitationsPerOrganizationWindowMs: 24 * 3_600_000,
  invitationsPerInviter: 50,
  invitationsPerInviterWindowMs: 3_600_000,
  invitationAcceptsPerUser: 20,
  invitationAcceptsPerIp: 100,
  invitationAcceptWindowMs: 15 * 60_000,
  totpIssuer: 'accounts-module',
  mfaChallengeTtlMs: 5 * 60_000,
  mfaChallengeMaxAttempts: 5,
  mfaFailuresPerUserAndIp: 10,
  mfaFailuresPerUser: 30,
  mfaFailuresPerIp: 100,
});
