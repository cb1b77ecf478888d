import {
  createServer,
  type IncomingMessage,
  request as nodeRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createExpressApp } from '../../examples/express';
import { createFastifyApp } from '../../examples/fastify';
import { createHonoApp } from '../../examples/hono';
import { type AccountsHandlers, createHandlers, toNodeListener } from '../../src/handlers';
import { makeWorld, STRONG_PASSWORD } from '../support/setup';

/**
 * The same short contract, over real HTTP, through each adapter mounted under `/accounts` in its real
 * framework (the example apps, so the documented one-liners are what is tested): every answer under
 * the mount is ours, and the application's own routes beside it are untouched.
 */

const LIMIT = 1024;

interface Mounted {
  root: string;
  close(): Promise<void>;
}

interface Mount {
  name: string;
  start(handlers: AccountsHandlers): Promise<Mounted>;
  /** Whether a path outside the mount reaches the framework's own 404 (node:http has no framework). */
  frameworkNotFound: boolean;
}

async function listening(server: Server): Promise<Mounted> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return {
    root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A plain node:http application: its own `POST /echo`, everything else to the accounts listener. */
function nodeApp(handlers: AccountsHandlers): Server {
  const accounts = toNodeListener(handlers, { basePath: '/accounts' });
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url !== '/echo') return accounts(request, response);
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ echo: JSON.parse(text) }));
    });
  });
}

const MOUNTS: Mount[] = [
  {
    name: 'node:http',
    start: (handlers) => listening(nodeApp(handlers).listen(0, '127.0.0.1')),
    frameworkNotFound: false,
  },
  {
    name: 'Express 5',
    start: (handlers) => listening(createExpressApp(handlers).listen(0, '127.0.0.1')),
    frameworkNotFound: true,
  },
  {
    name: 'Fastify 5',
    async start(handlers) {
      const app = createFastifyApp(handlers);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { root: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
    },
    frameworkNotFound: true,
  },
  {
    name: 'Hono 4',
    start: (handlers) =>
      listening(serve({ fetch: createHonoApp(handlers).fetch, port: 0, hostname: '127.0.0.1' }) as Server),
    frameworkNotFound: true,
  },
];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface SendOptions {
  headers?: Record<string, string>;
  json?: unknown;
  raw?: string;
  /** Written in pieces with no `Content-Length` (chunked), so only reading it finds its size. */
  chunks?: string[];
  token?: string;
}

/** One request over node:http, which sends HEAD, raw paths (`%FF`) and chunked bodies as given. */
function send(url: string, method: string, options: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.raw;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (options.chunks) headers['content-type'] ??= 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const request = nodeRequest(url, { method, headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on('error', reject);
    for (const chunk of options.chunks ?? []) request.write(chunk);
    request.end(body);
  });
}

/** The data of a success, failing the test with the answer otherwise. */
function dataOf<T>(reply: Reply, status: number): T {
  expect({ status: reply.status, text: reply.text }).toEqual({ status, text: expect.any(String) });
  return (JSON.parse(reply.text) as { data: T }).data;
}

/** Checks that an answer is exactly our error envelope, with our headers, and gives its code. */
function expectEnvelope(reply: Reply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(reply.headers['cache-control']).toBe('no-store');
  expect(reply.headers['x-powered-by']).toBeUndefined();
  const body = JSON.parse(reply.text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
}

describe.each(MOUNTS)('$name, mounted under /accounts', (mount) => {
  const world = makeWorld();
  const logged: string[] = [];
  let mounted: Mounted;
  let base = '';
  const at = (path: string) => `${base}${path}`;

  beforeAll(async () => {
    mounted = await mount.start(
      createHandlers(world.accounts, { bodyLimitBytes: LIMIT, logger: recordingLogger(logged) }),
    );
    base = `${mounted.root}/accounts`;
  });

  afterAll(() => mounted.close());

  afterEach(() => expect(logged).toEqual([]));

  it('registers a user, logs in with the password and reads /users/me with the bearer token', async () => {
    const email = `ada.${mount.name.replace(/\W/g, '')}@example.com`;
    const user = dataOf<{ id: string }>(
      await send(at('/users'), 'POST', { json: { name: 'Ada', email, password: STRONG_PASSWORD } }),
      201,
    );
    const tokens = dataOf<{ accessToken: string }>(
      await send(at('/authn/password'), 'POST', { json: { email, password: STRONG_PASSWORD } }),
      200,
    );
    const me = dataOf<{ id: string }>(await send(at('/users/me'), 'GET', { token: tokens.accessToken }), 200);
    expect(me.id).toBe(user.id);

    // HEAD on a GET route: GET's status and headers, its length included, and no body.
    const get = await send(at('/users/me'), 'GET', { token: tokens.accessToken });
    const head = await send(at('/users/me'), 'HEAD', { token: tokens.accessToken });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  it('hands the query string to list routes: limit and cursor page the list, a bad limit is 400', async () => {
    const email = `paged.${mount.name.replace(/\W/g, '')}@example.com`;
    dataOf(await send(at('/users'), 'POST', { json: { name: 'Ada', email, password: STRONG_PASSWORD } }), 201);
    for (let login = 0; login < 2; login++) {
      dataOf(await send(at('/authn/password'), 'POST', { json: { email, password: STRONG_PASSWORD } }), 200);
    }
    const { accessToken } = dataOf<{ accessToken: string }>(
      await send(at('/authn/password'), 'POST', { json: { email, password: STRONG_PASSWORD } }),
      200,
    );
    const first = await send(at('/users/me/sessions?limit=2'), 'GET', { token: accessToken });
    const page = JSON.parse(first.text) as { data: unknown[]; nextCursor: string | null };
    expect([first.status, page.data.length, typeof page.nextCursor]).toEqual([200, 2, 'string']);
    const next = await send(at(`/users/me/sessions?limit=2&cursor=${page.nextCursor}`), 'GET', { token: accessToken });
    expect(JSON.parse(next.text)).toEqual({ data: [expect.any(Object)], nextCursor: null });
    expectEnvelope(
      await send(at('/users/me/sessions?limit=0'), 'GET', { token: accessToken }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('answers 401 INVALID_TOKEN for a bad bearer token', async () => {
    const reply = await send(at('/users/me'), 'GET', { token: 'not-a-token' });
    expectEnvelope(reply, 401, 'INVALID_TOKEN');
    expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('answers 404 NOT_FOUND for unknown routes, the bare mount and over-long parameters', async () => {
    for (const path of ['/nowhere', '/users/me/nowhere', '', '/', `/users/${'a'.repeat(300)}`]) {
      expectEnvelope(await send(at(path), 'GET'), 404, 'NOT_FOUND');
    }
    const head = await send(at('/nowhere'), 'HEAD');
    expect([head.status, head.text]).toEqual([404, '']);
  });

  it('answers 405 METHOD_NOT_ALLOWED with Allow for a known path and another method', async () => {
    for (const method of ['DELETE', 'PUT', 'HEAD']) {
      const reply = await send(at('/organizations'), method);
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('POST');
      if (method !== 'HEAD') expectEnvelope(reply, 405, 'METHOD_NOT_ALLOWED');
    }
  });

  it('answers 404 NOT_FOUND for a path that does not percent-decode', async () => {
    for (const path of ['/users/%FF', '/users/%E0%A4%A', '/%zz', '/users/me%']) {
      expectEnvelope(await send(at(path), 'GET'), 404, 'NOT_FOUND');
    }
  });

  it('answers 415 for a body that is not JSON, 400 INVALID_JSON for broken JSON', async () => {
    const form = await send(at('/users'), 'POST', {
      raw: 'name=Ada',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectEnvelope(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const untyped = await send(at('/users'), 'POST', { raw: '{"name":"Ada"}' });
    expectEnvelope(untyped, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const broken = await send(at('/users'), 'POST', {
      raw: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expectEnvelope(broken, 400, 'INVALID_JSON');
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const declared = await send(at('/users'), 'POST', { json: { name: 'x'.repeat(LIMIT * 2) } });
    expectEnvelope(declared, 413, 'PAYLOAD_TOO_LARGE');
    const streamed = await send(at('/users'), 'POST', {
      chunks: ['{"name":"', 'x'.repeat(LIMIT), 'x'.repeat(LIMIT), '"}'],
    });
    expectEnvelope(streamed, 413, 'PAYLOAD_TOO_LARGE');
  });

  it("leaves the application's own routes outside the mount alone", async () => {
    const echo = await send(`${mounted.root}/echo`, 'POST', { json: { parsed: 'by the framework' } });
    expect(echo.status).toBe(200);
    expect(JSON.parse(echo.text)).toEqual({ echo: { parsed: 'by the framework' } });
    if (mount.frameworkNotFound) {
      for (const path of ['/elsewhere', '/accountsx/users']) {
        const elsewhere = await send(`${mounted.root}${path}`, 'GET');
        expect(elsewhere.status).toBe(404);
        expect(elsewhere.text).not.toContain('NOT_FOUND');
      }
    }
  });
});

/** A logger that keeps what it is told, so that a test can show nothing unexpected failed. */
function recordingLogger(logged: string[]) {
  const record = (fields: Record<string, unknown>, message: string) => {
    logged.push(`${message} ${JSON.stringify(fields)}`);
  };
  return { error: record, warn: record, info: () => undefined, debug: () => undefined };
}
