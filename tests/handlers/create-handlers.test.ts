import { Ok } from 'ts-results';
import { fail } from '../../src/domain/errors';
import { createHandlers } from '../../src/handlers';
import type { ErrorOnlyLogger } from '../../src/handlers/logger';
import { call, dataOf, errorOf, expectError } from './helpers';
import { GOOD_KEY, GOOD_TOKEN, RESTRICTED_KEY, STUB_CLIENT, STUB_USER, stubAccounts } from './stub-accounts';

function recordingLogger(): ErrorOnlyLogger & { calls: [string, Record<string, unknown>][] } {
  const calls: [string, Record<string, unknown>][] = [];
  return { calls, error: (message, meta) => calls.push([message, meta]) };
}

describe('createHandlers: request hygiene', () => {
  const register = jest.fn(async (input: unknown) => Ok({ id: 'usr_new', input }));
  const { accounts } = stubAccounts({ users: { register } });
  const handlers = createHandlers(accounts, { bodyLimitBytes: 1000 });

  beforeEach(() => register.mockClear());

  it('passes the parsed JSON body to the service and answers 201 { data }', async () => {
    const response = await call(handlers, 'POST', '/users', { json: { name: 'Ada', email: 'ada@example.com' } });
    expect(response.status).toBe(201);
    expect(dataOf(response)).toEqual({ id: 'usr_new', input: { name: 'Ada', email: 'ada@example.com' } });
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON', async () => {
    const response = await call(handlers, 'POST', '/users', {
      raw: 'name=Ada',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(register).not.toHaveBeenCalled();
  });

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const response = await call(handlers, 'POST', '/users', {
      raw: '{"name": "Ada",',
      headers: { 'content-type': 'application/json' },
    });
    expectError(response, 400, 'INVALID_JSON');
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const response = await call(handlers, 'POST', '/users', { json: { name: 'x'.repeat(2000) } });
    expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(register).not.toHaveBeenCalled();
  });

  it('gives an empty body to the service as an empty object', async () => {
    await call(handlers, 'POST', '/users');
    expect(register).toHaveBeenCalledWith({}, expect.anything());
  });

  it('refuses fields sent to a route that takes none, naming them', async () => {
    const response = await call(handlers, 'GET', '/.well-known/jwks.json', { json: { foo: 1 } });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(errorOf(response).details).toEqual([{ path: 'foo', message: 'is not a known field' }]);
  });

  it('answers the bare JWKS without an envelope, cacheable', async () => {
    const response = await call(handlers, 'GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ keys: [] });
    expect(response.headers['cache-control']).toMatch(/max-age/);
  });

  it('answers 404 NOT_FOUND for an unknown route and 405 with Allow for a wrong method', async () => {
    expectError(await call(handlers, 'GET', '/nowhere'), 404, 'NOT_FOUND');
    const wrongMethod = await call(handlers, 'PUT', '/users');
    expectError(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('marks every JSON answer no-store', async () => {
    const response = await call(handlers, 'POST', '/users', { json: {} });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('createHandlers: credentials', () => {
  const get = jest.fn(async (caller: unknown, userId: string) => Ok({ caller, userId }));
  const { accounts, keyRequests } = stubAccounts({ users: { get } });
  const handlers = createHandlers(accounts, { apiName: 'billing', trustProxy: true });

  beforeEach(() => {
    get.mockClear();
    keyRequests.length = 0;
  });

  it('builds the caller from a valid bearer token and a valid key together', async () => {
    const response = await call(handlers, 'GET', '/users/usr_9', { token: GOOD_TOKEN, apiKey: GOOD_KEY });
    expect(dataOf(response)).toEqual({ caller: { user: STUB_USER, client: STUB_CLIENT }, userId: 'usr_9' });
  });

  it('resolves `me` to the calling user', async () => {
    const response = await call(handlers, 'GET', '/users/me', { token: GOOD_TOKEN });
    expect(dataOf(response)).toMatchObject({ userId: STUB_USER.id });
  });

  it('answers 401 UNAUTHENTICATED for `me` without a user, even with a valid key', async () => {
    expectError(await call(handlers, 'GET', '/users/me'), 401, 'UNAUTHENTICATED');
    expectError(await call(handlers, 'GET', '/users/me', { apiKey: GOOD_KEY }), 401, 'UNAUTHENTICATED');
    expect(get).not.toHaveBeenCalled();
  });

  it.each([
    ['an unknown token', `Bearer nope`],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an empty bearer', 'Bearer '],
    ['a token with spaces', `Bearer ${GOOD_TOKEN} extra`],
    ['two tokens', [`Bearer ${GOOD_TOKEN}`, `Bearer ${GOOD_TOKEN}`]],
    ['an enormous header', `Bearer ${'a'.repeat(10_000)}`],
  ])('answers 401 INVALID_TOKEN for %s, even on a route open to anyone', async (_case, authorization) => {
    const response = await call(handlers, 'GET', '/.well-known/jwks.json', { headers: { authorization } });
    expectError(response, 401, 'INVALID_TOKEN');
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it.each([
    ['a body that is not JSON', { raw: '{nope', headers: { 'content-type': 'application/json' } }],
    ['a wrong content type', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }],
    [
      'an oversized body',
      { raw: JSON.stringify({ name: 'x'.repeat(200_000) }), headers: { 'content-type': 'application/json' } },
    ],
  ])('answers 401 for an invalid token before looking at %s', async (_case, request) => {
    const response = await call(handlers, 'POST', '/users', {
      raw: request.raw,
      headers: { ...request.headers, authorization: 'Bearer nope' },
    });
    expectError(response, 401, 'INVALID_TOKEN');
    expectError(
      await call(handlers, 'POST', '/users', {
        raw: request.raw,
        headers: { ...request.headers, 'x-api-key': 'ak_wrong' },
      }),
      401,
      'INVALID_CLIENT',
    );
  });

  it('accepts the scheme in any case', async () => {
    const response = await call(handlers, 'GET', '/users/me', { headers: { authorization: `bearer ${GOOD_TOKEN}` } });
    expect(response.status).toBe(200);
  });

  it('answers 401 INVALID_CLIENT for a wrong or empty key, on any route', async () => {
    expectError(await call(handlers, 'POST', '/users', { apiKey: 'ak_wrong' }), 401, 'INVALID_CLIENT');
    expectError(await call(handlers, 'GET', '/.well-known/jwks.json', { apiKey: '' }), 401, 'INVALID_CLIENT');
  });

  it('answers 403 ACCESS_RESTRICTED for a key used against its restrictions', async () => {
    expectError(
      await call(handlers, 'GET', '/.well-known/jwks.json', { apiKey: RESTRICTED_KEY }),
      403,
      'ACCESS_RESTRICTED',
    );
  });

  it('checks a key against the address, the Origin and the mount API name', async () => {
    await call(handlers, 'GET', '/users/u', {
      apiKey: GOOD_KEY,
      remoteAddress: '10.0.0.1',
      headers: { origin: 'https://app.example.com', 'x-forwarded-for': '198.51.100.4' },
    });
    expect(keyRequests).toEqual([{ ip: '198.51.100.4', origin: 'https://app.example.com', api: 'billing' }]);
  });

  it('passes a null Origin when the request has none', async () => {
    await call(handlers, 'GET', '/users/u', { apiKey: GOOD_KEY, remoteAddress: '10.0.0.1' });
    expect(keyRequests[0]).toEqual({ ip: '10.0.0.1', origin: null, api: 'billing' });
  });
});

describe('createHandlers: request info', () => {
  it('gives the services the address, user agent and client of the request', async () => {
    const loginWithPassword = jest.fn(async () => fail('INVALID_CREDENTIALS'));
    const { accounts } = stubAccounts({ sessions: { loginWithPassword } });
    const handlers = createHandlers(accounts);
    const response = await call(handlers, 'POST', '/authn/password', {
      json: { email: 'a@example.com', password: 'x' },
      apiKey: GOOD_KEY,
      remoteAddress: '::ffff:192.0.2.1',
      headers: { 'user-agent': 'curl/8', 'x-forwarded-for': '198.51.100.4' },
    });
    expectError(response, 401, 'INVALID_CREDENTIALS');
    expect(loginWithPassword).toHaveBeenCalledWith(
      { email: 'a@example.com', password: 'x' },
      { ip: '192.0.2.1', userAgent: 'curl/8', clientId: STUB_CLIENT.id },
    );
  });
});

describe('createHandlers: errors', () => {
  it('maps domain errors through httpStatusOf, keeping their details', async () => {
    const register = async () =>
      fail('VALIDATION_FAILED', { details: [{ path: 'email', message: 'must be a valid email address' }] });
    const handlers = createHandlers(stubAccounts({ users: { register } }).accounts);
    const response = await call(handlers, 'POST', '/users', { json: { email: 'x' } });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(errorOf(response).details).toEqual([{ path: 'email', message: 'must be a valid email address' }]);
  });

  it('answers INVALID_CODE with 401 on a code login but 400 on email verification', async () => {
    const invalid = async () => fail('INVALID_CODE');
    const handlers = createHandlers(
      stubAccounts({ sessions: { loginWithCode: invalid }, emails: { verify: invalid } }).accounts,
    );
    expectError(await call(handlers, 'POST', '/authn/code', { json: {} }), 401, 'INVALID_CODE');
    expectError(await call(handlers, 'POST', '/emails/verify', { json: {} }), 400, 'INVALID_CODE');
  });

  it('answers 429 with Retry-After when a service is rate limited', async () => {
    const loginWithPassword = async () => fail('RATE_LIMITED', { retryAfterSeconds: 42 });
    const handlers = createHandlers(stubAccounts({ sessions: { loginWithPassword } }).accounts);
    const response = await call(handlers, 'POST', '/authn/password', { json: {} });
    expectError(response, 429, 'RATE_LIMITED');
    expect(response.headers['retry-after']).toBe('42');
  });

  it('turns a thrown error into a bare 500, logged once without the request', async () => {
    const failure = new Error('ER_LOCK_DEADLOCK: insert into `users` (`password_hash`) values (?)');
    const register = async () => {
      throw failure;
    };
    const logger = recordingLogger();
    const handlers = createHandlers(stubAccounts({ users: { register } }).accounts, { logger });
    const response = await call(handlers, 'POST', '/users', { json: { password: 'hunter2-secret' }, token: undefined });
    expectError(response, 500, 'INTERNAL');
    expect(JSON.stringify(response.body)).not.toMatch(/ER_LOCK|insert|users|stack/);
    expect(logger.calls).toHaveLength(1);
    expect(logger.calls[0][1]).toEqual({ errorName: 'Error', errorMessage: failure.message });
    expect(JSON.stringify(logger.calls)).not.toContain('hunter2-secret');
  });

  it('answers an INTERNAL result with a 500 and logs it once', async () => {
    const register = async () => fail('INTERNAL');
    const logger = recordingLogger();
    const response = await call(
      createHandlers(stubAccounts({ users: { register } }).accounts, { logger }),
      'POST',
      '/users',
    );
    expectError(response, 500, 'INTERNAL');
    expect(logger.calls).toEqual([
      ['accounts-module: POST /users failed', { errorName: 'AccountsError', code: 'INTERNAL' }],
    ]);
  });

  it('turns a failure while authenticating into a 500 as well', async () => {
    const { accounts } = stubAccounts();
    (accounts.sessions as unknown as { authenticate: () => Promise<never> }).authenticate = async () => {
      throw new Error('connection lost');
    };
    const logger = recordingLogger();
    const response = await call(createHandlers(accounts, { logger }), 'GET', '/users/me', { token: 'any' });
    expectError(response, 500, 'INTERNAL');
    expect(logger.calls).toHaveLength(1);
    expect(JSON.stringify(logger.calls)).not.toContain('Bearer');
  });
});

describe('createHandlers: options', () => {
  it('refuses a body limit that is not a whole number of bytes', () => {
    expect(() => createHandlers(stubAccounts().accounts, { bodyLimitBytes: Number.NaN })).toThrow(/bodyLimitBytes/);
  });

  it('offers one route per row of the contract, each with a handler', () => {
    const { routes } = createHandlers(stubAccounts().accounts);
    // The 35 rows of HTTP.md, DELETE /users/:id/sessions (docs/http.md: ASVS 7.4.5), GET /openapi.json,
    // the 6 routes of organization invitations, 2 of password reset and the reauthentication, and the 5
    // of two-factor (enrol, confirm, disable, recovery codes, POST /authn/mfa), and the 2 event trails.
    expect(routes).toHaveLength(37 + 6 + 3 + 5 + 2);
    expect(new Set(routes.map((route) => `${route.method} ${route.path}`)).size).toBe(37 + 6 + 3 + 5 + 2);
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('GET /organizations/:id/events');
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('POST /authn/mfa');
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('POST /invitations/accept');
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('GET /openapi.json');
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('DELETE /users/:id/sessions');
  });
});
