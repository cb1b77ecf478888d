import { Ok } from 'ts-results';
import type {
  CodeLoginInput,
  LoginCodeRequestInput,
  LogoutInput,
  PasswordLoginInput,
  RefreshInput,
} from '../domain/sessions';
import { acceptedResponse, asInput, dataResponse, noContentResponse, userIdParam } from './respond';
import type { Action, RouteDefinition } from './types';

/** `POST /authn/password`: `{ email, password }`. 200 Tokens; 401 `INVALID_CREDENTIALS`; 429 past the limits. */
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

/** `POST /sessions/logout`: `{ all? }`; ends the current session, or all of the user's. 204. */
export const logout: Action = async (accounts, { body, caller }) =>
  noContentResponse(await accounts.sessions.logout(caller, asInput<LogoutInput>(body)));

/** `GET /users/:id/sessions`: the user's live sessions; self, employees, sysadmins. */
export const listSessions: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return dataResponse(await accounts.sessions.list(request.caller, userId.val));
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

export const sessionRoutes: RouteDefinition[] = [
  { method: 'POST', path: '/authn/password', body: 'json', action: loginWithPassword },
  { method: 'POST', path: '/authn/email', body: 'json', action: requestLoginCode },
  { method: 'POST', path: '/authn/code', body: 'json', action: loginWithCode, statusOverrides: { INVALID_CODE: 401 } },
  { method: 'POST', path: '/authn/refresh', body: 'json', action: refreshTokens },
  { method: 'POST', path: '/sessions/logout', body: 'json', action: logout },
  { method: 'GET', path: '/users/:id/sessions', body: 'none', action: listSessions },
  { method: 'DELETE', path: '/users/:id/sessions', body: 'none', action: revokeUserSessions },
  { method: 'DELETE', path: '/sessions/:id', body: 'none', action: revokeSession },
  { method: 'GET', path: '/.well-known/jwks.json', body: 'none', action: getJwks },
];
