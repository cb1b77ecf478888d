import { Err } from 'ts-results';

/**
 * Every expected failure of the library, in one place. The codes are stable strings: integrators and
 * the HTTP layer switch on them. `httpStatusOf` in `src/handlers` maps each to a status.
 */
export const ERRORS = {
  /** Input failed its codec: `details` names each bad field. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** The password breaks the password policy: `details` lists each problem under `password`. */
  WEAK_PASSWORD: 'WEAK_PASSWORD',
  /** The request needs an authenticated user (or client) and has none. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** An access token that is malformed, expired, or whose session or user is no longer valid. */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /** The caller is known but may not do this. */
  FORBIDDEN: 'FORBIDDEN',
  /** No such resource, or one the caller may not see. */
  NOT_FOUND: 'NOT_FOUND',
  /** Unknown email or wrong password: one code for both, so answers reveal nothing. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** A wrong, used, expired or exhausted code, or one presented with another state. */
  INVALID_CODE: 'INVALID_CODE',
  /** An unknown, consumed, expired refresh token, or one of a dead session. */
  INVALID_REFRESH_TOKEN: 'INVALID_REFRESH_TOKEN',
  /** An unknown, deleted or wrong client key. */
  INVALID_CLIENT: 'INVALID_CLIENT',
  /** A client key used against one of its access restrictions. */
  ACCESS_RESTRICTED: 'ACCESS_RESTRICTED',
  /**
   * A right login code for an address that hung, unverified, on an account proven by another address:
   * the address was released from that account (pre-hijacking, docs/security-rules.md §4) and can be registered now.
   */
  ADDRESS_RELEASED: 'ADDRESS_RELEASED',
  /** The account is banned. Only said to someone who proved the password or code. */
  ACCOUNT_DISABLED: 'ACCOUNT_DISABLED',
  /** Login needs a verified email (`requireVerifiedEmail`). */
  EMAIL_NOT_VERIFIED: 'EMAIL_NOT_VERIFIED',
  /** The address belongs to a user already. */
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  /** Removing these emails would leave the user with none. */
  LAST_EMAIL: 'LAST_EMAIL',
  /** The change would leave an organization without an owner. */
  LAST_OWNER: 'LAST_OWNER',
  /** The user is already a member of the organization. */
  ALREADY_MEMBER: 'ALREADY_MEMBER',
  /**
   * An invitation token that is unknown, expired, used, revoked or replaced, addressed to an address
   * the caller does not hold verified, or whose inviter can no longer grant its role: one code for
   * all, so the answer tells nobody without the address anything about the token.
   */
  INVALID_INVITATION: 'INVALID_INVITATION',
  /** The current password is missing or wrong. */
  INVALID_CURRENT_PASSWORD: 'INVALID_CURRENT_PASSWORD',
  /**
   * A sensitive action and a session authenticated longer ago than `reauthenticationMaxAgeMs`:
   * `POST /authn/reauthenticate` (a password or a fresh login code) proves the user again.
   */
  REAUTHENTICATION_REQUIRED: 'REAUTHENTICATION_REQUIRED',
  /**
   * The first factor of a login was right and the user has two-factor on: no session yet. The error
   * carries a single-use `challenge` token that `POST /authn/mfa` completes with a TOTP or a recovery
   * code (docs/security-rules.md §4a).
   */
  MFA_REQUIRED: 'MFA_REQUIRED',
  /** An unknown, used, expired or exhausted two-factor challenge token. */
  INVALID_MFA_CHALLENGE: 'INVALID_MFA_CHALLENGE',
  /**
   * A wrong, replayed or already used second factor (TOTP or recovery code), or one missing where the
   * user's two-factor requires it (reauthentication, password reset).
   */
  INVALID_MFA_CODE: 'INVALID_MFA_CODE',
  /**
   * The user has two-factor on and the request gave no second factor where it is needed with the
   * first one (reauthentication, password reset): give `totp` or `recoveryCode` with it. Nothing was
   * checked or used up.
   */
  MFA_CODE_REQUIRED: 'MFA_CODE_REQUIRED',
  /** Two-factor is on already (enrolment), or not on (disabling, new recovery codes). */
  MFA_ALREADY_ENABLED: 'MFA_ALREADY_ENABLED',
  MFA_NOT_ENABLED: 'MFA_NOT_ENABLED',
  /**
   * The organization requires two-factor (`requireMfa`) and the caller's user has it off, or their
   * session was opened without the second factor (a reauthentication with `totp` fixes that).
   */
  MFA_REQUIRED_BY_ORGANIZATION: 'MFA_REQUIRED_BY_ORGANIZATION',
  /** The user already holds `maxUnverifiedEmailsPerUser` unverified addresses. */
  TOO_MANY_UNVERIFIED_EMAILS: 'TOO_MANY_UNVERIFIED_EMAILS',
  /** Too many attempts; `retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** An infrastructure failure (database down…). The message never carries internals. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERRORS)[keyof typeof ERRORS];

/** One problem with one input field; `path` is dotted (`restrictions.0.value`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The error value of every domain operation's `Result`. */
export interface AccountsError {
  code: ErrorCode;
  message: string;
  details?: FieldProblem[];
  /** For `RATE_LIMITED`: seconds until the limit lifts. */
  retryAfterSeconds?: number;
  /** For `MFA_REQUIRED` only: the single-use token `POST /authn/mfa` completes the login with. */
  challenge?: string;
}

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request has invalid fields.',
  WEAK_PASSWORD: 'The password does not meet the password policy.',
  UNAUTHENTICATED: 'Authentication is required.',
  INVALID_TOKEN: 'The access token is invalid or expired.',
  FORBIDDEN: 'You are not allowed to do this.',
  NOT_FOUND: 'Not found.',
  INVALID_CREDENTIALS: 'Invalid email or password.',
  INVALID_CODE: 'The code is invalid or expired.',
  INVALID_REFRESH_TOKEN: 'The refresh token is invalid or expired.',
  INVALID_CLIENT: 'The API key is invalid.',
  ACCESS_RESTRICTED: 'The API key may not be used for this request.',
  ADDRESS_RELEASED:
    'This address was not verified on the account holding it, which another address proves; it has been released and can be registered now.',
  ACCOUNT_DISABLED: 'This account is disabled.',
  EMAIL_NOT_VERIFIED: 'The email address must be verified first.',
  EMAIL_TAKEN: 'This email address is already in use.',
  LAST_EMAIL: 'A user must keep at least one login email.',
  LAST_OWNER: 'An organization must keep at least one owner.',
  ALREADY_MEMBER: 'The user is already a member of this organization.',
  INVALID_INVITATION:
    'The invitation is invalid or expired, or it is not addressed to a verified email address of yours.',
  INVALID_CURRENT_PASSWORD: 'The current password is missing or wrong.',
  REAUTHENTICATION_REQUIRED: 'This action needs a recent login: authenticate again first.',
  MFA_REQUIRED: 'A second factor is required: complete the login with a TOTP or a recovery code.',
  INVALID_MFA_CHALLENGE: 'The two-factor challenge is invalid or expired: log in again.',
  INVALID_MFA_CODE: 'The authenticator or recovery code is missing, wrong or already used.',
  MFA_CODE_REQUIRED: 'Two-factor authentication is on: give `totp` or `recoveryCode` too.',
  MFA_ALREADY_ENABLED: 'Two-factor authentication is already on; turn it off first.',
  MFA_NOT_ENABLED: 'Two-factor authentication is not on.',
  MFA_REQUIRED_BY_ORGANIZATION:
    'This organization requires two-factor authentication: turn it on, then log in with your second factor.',
  TOO_MANY_UNVERIFIED_EMAILS: 'Verify or remove some of your unverified addresses first.',
  RATE_LIMITED: 'Too many attempts. Try again later.',
  INTERNAL: 'Something went wrong on our side.',
};

/** Builds an `AccountsError`, with the code's default message unless one is given. */
export function accountsError(
  code: ErrorCode,
  extra: { message?: string; details?: FieldProblem[]; retryAfterSeconds?: number; challenge?: string } = {},
): AccountsError {
  const error: AccountsError = { code, message: extra.message ?? DEFAULT_MESSAGES[code] };
  if (extra.details) error.details = extra.details;
  if (extra.retryAfterSeconds !== undefined) error.retryAfterSeconds = extra.retryAfterSeconds;
  if (extra.challenge !== undefined && code === 'MFA_REQUIRED') error.challenge = extra.challenge;
  return error;
}

/** `Err(accountsError(...))`, the usual way a service reports an expected failure. */
export function fail(code: ErrorCode, extra?: Parameters<typeof accountsError>[1]): Err<AccountsError> {
  return Err(accountsError(code, extra));
}
