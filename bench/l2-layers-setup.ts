import { Redis } from 'ioredis';
import { CacheCore } from '../src/cache/cache-core.js';
import { CacheManager } from '../src/cache/cache-manager.js';
import { plainKey } from '../src/cache/keys.js';
import { RedisTier } from '../src/cache/redis/redis-tier.js';
import { typicalRow as row } from './typical-row.js';

/** How many keys the layer benchmarks cycle through. */
export const LAYER_KEYS = 1000;

/**
 * What the L2 layer benchmarks share: LAYER_KEYS typical rows stored both as reposit entries
 * (`k0`…) and as raw JSON (`<namespace>:raw:0`…), a `CacheManager` and a bare `CacheCore` over
 * one RedisTier, each with an L1 of one entry so that every read reaches L2.
 *
 * @example
 * ```ts
 * const layers = await seedLayers(`bench_layers_${process.pid}`);
 * await layers.cache.get('k1');
 * await layers.dispose();
 * ```
 */
export async function seedLayers(namespace: string) {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const tier = new RedisTier({ client: redis });
  const cache = new CacheManager({ namespace, l1: { maxEntries: 1 }, l2: tier });
  const core = new CacheCore({ l1: { maxEntries: 1 }, l2: tier });
  for (let i = 0; i < LAYER_KEYS; i++) {
    await cache.set(`k${i}`, row(i), { ttl: 3_600_000 });
    await redis.set(`${namespace}:raw:${i}`, JSON.stringify(row(i)));
  }
  return {
    redis,
    cache,
    core,
    entryKeys: Array.from({ length: LAYER_KEYS }, (_, i) => plainKey(namespace, `k${i}`)),
    rawKeys: Array.from({ length: LAYER_KEYS }, (_, i) => `${namespace}:raw:${i}`),
    async dispose(): Promise<void> {
      await cache.clear();
      const leftovers = await redis.keys(`${namespace}*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
      redis.disconnect();
    },
  };
}
