import { Ok } from 'ts-results';
import { ReauthenticateInput } from '../domain/reauthentication';
import {
  CodeLoginInput,
  LoginCodeRequestInput,
  LogoutInput,
  PasswordLoginInput,
  RefreshInput,
} from '../domain/sessions';
import { AccessTokenGrantView, JsonWebKeySetView, PublicSessionPageView, TokensView } from '../domain/views';
import {
  acceptedResponse,
  asInput,
  dataResponse,
  noContentResponse,
  pageQuery,
  pageResponse,
  userIdParam,
} from './respond';
import type { Action, DocumentedRoute } from './types';

/**
 * `POST /authn/password`: `{ email, password }`. 200 Tokens; 401 `INVALID_CREDENTIALS`; 401
 * `MFA_REQUIRED` with `challenge` for a user with two-factor (`POST /authn/mfa`); 429 past the limits.
 */
export const loginWithPassword: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.sessions.loginWithPassword(asInput<PasswordLoginInput>(body), info));

/** `POST /authn/email`: `{ email, state }`; a login code goes to a known address. 202 always. */
export const requestLoginCode: Action = async (accounts, { body, info }) =>
  acceptedResponse(await accounts.sessions.requestLoginCode(asInput<LoginCodeRequestInput>(body), info));

/** `POST /authn/code`: `{ code, state }`. 200 Tokens; 401 `INVALID_CODE` (a failed login, hence 401). */
export const loginWithCode: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.sessions.loginWithCode(asInput<CodeLoginInput>(body), info));

/** `POST /authn/refresh`: `{ refreshToken }`. 200 Tokens; 401 `INVALID_REFRESH_TOKEN`; reuse revokes the session. */
export const refreshTokens: Action = async (accounts, { body, info }) =>
  dataResponse(await accounts.sessions.refresh(asInput<RefreshInput>(body), info));

/**
 * `POST /authn/reauthenticate`: `{ password }` or `{ code, state }` (a login code requested for one of
 * the caller's verified addresses). 200 a new access token of the same session with a fresh
 * `auth_time`: the step-up that sensitive actions ask for with `REAUTHENTICATION_REQUIRED`.
 */
export const reauthenticate: Action = async (accounts, { body, caller, info }) =>
  dataResponse(await accounts.sessions.reauthenticate(caller, asInput<ReauthenticateInput>(body), info));

/** `POST /sessions/logout`: `{ all? }`; ends the current session, or all of the user's. 204. */
export const logout: Action = async (accounts, { body, caller }) =>
  noContentResponse(await accounts.sessions.logout(caller, asInput<LogoutInput>(body)));

/** `GET /users/:id/sessions`: the user's live sessions; self, employees, sysadmins. */
export const listSessions: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return pageResponse(await accounts.sessions.list(request.caller, userId.val, pageQuery(request)));
};

/** `DELETE /users/:id/sessions`: every session of the user; self or sysadmin. 204. */
export const revokeUserSessions: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return noContentResponse(await accounts.sessions.revokeAll(request.caller, userId.val));
};

/** `DELETE /sessions/:id`: the session's owner or a sysadmin. 204. */
export const revokeSession: Action = async (accounts, { params, caller }) =>
  noContentResponse(await accounts.sessions.revoke(caller, params.id));

/** `GET /.well-known/jwks.json`: the bare JWKS (no `data` envelope), empty `keys` with HS256. */
export const getJwks: Action = async (accounts) =>
  Ok({
    status: 200,
    // Public keys: caches may keep them a while, and verifiers refetch on an unknown `kid`.
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    },
    body: accounts.jwks(),
  });

const STATE_EXAMPLE = 'c0ffee00c0ffee00c0ffee00c0ffee00';

export const sessionRoutes: DocumentedRoute[] = [
  {
    method: 'POST',
    path: '/authn/password',
    body: 'json',
    action: loginWithPassword,
    docs: {
      summary: 'Log in with an email and a password',
      who: 'anyone',
      callers: 'anyone',
      request: PasswordLoginInput,
      example: { email: 'ada@example.com', password: 'correct horse battery staple' },
      success: { status: 200, description: 'An access and a refresh token.', data: TokensView },
      errors: ['INVALID_CREDENTIALS', 'ACCOUNT_DISABLED', 'EMAIL_NOT_VERIFIED', 'MFA_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/authn/email',
    body: 'json',
    action: requestLoginCode,
    docs: {
      summary: 'Email a login code to a known address',
      who: 'anyone',
      callers: 'anyone',
      request: LoginCodeRequestInput,
      example: { email: 'ada@example.com', state: STATE_EXAMPLE },
      success: { status: 202, description: 'Accepted, whether or not the address is known: `{ "data": null }`.' },
    },
  },
  {
    method: 'POST',
    path: '/authn/code',
    body: 'json',
    action: loginWithCode,
    statusOverrides: { INVALID_CODE: 401 },
    docs: {
      summary: 'Log in with an emailed code and its state',
      who: 'anyone',
      callers: 'anyone',
      request: CodeLoginInput,
      example: { code: '123456', state: STATE_EXAMPLE },
      success: { status: 200, description: 'An access and a refresh token.', data: TokensView },
      errors: ['INVALID_CODE', 'ACCOUNT_DISABLED', 'ADDRESS_RELEASED', 'MFA_REQUIRED'],
    },
  },
  {
    method: 'POST',
    path: '/authn/refresh',
    body: 'json',
    action: refreshTokens,
    docs: {
      summary: 'Trade a refresh token for new tokens; a reused one revokes its session',
      who: 'anyone',
      callers: 'anyone',
      request: RefreshInput,
      example: { refreshToken: 'rt_…' },
      success: { status: 200, description: 'New tokens.', data: TokensView },
      errors: ['INVALID_REFRESH_TOKEN'],
    },
  },
  {
    method: 'POST',
    path: '/authn/reauthenticate',
    body: 'json',
    action: reauthenticate,
    // 403 like INVALID_CURRENT_PASSWORD: the session is fine; a 401 would send clients to log in anew.
    statusOverrides: { INVALID_MFA_CODE: 403 },
    docs: {
      summary:
        'Prove the signed-in user again (password, a fresh login code, or a TOTP/recovery code; with two-factor on, a second factor is required): step-up for sensitive actions',
      who: 'user',
      callers: 'user',
      request: ReauthenticateInput,
      example: { password: 'correct horse battery staple' },
      success: {
        status: 200,
        description: 'A new access token of the same session, with a fresh `auth_time`.',
        data: AccessTokenGrantView,
      },
      errors: ['INVALID_CURRENT_PASSWORD', 'INVALID_CODE', 'INVALID_MFA_CODE', 'MFA_CODE_REQUIRED', 'MFA_NOT_ENABLED'],
    },
  },
  {
    method: 'POST',
    path: '/sessions/logout',
    body: 'json',
    action: logout,
    docs: {
      summary: 'End the current session, or all of the user’s with `all`',
      who: 'user',
      callers: 'user',
      request: LogoutInput,
      example: { all: true },
      success: { status: 204, description: 'Logged out.' },
    },
  },
  {
    method: 'GET',
    path: '/users/:id/sessions',
    body: 'none',
    action: listSessions,
    docs: {
      summary: 'List a user’s live sessions',
      who: 'self, employee, sysadmin',
      callers: 'caller',
      success: { status: 200, description: 'A page of the sessions, newest first.', page: PublicSessionPageView },
    },
  },
  {
    method: 'DELETE',
    path: '/users/:id/sessions',
    body: 'none',
    action: revokeUserSessions,
    docs: {
      summary: 'End every session of a user (the credentials stay)',
      who: 'self, sysadmin',
      callers: 'caller',
      success: { status: 204, description: 'Every session ended.' },
    },
  },
  {
    method: 'DELETE',
    path: '/sessions/:id',
    body: 'none',
    action: revokeSession,
    docs: {
      summary: 'End one session',
      who: 'owner of the session, sysadmin',
      callers: 'caller',
      success: { status: 204, description: 'Ended.' },
    },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    body: 'none',
    action: getJwks,
    docs: {
      summary: 'The public keys access tokens are signed with',
      who: 'anyone',
      callers: 'anyone',
      success: {
        status: 200,
        description: 'A bare JWKS (no `data` envelope); `keys` is empty with a symmetric algorithm.',
        bare: JsonWebKeySetView,
      },
    },
  },
];
