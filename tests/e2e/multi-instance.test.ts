import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../src/ports/lib';
import { createTestDatabase, describeDb, describeRedis, REDIS_URL, type TestDatabase } from '../support/databases';
import { expectData, expectError, PASSWORD, uniqueEmail } from './contract/target';
import { fetchReply, type ServerProcess, spawnServer } from './server-process';

/**
 * Two example servers, as two instances behind a load balancer: one fresh MariaDB database, the
 * same signing and code secrets, started at the same moment so that their migrations race. What one
 * instance decides (a limit, a logout, a rotated refresh token) holds on the other at once, because
 * every piece of state lives in the database (or Redis), none in a process. docs/deployment.md.
 */
const SHARED_SECRETS = {
  ACCOUNTS_JWT_SECRET: randomBytes(32).toString('base64url'),
  ACCOUNTS_CODE_SECRET: randomBytes(32).toString('base64url'),
};

interface Instance {
  name: 'A' | 'B';
  server: ServerProcess;
  directory: string;
}

/** Both instances at once, each in a directory of its own: nothing is shared but the database (and Redis). */
async function startPair(databaseUrl: string, extra: Record<string, string> = {}): Promise<[Instance, Instance]> {
  const names = ['A', 'B'] as const;
  const directories = names.map((name) => mkdtempSync(join(tmpdir(), `accounts-e2e-instance-${name}-`)));
  const env = {
    ...SHARED_SECRETS,
    DATABASE_URL: databaseUrl,
    ACCOUNTS_BCRYPT_COST: '4',
    // Behind a load balancer: the client address is the one it appends to X-Forwarded-For.
    ACCOUNTS_TRUST_PROXY: 'true',
    ...extra,
  };
  const started = await Promise.allSettled(directories.map((cwd) => spawnServer({ cwd, env, timeoutMs: 60_000 })));
  const servers = started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : null));
  if (servers.some((server) => server === null)) {
    for (const server of servers) server?.kill();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    throw (started.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult).reason;
  }
  return names.map((name, index) => ({ name, server: servers[index]!, directory: directories[index]! })) as [
    Instance,
    Instance,
  ];
}

async function stopPair(pair: Instance[]): Promise<void> {
  for (const { server, directory } of pair) {
    // A clean stop closes each pool before the database is dropped.
    expect(await server.stop('SIGTERM')).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * A client address of its own per test, from the IPv6 documentation range (a /64 each, the unit
 * per-IP limits count): counters of earlier runs, kept by a shared Redis for their window, never meet it.
 */
function freshClientAddress(): string {
  const [a, b, c] = [randomBytes(2), randomBytes(2), randomBytes(2)].map((bytes) => bytes.toString('hex'));
  return `2001:db8:${a}:${b}:${c}::1`;
}

/** A client talking through the load balancer, from one address, to whichever instance it names. */
function clientOf(ip: string) {
  const headers = { 'x-forwarded-for': ip };
  return {
    send: (instance: Instance, method: string, path: string, options: { json?: unknown; token?: string } = {}) =>
      fetchReply(instance.server.url, method, path, { ...options, headers }),
  };
}

type Client = ReturnType<typeof clientOf>;

async function signUpAndLogIn(client: Client, instance: Instance, tag: string) {
  const email = uniqueEmail(tag);
  expectData(
    await client.send(instance, 'POST', '/users', { json: { name: 'Multi', email, password: PASSWORD } }),
    201,
  );
  const tokens = expectData(
    await client.send(instance, 'POST', '/authn/password', { json: { email, password: PASSWORD } }),
  );
  return { email, tokens };
}

/**
 * Wrong passwords sent alternately to A and B: the limit is reached after the configured number of
 * failures in all, not per instance, and then the right password is refused on both.
 */
async function expectOneSharedLoginLimit(pair: [Instance, Instance]): Promise<void> {
  const client = clientOf(freshClientAddress());
  const [a, b] = pair;
  const { email } = await signUpAndLogIn(client, a, 'limit');
  const limit = DEFAULT_CONFIG.loginFailuresPerIdentifierAndIp;
  for (let failure = 0; failure < limit; failure++) {
    const instance = pair[failure % 2]!;
    const reply = await client.send(instance, 'POST', '/authn/password', {
      json: { email, password: 'wrong password!' },
    });
    expectError(reply, 401, 'INVALID_CREDENTIALS');
  }
  for (const instance of [a, b]) {
    const reply = await client.send(instance, 'POST', '/authn/password', { json: { email, password: PASSWORD } });
    expect({ instance: instance.name, status: reply.status }).toEqual({ instance: instance.name, status: 429 });
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
  }
}

describeDb('mariadb', 'two example servers on one database', () => {
  let database: TestDatabase | undefined;
  let pair: [Instance, Instance];
  const instances = () => pair;

  beforeAll(async () => {
    // Not the suite's migrated database: a fresh one, so that the two instances' migrations race.
    database = await createTestDatabase('mariadb', { migrate: false });
    pair = await startPair(database.url);
  }, 120_000);

  afterAll(async () => {
    if (pair) await stopPair(pair);
    await database?.drop();
  });

  it('both come up on a fresh database, and each migration is applied once', async () => {
    for (const { server } of instances()) {
      expect((await fetchReply(server.url, 'GET', '/readyz')).status).toBe(200);
      expect(server.output.some((line) => line.includes('is up and migrated'))).toBe(true);
    }
    const knex = database!.knex;
    const rows: Array<{ name: string; times: number }> = await knex('accounts_migrations')
      .select('name')
      .count({ times: '*' })
      .groupBy('name');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.map((row) => row.name)).toContain('20261122_001_initial');
    expect(rows.filter((row) => Number(row.times) !== 1)).toEqual([]);
    // knex's own lock table holds its single row: the first-run race of knex/knex#3538 left no duplicate.
    expect(await knex('accounts_migrations_lock').count({ rows: '*' })).toEqual([{ rows: 1 }]);
  });

  it('a logout on A is refused at once on B (strict validation)', async () => {
    const client = clientOf(freshClientAddress());
    const [a, b] = instances();
    const { tokens } = await signUpAndLogIn(client, a, 'logout');
    expect((await client.send(b, 'GET', '/users/me', { token: tokens.accessToken })).status).toBe(200);
    expect((await client.send(a, 'POST', '/sessions/logout', { token: tokens.accessToken, json: {} })).status).toBe(
      204,
    );
    expect((await client.send(b, 'GET', '/users/me', { token: tokens.accessToken })).status).toBe(401);
  });

  it('a refresh token rotated on A is reuse on B: refused, and the session is revoked', async () => {
    const client = clientOf(freshClientAddress());
    const [a, b] = instances();
    const { tokens: first } = await signUpAndLogIn(client, a, 'refresh');
    const second = expectData(
      await client.send(a, 'POST', '/authn/refresh', { json: { refreshToken: first.refreshToken } }),
    );
    expect(second.sessionId).toBe(first.sessionId);
    const reuse = await client.send(b, 'POST', '/authn/refresh', { json: { refreshToken: first.refreshToken } });
    expectError(reuse, 401, 'INVALID_REFRESH_TOKEN');
    // The reuse revoked the whole session: the new refresh token and its access token fail too, on either.
    const afterReuse = await client.send(a, 'POST', '/authn/refresh', { json: { refreshToken: second.refreshToken } });
    expectError(afterReuse, 401, 'INVALID_REFRESH_TOKEN');
    for (const instance of instances()) {
      expect((await client.send(instance, 'GET', '/users/me', { token: second.accessToken })).status).toBe(401);
    }
  });

  it('password failures through A and B count against one limit (SQL limit store)', async () => {
    await expectOneSharedLoginLimit(instances());
  });

  describeRedis('with ACCOUNTS_REDIS_URL', () => {
    let redisPair: [Instance, Instance];

    beforeAll(async () => {
      redisPair = await startPair(database!.url, { ACCOUNTS_REDIS_URL: REDIS_URL });
    }, 120_000);

    afterAll(async () => {
      if (redisPair) await stopPair(redisPair);
    });

    it('password failures through A and B count against one limit (Redis limit store)', async () => {
      const sqlCounters = async () => Number((await database!.knex('rate_limits').count({ rows: '*' }))[0]!.rows);
      const before = await sqlCounters();
      await expectOneSharedLoginLimit(redisPair);
      // The counters went to Redis: the database's table did not grow.
      expect(await sqlCounters()).toBe(before);
    });
  });
});
