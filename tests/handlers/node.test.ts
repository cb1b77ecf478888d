import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ok } from 'ts-results';
import { createHandlers, toNodeListener } from '../../src/handlers';
import { stubAccounts } from './stub-accounts';

const register = jest.fn(async (input: unknown, info: unknown) => Ok({ input, info }));
const handlers = createHandlers(stubAccounts({ users: { register } }).accounts, { bodyLimitBytes: 1024 });

let server: Server;
let base: string;

async function listen(listener: Parameters<typeof createServer>[1]): Promise<[Server, string]> {
  const started = createServer(listener);
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  return [started, `http://127.0.0.1:${(started.address() as AddressInfo).port}`];
}

beforeAll(async () => {
  [server, base] = await listen(toNodeListener(handlers));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => register.mockClear());

/** Sends a request with a body written in chunks and no Content-Length (chunked encoding). */
function sendChunked(
  path: string,
  chunks: string[],
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

describe('toNodeListener', () => {
  it('serves a route with the JSON body, the socket address and the user agent', async () => {
    const response = await fetch(`${base}/users?ignored=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'node-test' },
      body: JSON.stringify({ name: 'Ada' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({
      data: { input: { name: 'Ada' }, info: { ip: '127.0.0.1', userAgent: 'node-test', clientId: null } },
    });
  });

  it('answers 413 from the declared length without calling the service', async () => {
    const response = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(5000) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(register).not.toHaveBeenCalled();
  });

  it('answers 413 for a streamed body as soon as it passes the limit, and closes the connection', async () => {
    const response = await sendChunked('/users', ['{"name":"', 'x'.repeat(800), 'x'.repeat(800), '"}']);
    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(register).not.toHaveBeenCalled();
  });

  it('accepts a streamed body within the limit', async () => {
    const response = await sendChunked('/users', ['{"name":', '"Ada"}']);
    expect(response.status).toBe(201);
  });

  it('refuses a request whose body another middleware already read, instead of waiting forever', async () => {
    const listener = toNodeListener(handlers);
    const [drained, drainedBase] = await listen((request, response) => {
      request.resume();
      request.on('end', () => listener(request, response));
    });
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const response = await fetch(`${drainedBase}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(500);
      expect(errors).toHaveBeenCalledWith(expect.stringMatching(/already read by another middleware/), {
        errorName: 'BodyAlreadyReadError',
      });
    } finally {
      errors.mockRestore();
      await new Promise((resolve) => drained.close(resolve));
    }
  });

  it('answers 404 NOT_FOUND for an unknown path', async () => {
    const unknown = await fetch(`${base}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('serves under a base path and nothing outside it', async () => {
    const [mounted, mountedBase] = await listen(toNodeListener(handlers, { basePath: '/accounts/' }));
    try {
      expect((await fetch(`${mountedBase}/accounts/.well-known/jwks.json`)).status).toBe(200);
      expect((await fetch(`${mountedBase}/.well-known/jwks.json`)).status).toBe(404);
      expect((await fetch(`${mountedBase}/accountsx/.well-known/jwks.json`)).status).toBe(404);
    } finally {
      await new Promise((resolve) => mounted.close(resolve));
    }
  });
});
