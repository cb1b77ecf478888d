import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, type ServerOptions, serverOptionsFromEnv, startServer } from '../../examples/server-app';
import { DEFAULT_REDIS_KEY_PREFIX, RedisRateLimitStore } from '../../src/adapters/redis';
import { describeRedis, REDIS_URL } from '../support/databases';

/** examples/server-app.ts with ACCOUNTS_REDIS_URL: the rate limits live in Redis, shared by every instance. */
describe('serverOptionsFromEnv: ACCOUNTS_REDIS_URL', () => {
  it('reads a redis:// or rediss:// URL', () => {
    expect(serverOptionsFromEnv({ ACCOUNTS_REDIS_URL: 'redis://cache:6379/2' }).redisUrl).toBe('redis://cache:6379/2');
    expect(serverOptionsFromEnv({ ACCOUNTS_REDIS_URL: 'rediss://cache:6380' }).redisUrl).toBe('rediss://cache:6380');
    expect(serverOptionsFromEnv({ ACCOUNTS_REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('refuses another value, naming the variable and never quoting it (it may hold a password)', () => {
    let thrown: unknown;
    try {
      serverOptionsFromEnv({ ACCOUNTS_REDIS_URL: 'secretpass@cache:6379' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe('ACCOUNTS_REDIS_URL');
    expect((thrown as ConfigError).message).toMatch(/redis:\/\//);
    expect((thrown as ConfigError).message).not.toMatch(/secretpass/);
  });
});

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'accounts-server-redis-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** An address of its own per run, so counters of other runs sharing the Redis never add up with ours. */
const runIp = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const password = 'correct horse battery staple';

/** One proxy in front (trustProxy 1), so that requests come from the run's own address. */
function serverOptions(redisUrl: string, extra: Partial<ServerOptions> = {}): ServerOptions {
  return {
    logLevel: 'silent',
    writeEmail: () => undefined,
    port: 0,
    dataDir: directory,
    bcryptCost: 4,
    trustProxy: 1,
    redisUrl,
    ...extra,
  };
}

function poster(url: string) {
  return (path: string, json: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': runIp },
      body: JSON.stringify(json),
    });
}

describeRedis('example server with ACCOUNTS_REDIS_URL', () => {
  let redis: Redis;
  const userIds: string[] = [];
  beforeAll(() => {
    redis = new Redis(REDIS_URL, { commandTimeout: 5000, maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    // The counters of this run: every key holds the run's address or one of its users.
    for (const part of [runIp, ...userIds]) {
      const keys = await redis.keys(`${DEFAULT_REDIS_KEY_PREFIX}*${part}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  it('counts password failures in Redis, not in the database, and a limit reached elsewhere holds here', async () => {
    const running = await startServer(serverOptions(REDIS_URL));
    const post = poster(running.url);
    try {
      const register = async (email: string) => {
        const answer = await post('/users', { name: 'Ada', email, password });
        expect(answer.status).toBe(201);
        const { id } = ((await answer.json()) as { data: { id: string } }).data;
        userIds.push(id);
        return id;
      };
      const ada = await register(`ada-${runIp}@example.com`);
      for (let attempt = 1; attempt <= 10; attempt++) {
        const wrong = await post('/authn/password', { email: `ada-${runIp}@example.com`, password: 'wrong guess!' });
        expect(wrong.status).toBe(401);
      }
      const limited = await post('/authn/password', { email: `ada-${runIp}@example.com`, password });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(800);
      const counter = `${DEFAULT_REDIS_KEY_PREFIX}password-guess:user:${ada}|${runIp}`;
      expect(await redis.hget(counter, 'count')).toBe('11');
      expect(await redis.pttl(counter)).toBeGreaterThan(0);
      expect(await running.knex('rate_limits').count({ rows: '*' })).toEqual([{ rows: 0 }]);

      // Another instance of the application, sharing the Redis, used up Grace's failures: here too.
      const grace = await register(`grace-${runIp}@example.com`);
      const elsewhere = new RedisRateLimitStore(redis);
      await elsewhere.hit(`password-guess:user:${grace}|${runIp}`, 15 * 60_000, new Date(), 10);
      const first = await post('/authn/password', { email: `grace-${runIp}@example.com`, password });
      expect(first.status).toBe(429);
    } finally {
      await running.close();
    }
  });
});

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('example server with ACCOUNTS_REDIS_URL and Redis down', () => {
  it('refuses logins with 429 (fail closed), logs why without the key, and still shuts down', async () => {
    const lines: string[] = [];
    const running = await startServer(
      serverOptions(`redis://127.0.0.1:${await closedPort()}`, {
        logLevel: 'warn',
        logDestination: { write: (line: string) => void lines.push(line) },
      }),
    );
    try {
      const answer = await poster(running.url)('/authn/password', { email: `nobody-${runIp}@example.com`, password });
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get('retry-after'))).toBe(30);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(entries).toContainEqual(
        expect.objectContaining({ source: 'redis', operation: 'hit', limit: 'password-guess', policy: 'fail-closed' }),
      );
      expect(lines.join('')).not.toContain(`nobody-${runIp}`);
    } finally {
      const started = Date.now();
      await running.close();
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});
