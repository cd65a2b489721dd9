import type { RedisOptions } from 'ioredis';

/**
 * What reposit sets on the ioredis clients it creates itself (never on yours): one retry
 * per command, since the cache has its own timeouts and breaker, and reconnection attempts
 * at most 500 ms apart. ioredis's default backs off to 2 s, which on top of the breaker's
 * probe kept the cache away from a restarted Redis for up to 5 s; a cache is worth
 * reconnecting to as soon as Redis answers again.
 *
 * @example
 * ```ts
 * new Redis({ ...OWNED_CLIENT_DEFAULTS, ...userOptions });
 * ```
 */
export const OWNED_CLIENT_DEFAULTS: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
};
