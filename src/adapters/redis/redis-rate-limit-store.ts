import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { RateLimitState, RateLimitStore } from '../../ports/rate-limits';

/**
 * What a {@link RedisRateLimitStore} answers when Redis fails (down, unreachable, or slower than
 * `timeoutMs`): `fail-closed` answers a count over any limit, so the guarded operation is refused
 * with `RATE_LIMITED` (HTTP 429); `fail-open` answers the count of a first hit, so it goes ahead
 * unlimited until Redis is back.
 */
export type RedisUnavailablePolicy = 'fail-closed' | 'fail-open';

/** Which way one failing `hit` or `reset` went, handed to `onError` with the error. */
export interface RedisRateLimitFailure {
  operation: 'hit' | 'reset' | 'connection';
  /** The limit's key as the domain names it (without the prefix); absent for `connection`. */
  key?: string;
  /** What the store answered instead; absent for `reset` and `connection`, which only report. */
  policy?: RedisUnavailablePolicy;
}

/** Options of a {@link RedisRateLimitStore}; every one has a default. */
export interface RedisRateLimitStoreOptions {
  /**
   * Put before every limit key, so the counters sit apart from the rest of the database and several
   * applications can share one Redis. Default `accounts:rl:`. A `keyPrefix` of the ioredis client
   * itself is added in front of it.
   */
  keyPrefix?: string;
  /**
   * What to answer when Redis fails, for every key or per key. Default {@link defaultUnavailablePolicy}:
   * closed for every guessing, sending and registration limit, open for the per-client `reqsPerSec`
   * throttle only.
   */
  onUnavailable?: RedisUnavailablePolicy | ((key: string) => RedisUnavailablePolicy);
  /**
   * How long one hit or reset may take before it counts as Redis failing, in milliseconds. Default
   * 500. Enforced by the store whatever the client's own settings, so a Redis that hangs delays a
   * request by this much at most. A hit that timed out may still be counted once Redis answers if
   * the client queues commands while disconnected (ioredis's default offline queue); a client
   * without one (`enableOfflineQueue: false`, as `createRedisRateLimitStore` builds it) never sends
   * it late: the store waits for the connection itself, within this bound.
   */
  timeoutMs?: number;
  /**
   * When a fail-closed answer says to try again (the `Retry-After` of the 429), in milliseconds;
   * never later than the limit's own window. Default 30 000: the full window (often 15 minutes) would
   * keep clients away long after a Redis restart.
   */
  unavailableRetryAfterMs?: number;
  /** Told of every failure, after the policy was applied (log it: a fail-open store limits nothing). */
  onError?: (error: unknown, failure: RedisRateLimitFailure) => void;
  /**
   * Whether `close()` also closes the client. Default false: a client you built is yours to close.
   * `createRedisRateLimitStore` sets it, since it built the client.
   */
  closeClient?: boolean;
}

/** Default of {@link RedisRateLimitStoreOptions.keyPrefix}. */
export const DEFAULT_REDIS_KEY_PREFIX = 'accounts:rl:';
/** Default of {@link RedisRateLimitStoreOptions.timeoutMs}. */
export const DEFAULT_REDIS_TIMEOUT_MS = 500;
/** Default of {@link RedisRateLimitStoreOptions.unavailableRetryAfterMs}. */
export const DEFAULT_UNAVAILABLE_RETRY_AFTER_MS = 30_000;

/**
 * The count a fail-closed hit answers: above any configured limit, so `rateLimited` refuses, while
 * staying an exact integer whatever a caller adds to it.
 */
export const FAIL_CLOSED_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * The default failure policy, by the limit's key (see src/domain/limits.ts for the names). Every
 * limit of docs/security-rules.md §7 and §4 fails closed: password, code and second-factor guesses,
 * code sends, registrations, address adds, invitations and successful logins. A Redis outage then
 * stops logins (429) rather than opening them to unlimited guessing. Only `client:<id>` fails open:
 * it throttles API keys already proven by their secret (§5), a throughput quota rather than a
 * defence against guessing, and closing it would take every API client down with Redis.
 */
export function defaultUnavailablePolicy(key: string): RedisUnavailablePolicy {
  return key.startsWith('client:') ? 'fail-open' : 'fail-closed';
}

/** The name the script is registered under on the client (`defineCommand`), one per client. */
const HIT_COMMAND = 'accountsRateLimitHit';

/**
 * One hit, decided inside Redis so that parallel hits from any number of instances count exactly
 * (a script runs alone: nothing interleaves between its read and its write). The window is kept in
 * the key's hash, in the caller's time: `now` comes from the application's clock, as with the SQL
 * and memory stores, never from Redis TIME, so a test clock and the `Retry-After` agree. The key
 * expires when its window ends, so ended windows never pile up: a hit that opens a window sets the
 * time to live to the window; a later hit may only lengthen it (to what its clock says is left),
 * never shorten it, so an instance whose clock runs ahead cannot cut short a window another opened
 * and let its count vanish early. The comparison is made with PTTL in the script rather than with
 * `PEXPIRE … GT`, which needs Redis 7.
 *
 * KEYS[1]: the counter. ARGV: now (epoch ms), window (ms), by. Returns { count, reset_at (epoch ms) }.
 */
export const RATE_LIMIT_HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local by = tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 'count', 'reset_at')
local count = tonumber(stored[1])
local reset_at = tonumber(stored[2])
local opened = count == nil or reset_at == nil or reset_at <= now
if opened then
  count = math.max(by, 0)
  reset_at = now + window
else
  count = math.max(count + by, 0)
end
redis.call('HSET', KEYS[1], 'count', string.format('%d', count), 'reset_at', string.format('%d', reset_at))
local left = reset_at - now
-- PTTL is -1 for a key without a time to live: it gets one, as every counter must expire.
if opened or redis.call('PTTL', KEYS[1]) < left then
  redis.call('PEXPIRE', KEYS[1], string.format('%d', left))
end
return { count, reset_at }
`;

/** The client with the script defined on it (ioredis adds the method at run time). */
type ClientWithHit = { [HIT_COMMAND]: (key: string, now: string, windowMs: string, by: string) => Promise<unknown> };

/** A Redis call that took longer than `timeoutMs`. */
export class RedisRateLimitTimeoutError extends Error {
  override readonly name = 'RedisRateLimitTimeoutError';
  constructor(
    /** The bound that was passed, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`Redis did not answer within ${timeoutMs} ms`);
  }
}

/**
 * Rate-limit counters in Redis, shared by every instance of an application like `SqlRateLimitStore`,
 * without its write to the primary database on every counted attempt. Same fixed windows: a window
 * starts at the first counted hit of a key and lasts `windowMs`; a refund (`by` < 0) never takes the
 * count below zero; a hit at or after `resetAt` starts a new window. Each hit is one script run
 * (EVALSHA), atomic under any concurrency.
 *
 * The store takes an ioredis client you built (standalone or `Cluster`: each script touches one
 * key), so ioredis stays an optional peer dependency of the package. When Redis fails, `onUnavailable`
 * decides (docs/redis.md): by default guessing limits fail closed (429).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { RedisRateLimitStore } from 'accounts-module/redis';
 * const redis = new Redis(process.env.REDIS_URL!, { commandTimeout: 500, maxRetriesPerRequest: 1 });
 * const accounts = createAccounts({ io, lib, rateLimits: new RedisRateLimitStore(redis) });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  /** The prefix every key is stored under (see `keyPrefix`). */
  readonly keyPrefix: string;
  private readonly timeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly policyFor: (key: string) => RedisUnavailablePolicy;

  constructor(
    /** The ioredis client the counters live in. */
    readonly client: Redis | Cluster,
    private readonly options: RedisRateLimitStoreOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS);
    this.retryAfterMs = positive(
      'unavailableRetryAfterMs',
      options.unavailableRetryAfterMs ?? DEFAULT_UNAVAILABLE_RETRY_AFTER_MS,
    );
    const policy = options.onUnavailable ?? defaultUnavailablePolicy;
    this.policyFor = typeof policy === 'function' ? policy : () => policy;
    // ioredis sends EVALSHA and falls back to EVAL (loading the script) on NOSCRIPT, after a restart too.
    client.defineCommand(HIT_COMMAND, { numberOfKeys: 1, lua: RATE_LIMIT_HIT_SCRIPT });
  }

  async hit(key: string, windowMs: number, now: Date, by = 1): Promise<RateLimitState> {
    const nowMs = now.getTime();
    try {
      const reply = await this.whenSendable(() =>
        (this.client as unknown as ClientWithHit)[HIT_COMMAND](
          this.redisKey(key),
          String(nowMs),
          String(windowMs),
          String(by),
        ),
      );
      const [count, resetAtMs] = reply as [number, number];
      return { count: Number(count), resetAt: new Date(Number(resetAtMs)) };
    } catch (error) {
      const policy = this.policyFor(key);
      this.report(error, { operation: 'hit', key, policy });
      return policy === 'fail-open'
        ? { count: Math.max(by, 0), resetAt: new Date(nowMs + windowMs) }
        : { count: FAIL_CLOSED_COUNT, resetAt: new Date(nowMs + Math.min(windowMs, this.retryAfterMs)) };
    }
  }

  /**
   * Forgets a key. When Redis fails the counter is left as it is (reported to `onError`, never
   * thrown): a reset only follows a success, which must not turn into an error, and the counter
   * expires with its window anyway.
   */
  async reset(key: string): Promise<void> {
    try {
      await this.whenSendable(() => this.client.del(this.redisKey(key)));
    } catch (error) {
      this.report(error, { operation: 'reset', key });
    }
  }

  /** The Redis key a limit key is stored under. */
  redisKey(key: string): string {
    return this.keyPrefix + key;
  }

  /**
   * Closes the client when `closeClient` says the store owns it. A connected client sends QUIT, so
   * replies in flight arrive, and the socket's end is awaited (`timeoutMs` at most each); a client
   * that is not connected (Redis gone, between reconnection attempts) is disconnected at once, so
   * nothing keeps the process up.
   */
  async close(): Promise<void> {
    if (!this.options.closeClient || this.hasEnded()) return;
    if (this.client.status === 'ready') {
      const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
      try {
        await this.bounded(this.client.quit());
        // ioredis answers QUIT before the socket closes, which would keep a process alive a moment longer.
        await this.bounded(ended);
      } catch {
        // Redis went away or hangs: nothing is left to flush.
      }
    }
    if (!this.hasEnded()) this.client.disconnect();
  }

  /** A method, not an inline test: TypeScript would keep the status narrowed across the awaits. */
  private hasEnded(): boolean {
    return this.client.status === 'end';
  }

  private report(error: unknown, failure: RedisRateLimitFailure): void {
    try {
      this.options.onError?.(error, failure);
    } catch {
      // A failing logger must not turn a decided limit into a failed request.
    }
  }

  /**
   * Sends `command` once the client can take it, all within `timeoutMs`. A client without an offline
   * queue refuses commands while it (re)connects, at startup too; the store then waits for `ready`
   * itself, and once the deadline has passed it never sends: the caller has already been answered
   * by the failure policy, and a hit counted later, with its stale time, would count twice.
   */
  private whenSendable<T>(command: () => Promise<T>): Promise<T> {
    if (!this.waitsForReady()) return this.bounded(command());
    let expired = false;
    let ready: (() => void) | undefined;
    const connected = new Promise<void>((resolve) => {
      ready = resolve;
      this.client.once('ready', resolve);
    });
    const sent = connected.then(() => {
      if (expired) throw new RedisRateLimitTimeoutError(this.timeoutMs);
      return command();
    });
    return this.bounded(sent).catch((error: unknown) => {
      expired = true;
      if (ready) this.client.off('ready', ready);
      throw error;
    });
  }

  /** Whether commands must wait for `ready`: the client would refuse them now rather than queue them. */
  private waitsForReady(): boolean {
    const { status } = this.client;
    if (status === 'ready' || status === 'end' || status === 'wait') return false;
    const options = (this.client as { options?: { enableOfflineQueue?: boolean } }).options;
    return options?.enableOfflineQueue === false;
  }

  private bounded<T>(reply: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisRateLimitTimeoutError(this.timeoutMs)), this.timeoutMs);
    });
    // The reply may still fail after the timeout won: that rejection is already answered for.
    reply.catch(() => undefined);
    return Promise.race([reply, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Options of {@link createRedisRateLimitStore}: the store's, plus the ioredis client's. */
export interface CreateRedisRateLimitStoreOptions extends Omit<RedisRateLimitStoreOptions, 'closeClient'> {
  /** Passed to ioredis over the defaults below (e.g. `tls`, `password`, `db`). */
  redis?: RedisOptions;
}

/**
 * The ioredis settings `createRedisRateLimitStore` starts from, for a client that fails fast: no
 * offline queue (a command issued while disconnected is refused at once instead of queued: ioredis's
 * `commandTimeout` rejects a queued command's promise but leaves it in the queue, so a hit already
 * answered by the failure policy would be sent, and counted, when Redis came back; the store waits
 * for the connection itself, within its `timeoutMs`), a command gives up after `commandTimeout`
 * (the store's `timeoutMs`), a connection attempt after 2 s, a command sent before a connection
 * dropped is retried after one reconnection rather than ioredis's default of 20, and a socket that
 * does not close when told is destroyed after 0.5 s rather than 2 s (which would hold a shutdown).
 */
export const FAIL_FAST_REDIS_OPTIONS: Readonly<RedisOptions> = {
  connectTimeout: 2000,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  disconnectTimeout: 500,
};

/**
 * Builds an ioredis client for `url` (`redis://[user:password@]host:port/db`, or `rediss://` for
 * TLS) with {@link FAIL_FAST_REDIS_OPTIONS}, and a store over it whose `close()` closes the client.
 * ioredis is loaded here, not when the module is imported; when it is not installed the error
 * names the package. Connection errors go to `onError` (ioredis would print each one otherwise).
 */
export function createRedisRateLimitStore(
  url: string,
  options: CreateRedisRateLimitStoreOptions = {},
): RedisRateLimitStore {
  const { redis: redisOptions, ...storeOptions } = options;
  const ioredis = requireIoredis();
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  const client = new ioredis.Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, commandTimeout: timeoutMs, ...redisOptions });
  client.on('error', (error: unknown) => {
    try {
      options.onError?.(error, { operation: 'connection' });
    } catch {
      // As in the store: a failing logger changes nothing.
    }
  });
  return new RedisRateLimitStore(client, { ...storeOptions, closeClient: true });
}

function requireIoredis(): typeof import('ioredis') {
  try {
    return require('ioredis') as typeof import('ioredis');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code !== 'MODULE_NOT_FOUND' || !message.includes("'ioredis'")) throw error;
    throw new Error(
      'createRedisRateLimitStore: install the `ioredis` package (npm install ioredis); accounts-module lists ' +
        'it as an optional peer dependency, so it is not installed with it',
    );
  }
}

function positive(name: string, value: number): number {
  if (Number.isFinite(value) && value > 0) return value;
  throw new RangeError(`RedisRateLimitStore: ${name} must be a positive number of milliseconds, got ${value}`);
}
