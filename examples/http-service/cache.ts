/**
 * The cache: memory (L1) always, Redis (L2 and the invalidation bus) when REDIS_URL is set.
 */
import { Redis } from 'ioredis';
import { RedisBus, RedisTier } from '../../src/cache/redis/index.js';
import { CacheManager } from '../../src/index.js';

/** A cache and what closing it takes. */
export interface ServiceCache {
  readonly cache: CacheManager;
  /** Closes the cache, then its Redis connection if it has one. */
  close(): Promise<void>;
}

/** Opens the cache under `namespace`, the prefix of its Redis keys and bus channel. */
export function openCache(options: { redisUrl?: string; namespace: string; ttlMs: number }): ServiceCache {
  if (!options.redisUrl) {
    const cache = new CacheManager({ namespace: options.namespace, ttl: options.ttlMs });
    return { cache, close: () => cache.close() };
  }
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  // Redis being away costs the cache its L2, never a request: the breaker skips it.
  redis.on('error', () => {});
  const cache = new CacheManager({
    namespace: options.namespace,
    ttl: options.ttlMs,
    l2: new RedisTier({ client: redis }),
    bus: new RedisBus({ client: redis, channel: `${options.namespace}:invalidate` }),
  });
  return {
    cache,
    async close() {
      await cache.close();
      redis.disconnect();
    },
  };
}
