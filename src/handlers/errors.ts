import { type AccountsError, accountsError, type ErrorCode, type FieldProblem } from '../domain/errors';
import type { HttpResponse } from './types';

/**
 * Failures that exist only over HTTP, before any service runs. With `ERRORS` they make the closed set
 * of codes an HTTP caller can see.
 */
export const HTTP_ERRORS = {
  /** The body is not valid JSON (or not UTF-8). */
  INVALID_JSON: 'INVALID_JSON',
  /** A body was sent with a content type other than `application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** The body is larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The path exists, the method does not (the `Allow` header lists those that do). */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
} as const;

export type HttpErrorCode = (typeof HTTP_ERRORS)[keyof typeof HTTP_ERRORS];

/** Every code an error envelope may carry. */
export type ResponseErrorCode = ErrorCode | HttpErrorCode;

/**
 * An error as sent: `{ error: { code, message, details? } }`; `MFA_REQUIRED` alone also carries
 * `challenge`, the token `POST /authn/mfa` completes the login with.
 */
export interface ErrorEnvelope {
  error: { code: ResponseErrorCode; message: string; details?: FieldProblem[]; challenge?: string };
}

const STATUS: Record<ResponseErrorCode, number> = {
  VALIDATION_FAILED: 400,
  WEAK_PASSWORD: 400,
  // 400 where a code is checked on its own (`/emails/verify`); the login route says 401 itself.
  INVALID_CODE: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  INVALID_CLIENT: 401,
  // The token is valid, its login is old: clients reauthenticate (not log in anew) and retry.
  REAUTHENTICATION_REQUIRED: 401,
  FORBIDDEN: 403,
  ACCESS_RESTRICTED: 403,
  ACCOUNT_DISABLED: 403,
  EMAIL_NOT_VERIFIED: 403,
  // 403, not 401: the caller's token is fine (a 401 would tell clients to log in again); what is
  // missing is proof of the current password for this one action.
  INVALID_CURRENT_PASSWORD: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  LAST_EMAIL: 409,
  LAST_OWNER: 409,
  ALREADY_MEMBER: 409,
  // Like INVALID_CODE on /emails/verify: the token in the body is what is wrong.
  INVALID_INVITATION: 400,
  // The code was right and the address is free now: a conflict with the account that held it.
  ADDRESS_RELEASED: 409,
  TOO_MANY_UNVERIFIED_EMAILS: 409,
  // The password or code was right; the login is not complete. 401: no credential works yet.
  MFA_REQUIRED: 401,
  INVALID_MFA_CHALLENGE: 401,
  INVALID_MFA_CODE: 401,
  // Like INVALID_CURRENT_PASSWORD: the token is fine, this one action wants more proof in the body.
  MFA_CODE_REQUIRED: 400,
  MFA_ALREADY_ENABLED: 409,
  MFA_NOT_ENABLED: 409,
  MFA_REQUIRED_BY_ORGANIZATION: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};

const HTTP_MESSAGES: Record<HttpErrorCode, string> = {
  INVALID_JSON: 'The request body is not valid JSON.',
  UNSUPPORTED_MEDIA_TYPE: 'Request bodies must be JSON (Content-Type: application/json).',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  METHOD_NOT_ALLOWED: 'This method is not allowed on this path.',
};

/** The HTTP status of an error code: the one place where `AccountsError` meets HTTP. */
export function httpStatusOf(code: ResponseErrorCode): number {
  return STATUS[code] ?? 500;
}

/** An error of the HTTP layer itself, with its default message. */
export function httpError(code: HttpErrorCode): { code: HttpErrorCode; message: string } {
  return { code, message: HTTP_MESSAGES[code] };
}

/** The error response of a domain or HTTP error; `status` overrides the code's usual status. */
export function errorResponse(
  error: AccountsError | { code: HttpErrorCode; message: string; details?: FieldProblem[] },
  status: number = httpStatusOf(error.code),
): HttpResponse {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  const retryAfter = (error as AccountsError).retryAfterSeconds;
  if (error.code === 'RATE_LIMITED') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter ?? 1)));
  if (error.code === 'INVALID_TOKEN') headers['www-authenticate'] = 'Bearer error="invalid_token"';
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer';
  const body: ErrorEnvelope = { error: { code: error.code, message: error.message } };
  if (error.details && error.details.length > 0) body.error.details = error.details;
  const { challenge } = error as AccountsError;
  if (error.code === 'MFA_REQUIRED' && challenge !== undefined) body.error.challenge = challenge;
  return { status, headers, body };
}

/** The 500 answer: a fixed message, never the error's own (it may hold SQL, paths or values). */
export function internalErrorResponse(): HttpResponse {
  return errorResponse(accountsError('INTERNAL'));
}

/**
 * Headers of every JSON answer. `no-store` because answers carry tokens, keys and personal data that
 * no cache may keep (RFC 6749 §5.1 requires it for tokens).
 */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});
