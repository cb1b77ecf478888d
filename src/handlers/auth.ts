import { Err, Ok, type Result } from 'ts-results';
import type { Accounts } from '../domain/accounts';
import type { Caller } from '../domain/context';
import { type AccountsError, accountsError } from '../domain/errors';
import { headerValue } from './request';
import type { HttpHeaders } from './types';

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, then a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** Longer than any token we sign; refused before any parsing work. */
const MAX_CREDENTIAL_LENGTH = 4096;

export interface CredentialContext {
  /** The caller's address (see `clientAddress`), for `ip` restrictions. */
  ip: string | null;
  /** The API name of this mount, for `api` restrictions. */
  apiName: string;
}

/**
 * Builds the caller from the request's credentials: the one place where `Authorization` and
 * `X-Api-Key` are read. A credential that is present but invalid fails the request, whatever the
 * route (docs/http.md): a client must learn that its token expired rather than be served as anonymous.
 * Tokens are validated strictly (session live, user active), so a logout takes effect at once.
 */
export async function authenticateCaller(
  accounts: Accounts,
  headers: HttpHeaders,
  context: CredentialContext,
): Promise<Result<Caller, AccountsError>> {
  const caller: Caller = {};

  const authorization = headerValue(headers, 'authorization');
  if (authorization !== null) {
    const token = authorization.length <= MAX_CREDENTIAL_LENGTH ? BEARER.exec(authorization)?.[1] : undefined;
    if (token === undefined) return Err(accountsError('INVALID_TOKEN'));
    const user = await accounts.sessions.authenticate(token);
    if (user.err) return user;
    caller.user = user.val;
  }

  const apiKey = headerValue(headers, 'x-api-key');
  if (apiKey !== null) {
    const key = apiKey.trim();
    if (key === '' || key.length > MAX_CREDENTIAL_LENGTH) return Err(accountsError('INVALID_CLIENT'));
    const client = await accounts.clients.authenticate(key, {
      ip: context.ip,
      origin: headerValue(headers, 'origin'),
      api: context.apiName,
    });
    if (client.err) return client;
    caller.client = client.val;
  }

  return Ok(caller);
}
