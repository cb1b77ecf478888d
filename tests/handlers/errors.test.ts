import { ERRORS } from '../../src/domain/errors';
import { errorResponse, HTTP_ERRORS, httpError, httpStatusOf, internalErrorResponse } from '../../src/handlers/errors';

describe('httpStatusOf', () => {
  it.each([
    ['VALIDATION_FAILED', 400],
    ['WEAK_PASSWORD', 400],
    ['INVALID_CODE', 400],
    ['INVALID_JSON', 400],
    ['UNAUTHENTICATED', 401],
    ['INVALID_TOKEN', 401],
    ['INVALID_CREDENTIALS', 401],
    ['INVALID_REFRESH_TOKEN', 401],
    ['INVALID_CLIENT', 401],
    ['FORBIDDEN', 403],
    ['ACCESS_RESTRICTED', 403],
    ['ACCOUNT_DISABLED', 403],
    ['EMAIL_NOT_VERIFIED', 403],
    ['INVALID_CURRENT_PASSWORD', 403],
    ['NOT_FOUND', 404],
    ['METHOD_NOT_ALLOWED', 405],
    ['EMAIL_TAKEN', 409],
    ['LAST_EMAIL', 409],
    ['LAST_OWNER', 409],
    ['ALREADY_MEMBER', 409],
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['RATE_LIMITED', 429],
    ['INTERNAL', 500],
  ] as const)('maps %s to %i', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });

  it('has a status below 500 for every expected domain and HTTP error', () => {
    const codes = [...Object.values(ERRORS), ...Object.values(HTTP_ERRORS)].filter((code) => code !== 'INTERNAL');
    for (const code of codes) expect(httpStatusOf(code)).toBeLessThan(500);
  });
});

describe('errorResponse', () => {
  it('wraps the error in the documented envelope', () => {
    const response = errorResponse({
      code: 'VALIDATION_FAILED',
      message: 'bad',
      details: [{ path: 'email', message: 'is required' }],
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: 'bad', details: [{ path: 'email', message: 'is required' }] },
    });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('leaves out empty details and any field beyond code, message and details', () => {
    const response = errorResponse({ code: 'RATE_LIMITED', message: 'slow down', details: [], retryAfterSeconds: 3 });
    expect(response.body).toEqual({ error: { code: 'RATE_LIMITED', message: 'slow down' } });
  });

  it('says when to retry a rate-limited request, in whole seconds', () => {
    expect(errorResponse({ code: 'RATE_LIMITED', message: 'x', retryAfterSeconds: 2.2 }).headers['retry-after']).toBe(
      '3',
    );
    expect(errorResponse({ code: 'RATE_LIMITED', message: 'x' }).headers['retry-after']).toBe('1');
  });

  it('challenges for a bearer token on 401s about tokens', () => {
    expect(errorResponse({ code: 'INVALID_TOKEN', message: 'x' }).headers['www-authenticate']).toBe(
      'Bearer error="invalid_token"',
    );
    expect(errorResponse({ code: 'UNAUTHENTICATED', message: 'x' }).headers['www-authenticate']).toBe('Bearer');
  });

  it('takes a status override for routes where a code means something else', () => {
    expect(errorResponse({ code: 'INVALID_CODE', message: 'x' }, 401).status).toBe(401);
  });

  it('gives HTTP-layer errors a default message', () => {
    expect(errorResponse(httpError('UNSUPPORTED_MEDIA_TYPE')).body).toEqual({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/json') },
    });
  });

  it('answers a 500 with a fixed message', () => {
    expect(internalErrorResponse()).toMatchObject({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } },
    });
  });
});
