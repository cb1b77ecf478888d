import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverOptionsFromEnv, startServer } from '../../examples/server-app';

/** examples/server-app.ts in-process: how the environment configures the example server. */
describe('serverOptionsFromEnv', () => {
  it('reads the variables of the contract', () => {
    expect(
      serverOptionsFromEnv({
        PORT: '8080',
        HOST: '0.0.0.0',
        DATABASE_URL: 'mysql://u@db/accounts',
        ACCOUNTS_JWT_SECRET: 's',
        ACCOUNTS_DEV_OUTBOX: 'outbox.jsonl',
        ACCOUNTS_BCRYPT_COST: '4',
        ACCOUNTS_TRUST_PROXY: '2',
      }),
    ).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'mysql://u@db/accounts',
      jwtSecret: 's',
      devOutbox: 'outbox.jsonl',
      bcryptCost: 4,
      trustProxy: 2,
    });
  });

  it('leaves everything to the defaults when nothing is set', () => {
    expect(Object.values(serverOptionsFromEnv({})).every((value) => value === undefined)).toBe(true);
  });

  it('reads ACCOUNTS_TRUST_PROXY=true as one proxy, and false as none', () => {
    expect(serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('refuses a port that is not a number, naming the variable', () => {
    expect(() => serverOptionsFromEnv({ PORT: 'http' })).toThrow(/PORT/);
  });
});

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'accounts-server-app-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const quiet = { logLevel: 'silent', writeEmail: () => undefined, port: 0 } as const;

/** A pino destination that keeps the lines, parsed. */
function logLines() {
  const lines: string[] = [];
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    write: (line: string) => {
      lines.push(line);
    },
    entries,
    text: () => lines.join(''),
    /** The first entry that matches, waiting up to 2 s: a line is written when its response has gone. */
    async waitFor(matches: (entry: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      for (let waited = 0; waited < 2000; waited += 20) {
        const found = entries().find(matches);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no such log line in:\n${lines.join('')}`);
    },
  };
}

/** A port nothing listens on: bound once, then released. */
async function unusedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('startServer', () => {
  it('signs with a private key read from a file path and publishes it', async () => {
    const keyFile = join(directory, 'ed25519.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const running = await startServer({ ...quiet, dataDir: directory, jwtPrivateKey: keyFile });
    try {
      const jwks = (await (await fetch(`${running.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })]);
      expect(existsSync(join(directory, 'jwt-secret'))).toBe(false);
    } finally {
      await running.close();
    }
  });

  it('uses a given HS256 secret without writing one', async () => {
    const running = await startServer({ ...quiet, dataDir: directory, jwtSecret: 'a'.repeat(40) });
    try {
      expect(await (await fetch(`${running.url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
      expect(existsSync(join(directory, 'jwt-secret'))).toBe(false);
    } finally {
      await running.close();
    }
  });

  it('refuses to start with a secret that is too short, and releases the database', async () => {
    await expect(startServer({ ...quiet, dataDir: directory, jwtSecret: 'short' })).rejects.toThrow(/32/);
  });

  it.each([
    [1, '198.51.100.23'],
    [false, '127.0.0.1'],
  ] as const)(
    'with trustProxy %p records the caller as %s, in sessions and in the per-IP limits',
    async (trustProxy, seenAs) => {
      const running = await startServer({ ...quiet, dataDir: directory, bcryptCost: 4, trustProxy });
      const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
        fetch(`${running.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.23', ...headers },
          body: JSON.stringify(json),
        });
      try {
        const password = 'correct horse battery staple';
        expect((await post('/users', { name: 'Proxied', email: 'proxied@example.com', password })).status).toBe(201);
        const { data: tokens } = (await (
          await post('/authn/password', { email: 'proxied@example.com', password })
        ).json()) as {
          data: { accessToken: string };
        };
        const sessions = (await (
          await fetch(`${running.url}/users/me/sessions`, {
            headers: { authorization: `Bearer ${tokens.accessToken}` },
          })
        ).json()) as { data: Array<{ ip: string }> };
        expect(sessions.data.map((session) => session.ip)).toEqual([seenAs]);

        // The registration limit (100 an hour) counts the address the handlers see, and nothing else.
        for (let index = 1; index < 100; index++) {
          const created = await post('/users', { name: `P${index}`, email: `proxied${index}@example.com` });
          expect(created.status).toBe(201);
        }
        const limited = await post('/users', { name: 'One too many', email: 'proxied-last@example.com' });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500);
        const other = await post(
          '/users',
          { name: 'Elsewhere', email: 'elsewhere@example.com' },
          { 'x-forwarded-for': '203.0.113.99' },
        );
        // Behind a trusted proxy another client is another address; without one, everybody is the proxy.
        expect(other.status).toBe(trustProxy ? 201 : 429);
      } finally {
        await running.close();
      }
    },
  );

  it('logs one JSON line per request: time, level, request id, method, route pattern, status, duration', async () => {
    const log = logLines();
    const running = await startServer({ ...quiet, dataDir: directory, logDestination: log, logLevel: 'info' });
    try {
      const answer = await fetch(`${running.url}/users/usr_abc?access_token=abc`, {
        headers: { authorization: 'Bearer secret-token', 'x-request-id': 'req-42', 'user-agent': 'probe/1' },
      });
      expect(answer.headers.get('x-request-id')).toBe('req-42');
      const line = await log.waitFor((entry) => entry.requestId === 'req-42');
      expect(line).toMatchObject({
        level: 'info',
        method: 'GET',
        route: '/users/:id',
        status: 401,
        userAgent: 'probe/1',
        msg: expect.stringMatching(/^GET \/users\/:id 401 [\d.]+ms$/),
      });
      expect(new Date(String(line.time)).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(line.durationMs).toEqual(expect.any(Number));
      expect(log.text()).not.toMatch(/abc|secret-token/);

      const unknown = await fetch(`${running.url}/users/${'x'.repeat(5000)}`);
      const generated = unknown.headers.get('x-request-id') ?? '';
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      expect(await log.waitFor((entry) => entry.requestId === generated)).toMatchObject({ route: null, status: 404 });
      expect(log.text()).not.toContain('xxxxxxxxxx');

      // A client that gives up halfway through its body still leaves a line.
      const socket = connect(Number(new URL(running.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /users HTTP/1.1\r\nhost: x\r\nx-request-id: gave-up\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      expect(await log.waitFor((entry) => entry.requestId === 'gave-up')).toMatchObject({
        level: 'warn',
        route: '/users',
        status: null,
        aborted: true,
      });
    } finally {
      await running.close();
    }
  });

  it.each([
    ['with a space', 'a b'],
    ['too long', 'x'.repeat(201)],
    ['with a quote', 'a"b'],
    ['empty', ''],
  ])('replaces an X-Request-Id %s with a generated one', async (_, given) => {
    const running = await startServer({ ...quiet, dataDir: directory });
    try {
      const answer = await fetch(`${running.url}/healthz`, { headers: { 'x-request-id': given } });
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await running.close();
    }
  });

  it('answers /healthz, and /readyz while the database answers, with 503 and the envelope once it does not', async () => {
    const log = logLines();
    const running = await startServer({ ...quiet, dataDir: directory, logDestination: log, logLevel: 'debug' });
    try {
      const health = await fetch(`${running.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${running.url}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok' }]);
      expect(await log.waitFor((entry) => entry.route === '/readyz')).toMatchObject({ level: 'debug', status: 200 });

      const head = await fetch(`${running.url}/healthz`, { method: 'HEAD' });
      expect([head.status, await head.text()]).toEqual([200, '']);
      const wrong = await fetch(`${running.url}/healthz`, { method: 'POST' });
      expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
      expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');

      await running.knex.destroy();
      const down = await fetch(`${running.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ error: { code: 'NOT_READY', message: expect.any(String) } });
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close().catch(() => undefined);
    }
  });

  it('logs a 500 of the handlers at error with the request id, through the pino logger as it is', async () => {
    const log = logLines();
    const running = await startServer({ ...quiet, dataDir: directory, logDestination: log, logLevel: 'info' });
    try {
      await running.knex.destroy();
      const failed = await fetch(`${running.url}/authn/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-500' },
        body: JSON.stringify({ email: 'someone@example.com', password: 'hunter2-hunter2' }),
      });
      expect(failed.status).toBe(500);
      const reported = await log.waitFor((entry) => entry.requestId === 'req-500' && entry.errorName !== undefined);
      expect(reported).toMatchObject({ level: 'error', msg: 'accounts-module: POST /authn/password failed' });
      expect(await log.waitFor((entry) => entry.requestId === 'req-500' && entry.status === 500)).toMatchObject({
        level: 'error',
        route: '/authn/password',
      });
      expect(log.text()).not.toContain('hunter2');
    } finally {
      await running.close().catch(() => undefined);
    }
  });

  it('refuses a damaged PEM in ACCOUNTS_JWT_PRIVATE_KEY before touching the database', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weak = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(startServer({ ...quiet, dataDir: directory, jwtPrivateKey: weak })).rejects.toThrow(
      /^ACCOUNTS_JWT_PRIVATE_KEY cannot sign tokens: RSA keys must be at least 2048 bits/,
    );
    await expect(startServer({ ...quiet, dataDir: directory, jwtPrivateKey: 'garbage' })).rejects.toThrow(
      /ACCOUNTS_JWT_PRIVATE_KEY is neither a PEM private key/,
    );
  });

  it('names DATABASE_URL when its scheme is not supported', async () => {
    await expect(startServer({ ...quiet, dataDir: directory, databaseUrl: 'redis://cache:6379' })).rejects.toThrow(
      /DATABASE_URL .*redis/,
    );
  });

  it('names PORT when the port is taken', async () => {
    const first = await startServer({ ...quiet, dataDir: directory });
    try {
      await expect(startServer({ ...quiet, dataDir: directory, port: first.port })).rejects.toThrow(
        new RegExp(`^PORT ${first.port} on 127.0.0.1 is already in use`),
      );
    } finally {
      await first.close();
    }
  });
});

describe('waiting for the database', () => {
  it('retries a server that does not answer, one line per attempt without the password, then gives up', async () => {
    const port = await unusedPort();
    const log = logLines();
    const started = Date.now();
    await expect(
      startServer({
        ...quiet,
        dataDir: directory,
        logDestination: log,
        logLevel: 'info',
        databaseUrl: `mysql://app:pa55word-in-url@127.0.0.1:${port}/accounts`,
        databaseWaitSeconds: 1,
      }),
    ).rejects.toThrow(
      new RegExp(
        `^the database mysql://127\\.0\\.0\\.1:${port}/accounts did not answer after 4 attempt\\(s\\) \\(.*ECONNREFUSED`,
      ),
    );
    const attempts = log.entries().filter((entry) => entry.attempt !== undefined);
    expect(attempts.map((entry) => [entry.level, entry.attempt, entry.attempts])).toEqual([
      ['warn', 1, 4],
      ['warn', 2, 4],
      ['warn', 3, 4],
    ]);
    expect(attempts[0].msg).toMatch(
      new RegExp(
        `^database mysql://127\\.0\\.0\\.1:${port}/accounts not reachable \\(attempt 1 of 4\\): .*ECONNREFUSED`,
      ),
    );
    expect(log.text()).not.toContain('pa55word');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('is told how long to wait: 0 tries once', async () => {
    const port = await unusedPort();
    const log = logLines();
    await expect(
      startServer({
        ...quiet,
        dataDir: directory,
        logDestination: log,
        logLevel: 'info',
        databaseUrl: `postgres://app@127.0.0.1:${port}/accounts`,
        databaseWaitSeconds: 0,
      }),
    ).rejects.toThrow(/did not answer after 1 attempt\(s\).*ACCOUNTS_DB_WAIT_SECONDS/);
    expect(log.entries().filter((entry) => entry.attempt !== undefined)).toEqual([]);
  });
});
