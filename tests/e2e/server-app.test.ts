import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
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

describe('startServer', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'accounts-server-app-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const quiet = { log: () => undefined, writeEmail: () => undefined, port: 0 };

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

  it('logs a line per request with the path only', async () => {
    const lines: string[] = [];
    const running = await startServer({ ...quiet, dataDir: directory, log: (line) => lines.push(line) });
    try {
      await fetch(`${running.url}/users/me?access_token=abc`);
      expect(lines).toContainEqual(expect.stringMatching(/^GET \/users\/me 401 [\d.]+ms$/));
      expect(lines.join('\n')).not.toContain('abc');

      await fetch(`${running.url}/users/${'x'.repeat(5000)}`);
      expect(lines.at(-1)).toMatch(/^GET \/users\/x{193}… 404 [\d.]+ms$/);

      // A client that gives up halfway through its body still leaves a line.
      const socket = connect(Number(new URL(running.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /users HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      for (let waited = 0; waited < 2000 && !lines.at(-1)?.includes('aborted'); waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(lines.at(-1)).toMatch(/^POST \/users aborted [\d.]+ms$/);
    } finally {
      await running.close();
    }
  });
});
