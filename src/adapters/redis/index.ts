/**
 * `accounts-module/redis`: the rate-limit store on Redis (docs/redis.md). Not exported from the
 * package's main entry, since ioredis is an optional peer dependency: only this entry needs it, and
 * only `createRedisRateLimitStore` loads it.
 */
export {
  type CreateRedisRateLimitStoreOptions,
  createRedisRateLimitStore,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  DEFAULT_UNAVAILABLE_RETRY_AFTER_MS,
  defaultUnavailablePolicy,
  FAIL_CLOSED_COUNT,
  FAIL_FAST_REDIS_OPTIONS,
  RATE_LIMIT_HIT_SCRIPT,
  type RedisRateLimitFailure,
  RedisRateLimitStore,
  type RedisRateLimitStoreOptions,
  RedisRateLimitTimeoutError,
  type RedisUnavailablePolicy,
} from './redis-rate-limit-store';
