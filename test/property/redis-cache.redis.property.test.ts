import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory/memory-backend.js';
import { CacheManager } from '../../src/cache/cache-manager.js';
import { RedisTier } from '../../src/cache/redis/redis-tier.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { testRedis } from '../support/cache.js';
import { uniqueName } from '../support/services.js';
import {
  hostileValue,
  type Probe,
  Probe as ProbeEntity,
  RUNS,
  typedOutcomeAsync,
  watchProcess,
} from './hostile.js';
import {
  checkHostileCall,
  hostileCall,
  injections,
  type ProbeInput,
  validProbe,
} from './repository-operations.js';

const namespace = uniqueName('hostile');
const canaryPrefix = uniqueName('canary');
/** Keys no hostile id or key may reach: another prefix, another entity, another schema version, an unescaped key. */
const canaries: Record<string, string> = {
  [`${canaryPrefix}:plain`]: 'alpha',
  [`${canaryPrefix}:{probe}:sp-1:v1`]: 'beta',
  [`${namespace}:{admin}:sp-1:v1`]: 'gamma',
  [`${namespace}:{probe}:sp-1:v2`]: 'delta',
  [`${namespace}:{~a:b}`]: 'epsilon',
  [`${namespace}:{probe}:gen:x`]: 'zeta',
};

/** Free-form cache keys aimed at the canaries and at the layout's separators. */
const hostileKey = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    'a:b',
    '}:{admin}:sp-1:v1',
    '{probe}:sp-1:v1',
    `}${canaryPrefix}:plain`,
    '\r\n*1\r\n$8\r\nFLUSHALL\r\n',
    '%7Ba%3Ab%7D',
    'x'.repeat(50_000),
  ),
  hostileValue,
);

const cacheCall = fc.oneof(
  fc.tuple(hostileKey, hostileValue).map(([key, value]) => ({
    op: 'set',
    run: (cache: CacheManager) => cache.set(key as string, value),
  })),
  hostileKey.map((key) => ({ op: 'get', run: (cache: CacheManager) => cache.get(key as string) })),
  hostileKey.map((key) => ({ op: 'delete', run: (cache: CacheManager) => cache.delete(key as string) })),
  fc.array(hostileKey, { maxLength: 3 }).map((keys) => ({
    op: 'getMany',
    run: (cache: CacheManager) => cache.getMany(keys as string[]),
  })),
  fc.array(hostileKey, { maxLength: 3 }).map((tags) => ({
    op: 'invalidateTags',
    run: (cache: CacheManager) => cache.invalidateTags(tags as string[]),
  })),
);

describe('CacheManager on Redis under hostile keys and ids (fast-check)', () => {
  let redis: Redis;
  let cache: CacheManager;
  let repo: BaseRepository<Probe, string, ProbeInput>;
  const watcher = watchProcess();

  beforeAll(async () => {
    redis = testRedis();
    await redis.mset(canaries);
    injections.push(...Object.keys(canaries), '}:{admin}:sp-1:v1', 'sp-1:v2', 'gen');
    cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }) });
    repo = new BaseRepository({
      entity: ProbeEntity,
      backend: new MemoryBackend(ProbeEntity),
      cache: cache.forEntity(ProbeEntity),
      cursorSecret: 'redis-secret',
    });
    await repo.createMany([validProbe('p-1'), validProbe('p-2')]);
  });

  afterAll(async () => {
    await cache?.settle();
    watcher.stop();
    expect(watcher.count(), 'unhandled rejections or uncaught exceptions').toBe(0);
    await cache?.close();
    for (const pattern of [`${namespace}*`, `${canaryPrefix}*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis?.disconnect();
  });

  const expectCanariesIntact = async () => {
    const names = Object.keys(canaries);
    expect(await redis.mget(...names)).toEqual(names.map((name) => canaries[name]));
  };

  it(`${RUNS} hostile free-form keys and values: typed errors only, canary keys untouched`, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(cacheCall, async (call) => {
        await typedOutcomeAsync(() => call.run(cache));
      }),
      { numRuns: RUNS },
    );
    await cache.settle();
    await expectCanariesIntact();
    // Every key the cache wrote lies in the namespace, inside a hash tag of the layout.
    for (const key of await redis.keys(`${namespace}:*`)) {
      if (key in canaries) continue;
      expect(key).toMatch(new RegExp(`^${namespace}:(\\{(probe|~[^{}:\\s]*)\\}|#[^{}:\\s]*)`));
    }
    console.info(
      `redis free-form keys: ${RUNS} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);

  it(`${RUNS} hostile repository calls through the Redis-backed entity cache: typed errors only, canaries untouched`, async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(hostileCall, async (call) => {
        await checkHostileCall(repo, call);
      }),
      { numRuns: RUNS },
    );
    await cache.settle();
    await expectCanariesIntact();
    expect(await repo.getById('p-1')).not.toBeNull();
    console.info(
      `redis entity cache: ${RUNS} cases in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
