import { Ok } from 'ts-results';
import { createHandlers, toFetchHandler } from '../../src/handlers';
import { stubAccounts } from './stub-accounts';

const register = jest.fn(async (input: unknown, info: unknown) => Ok({ input, info }));
const handlers = createHandlers(stubAccounts({ users: { register } }).accounts, { bodyLimitBytes: 1024 });
const handle = toFetchHandler(handlers, { basePath: '/accounts' });

beforeEach(() => register.mockClear());

describe('toFetchHandler', () => {
  it('serves a route from a standard Request, with the given peer address', async () => {
    const request = new Request('http://localhost/accounts/users?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'fetch-test' },
      body: JSON.stringify({ name: 'Ada' }),
    });
    const response = await handle(request, '192.0.2.5');
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      data: { input: { name: 'Ada' }, info: { ip: '192.0.2.5', userAgent: 'fetch-test', clientId: null } },
    });
  });

  it('answers 413 for a streamed body over the limit without calling the service', async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i += 1) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
        controller.close();
      },
    });
    const request = new Request('http://localhost/accounts/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const response = await handle(request);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(register).not.toHaveBeenCalled();
  });

  it('answers 404 outside the base path and serves inside it', async () => {
    expect((await handle(new Request('http://localhost/users', { method: 'POST' }))).status).toBe(404);
    const jwks = await handle(new Request('http://localhost/accounts/.well-known/jwks.json'));
    expect(await jwks.json()).toEqual({ keys: [] });
  });

  it('answers HEAD as GET without the body, keeping its length', async () => {
    const get = await handle(new Request('http://localhost/accounts/.well-known/jwks.json'));
    const head = await handle(new Request('http://localhost/accounts/.well-known/jwks.json', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    expect(head.headers.get('content-length')).toBe(String((await get.text()).length));
    expect(await head.text()).toBe('');
  });

  it('answers the 404 envelope for a path that does not percent-decode', async () => {
    const response = await handle(new Request('http://localhost/accounts/users/%FF'));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it("takes no address from a second argument that is not one (Hono's app.mount passes its bindings)", async () => {
    const request = new Request('http://localhost/accounts/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const bindings = { incoming: {} } as unknown as string;
    const response = await handle(request, bindings);
    expect(await response.json()).toMatchObject({ data: { info: { ip: null } } });
  });
});
