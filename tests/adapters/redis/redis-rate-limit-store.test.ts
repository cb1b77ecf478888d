import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import {
  createRedisRateLimitStore,
  DEFAULT_REDIS_KEY_PREFIX,
  FAIL_CLOSED_COUNT,
  type RedisRateLimitFailure,
  RedisRateLimitStore,
  RedisRateLimitTimeoutError,
} from '../../../src/adapters/redis';
import { createAccounts } from '../../../src/create-accounts';
import type { AccountsError } from '../../../src/domain/errors';
import { fixtureTime, MINUTE_MS, runRateLimitStoreConformanceTests, uniqueSuffix } from '../../../src/testing';
import { describeRedis, REDIS_URL } from '../../support/databases';
import { errCode, makeWorld, ok, REQUEST, STRONG_PASSWORD } from '../../support/setup';

const WINDOW_MS = 15 * MINUTE_MS;
const START = fixtureTime();

/** A client of the test Redis that gives up fast, so a broken test fails instead of hanging. */
const testClient = (): Redis => new Redis(REDIS_URL, { commandTimeout: 5000, maxRetriesPerRequest: 1 });

/** Deletes every key under the prefix: the suite shares the Redis with other runs. */
async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

describeRedis('RedisRateLimitStore', () => {
  // One prefix per run, so parallel and repeated runs never see each other's counters.
  const prefix = `accounts-test:${uniqueSuffix()}:rl:`;
  let redis: Redis;
  let store: RedisRateLimitStore;
  const key = (): string => `test:${uniqueSuffix()}`;

  beforeAll(() => {
    redis = testClient();
    store = new RedisRateLimitStore(redis, { keyPrefix: prefix });
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  runRateLimitStoreConformanceTests('RedisRateLimitStore', {
    create: async () => new RedisRateLimitStore(redis, { keyPrefix: prefix }),
  });

  it('counts 50 parallel hits from two instances exactly, each count answered once', async () => {
    const other = testClient();
    try {
      const stores = [store, new RedisRateLimitStore(other, { keyPrefix: prefix })];
      const shared = key();
      const states = await Promise.all(
        Array.from({ length: 50 }, (_, index) => stores[index % 2]!.hit(shared, WINDOW_MS, START)),
      );
      expect(states.map((state) => state.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      expect(new Set(states.map((state) => state.resetAt.getTime()))).toEqual(new Set([START.getTime() + WINDOW_MS]));
      expect(await redis.hget(store.redisKey(shared), 'count')).toBe('50');
    } finally {
      await other.quit();
    }
  });

  it('keeps a counter under the prefix, in a hash that expires when its window ends', async () => {
    const limit = key();
    await store.hit(limit, 60_000, START);
    expect(store.redisKey(limit)).toBe(`${prefix}${limit}`);
    expect(await redis.hgetall(`${prefix}${limit}`)).toEqual({
      count: '1',
      reset_at: String(START.getTime() + 60_000),
    });
    const ttlAtStart = await redis.pttl(`${prefix}${limit}`);
    expect(ttlAtStart).toBeGreaterThan(59_000);
    expect(ttlAtStart).toBeLessThanOrEqual(60_000);
    // A later hit leaves the window's end, and the key's time to live, alone.
    await store.hit(limit, 60_000, fixtureTime(20_000));
    expect(await redis.hget(`${prefix}${limit}`, 'reset_at')).toBe(String(START.getTime() + 60_000));
    expect(await redis.pttl(`${prefix}${limit}`)).toBeGreaterThan(59_000);
  });

  it('never shortens a window another instance opened, whatever the hitting clock says', async () => {
    const limit = key();
    await store.hit(limit, WINDOW_MS, START);
    // A clock running ahead by almost the whole window would have cut the key's life to 1 s.
    expect((await store.hit(limit, WINDOW_MS, fixtureTime(WINDOW_MS - 1000))).count).toBe(2);
    expect(await redis.pttl(store.redisKey(limit))).toBeGreaterThan(WINDOW_MS - 2000);
  });

  it('lengthens the time to live when a hit finds less left than its window says', async () => {
    const limit = key();
    await store.hit(limit, WINDOW_MS, START);
    await redis.pexpire(store.redisKey(limit), 1000);
    await store.hit(limit, WINDOW_MS, fixtureTime(60_000));
    expect(await redis.pttl(store.redisKey(limit))).toBeGreaterThan(WINDOW_MS - 62_000);
  });

  it('lets Redis drop a counter once its window has passed', async () => {
    const limit = key();
    await store.hit(limit, 50, new Date());
    expect(await redis.exists(store.redisKey(limit))).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await redis.exists(store.redisKey(limit))).toBe(0);
  });

  it('refunds down to zero, keeping the window and its expiry', async () => {
    const limit = key();
    await store.hit(limit, WINDOW_MS, START, 3);
    expect(await store.hit(limit, WINDOW_MS, fixtureTime(1), -1)).toEqual({
      count: 2,
      resetAt: fixtureTime(WINDOW_MS),
    });
    expect((await store.hit(limit, WINDOW_MS, fixtureTime(2), -5)).count).toBe(0);
    expect(await redis.hget(store.redisKey(limit), 'count')).toBe('0');
    expect(await redis.pttl(store.redisKey(limit))).toBeGreaterThan(0);
  });

  it('forgets a key on reset by deleting it', async () => {
    const limit = key();
    await store.hit(limit, WINDOW_MS, START);
    await store.reset(limit);
    expect(await redis.exists(store.redisKey(limit))).toBe(0);
  });

  it('loads its script again when Redis lost it (SCRIPT FLUSH, a restart)', async () => {
    const limit = key();
    await store.hit(limit, WINDOW_MS, START);
    await redis.script('FLUSH');
    expect((await store.hit(limit, WINDOW_MS, START)).count).toBe(2);
  });

  it(`stores under ${DEFAULT_REDIS_KEY_PREFIX} by default`, () => {
    expect(new RedisRateLimitStore(redis).redisKey('password-guess:user:1')).toBe('accounts:rl:password-guess:user:1');
  });

  it('refuses a timeout that is not a positive number', () => {
    expect(() => new RedisRateLimitStore(redis, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('answers a domain limit through createAccounts: the fourth wrong password is RATE_LIMITED', async () => {
    const world = makeWorld({ config: { loginFailuresPerIdentifierAndIp: 3 } });
    const accounts = createAccounts({ io: world.io, lib: world.lib, rateLimits: store });
    const email = `redis-${uniqueSuffix()}@example.com`;
    ok(await accounts.users.register({ name: 'Ada', email, password: STRONG_PASSWORD }, REQUEST));
    const wrong = { email, password: 'not the password at all' };
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(errCode(await accounts.sessions.loginWithPassword(wrong, REQUEST))).toBe('INVALID_CREDENTIALS');
    }
    expect(errCode(await accounts.sessions.loginWithPassword(wrong, REQUEST))).toBe('RATE_LIMITED');
    expect(errCode(await accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST))).toBe(
      'RATE_LIMITED',
    );
    const counters = await redis.keys(`${prefix}password-guess:*`);
    expect(counters.length).toBeGreaterThan(0);
  });

  it('createRedisRateLimitStore builds a client that close() closes', async () => {
    const built = createRedisRateLimitStore(REDIS_URL, { keyPrefix: prefix });
    expect((await built.hit(key(), WINDOW_MS, START)).count).toBe(1);
    await built.close();
    expect((built.client as Redis).status).toBe('end');
  });

  it('close() leaves a client it was given open', async () => {
    await new RedisRateLimitStore(redis, { keyPrefix: prefix }).close();
    expect(await redis.ping()).toBe('PONG');
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

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
async function hangingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP proxy to the test Redis on `port`, listening only once told to: a Redis that comes back. */
function redisProxy(port: number): { listen: () => Promise<void>; close: () => Promise<void> } {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('error', () => undefined);
      end.on('close', () => sockets.delete(end));
    }
    socket.pipe(upstream).pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  return {
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A client that fails fast against a dead address and stays quiet about it. */
function clientAt(port: number): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    connectTimeout: 300,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 50,
  });
  client.on('error', () => undefined);
  return client;
}

describe('RedisRateLimitStore with Redis down', () => {
  let down: Redis;
  const failures: Array<{ error: unknown; failure: RedisRateLimitFailure }> = [];
  const onError = (error: unknown, failure: RedisRateLimitFailure) => {
    failures.push({ error, failure });
  };

  beforeAll(async () => {
    down = clientAt(await closedPort());
  });
  beforeEach(() => {
    failures.length = 0;
  });
  afterAll(() => down.disconnect());

  it('fails closed by default: a count over any limit, retry in 30 s, within the timeout', async () => {
    const store = new RedisRateLimitStore(down, { timeoutMs: 200, onError });
    const started = Date.now();
    const state = await store.hit('password-guess:user:1', WINDOW_MS, START);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(state).toEqual({ count: FAIL_CLOSED_COUNT, resetAt: fixtureTime(30_000) });
    expect(failures.map(({ failure }) => failure)).toEqual([
      { operation: 'hit', key: 'password-guess:user:1', policy: 'fail-closed' },
    ]);
  });

  it('fails open for the per-client throttle by default, and for every key when told so', async () => {
    const byDefault = new RedisRateLimitStore(down, { timeoutMs: 200 });
    expect(await byDefault.hit('client:abc', 1000, START)).toEqual({ count: 1, resetAt: fixtureTime(1000) });
    const open = new RedisRateLimitStore(down, { timeoutMs: 200, onUnavailable: 'fail-open', onError });
    expect(await open.hit('password-guess:user:1', WINDOW_MS, START)).toEqual({
      count: 1,
      resetAt: fixtureTime(WINDOW_MS),
    });
    expect(failures[0]?.failure.policy).toBe('fail-open');
  });

  it('asks a policy function per key', async () => {
    const store = new RedisRateLimitStore(down, {
      timeoutMs: 200,
      onUnavailable: (key) => (key.startsWith('register:') ? 'fail-open' : 'fail-closed'),
    });
    expect((await store.hit('register:ip:203.0.113.7', WINDOW_MS, START)).count).toBe(1);
    expect((await store.hit('code-guess:ip:203.0.113.7', WINDOW_MS, START)).count).toBe(FAIL_CLOSED_COUNT);
  });

  it('ignores a reset it cannot make, telling onError', async () => {
    const store = new RedisRateLimitStore(down, { timeoutMs: 200, onError });
    await expect(store.reset('password-guess:user:1')).resolves.toBeUndefined();
    expect(failures.map(({ failure }) => failure)).toEqual([{ operation: 'reset', key: 'password-guess:user:1' }]);
  });

  it('bounds a Redis that accepts connections and never answers by timeoutMs', async () => {
    const hanging = await hangingServer();
    const client = clientAt(hanging.port);
    try {
      const store = new RedisRateLimitStore(client, { timeoutMs: 200, onError });
      const started = Date.now();
      expect((await store.hit('password-guess:user:1', WINDOW_MS, START)).count).toBe(FAIL_CLOSED_COUNT);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(failures[0]?.error).toBeInstanceOf(RedisRateLimitTimeoutError);
    } finally {
      client.disconnect();
      await hanging.close();
    }
  });

  it('refuses a login with RATE_LIMITED rather than letting guesses through', async () => {
    const world = makeWorld();
    const email = `down-${uniqueSuffix()}@example.com`;
    ok(await world.accounts.users.register({ name: 'Ada', email, password: STRONG_PASSWORD }, REQUEST));
    const accounts = createAccounts({
      io: world.io,
      lib: world.lib,
      rateLimits: new RedisRateLimitStore(down, { timeoutMs: 200 }),
    });
    const login = await accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST);
    expect(errCode(login)).toBe('RATE_LIMITED');
    expect((login.val as AccountsError).retryAfterSeconds).toBe(30);
  });

  it('createRedisRateLimitStore reports connection errors to onError instead of the console', async () => {
    const port = await closedPort();
    const store = createRedisRateLimitStore(`redis://127.0.0.1:${port}`, {
      timeoutMs: 200,
      onError,
      redis: { disconnectTimeout: 50 },
    });
    try {
      expect((await store.hit('password-guess:user:1', WINDOW_MS, START)).count).toBe(FAIL_CLOSED_COUNT);
      expect(failures.some(({ failure }) => failure.operation === 'connection')).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describeRedis('RedisRateLimitStore when Redis comes back', () => {
  it('createRedisRateLimitStore never sends a hit that timed out once Redis comes back', async () => {
    const port = await closedPort();
    const prefix = `accounts-test:${uniqueSuffix()}:late:`;
    // Retries more, and longer, than the defaults: the queue a timed-out hit could wait in survives.
    const store = createRedisRateLimitStore(`redis://127.0.0.1:${port}`, {
      keyPrefix: prefix,
      timeoutMs: 200,
      redis: { maxRetriesPerRequest: null, retryStrategy: () => 50, disconnectTimeout: 50 },
    });
    const proxy = redisProxy(port);
    const redis = testClient();
    try {
      expect((await store.hit('password-guess:user:1', WINDOW_MS, START)).count).toBe(FAIL_CLOSED_COUNT);
      await proxy.listen();
      await until(() => (store.client as Redis).status === 'ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
      // Connected again, it counts from here.
      expect((await store.hit('password-guess:user:1', WINDOW_MS, START)).count).toBe(1);
    } finally {
      await store.close();
      await proxy.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});
