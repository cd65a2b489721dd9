import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { countingTier, eventually, gate } from '../../support/cache.js';
import { OwnRedisCluster } from '../../support/redis-cluster.js';
import { uniqueName } from '../../support/services.js';

let cluster: OwnRedisCluster;
let client: Cluster;
const managers: CacheManager[] = [];
const namespace = uniqueName('cl');

function manager(options: ConstructorParameters<typeof CacheManager>[0] = {}): CacheManager {
  const cache = new CacheManager({ namespace, l2: new RedisTier({ client }), l2Timeout: 500, ...options });
  managers.push(cache);
  return cache;
}

beforeAll(async () => {
  cluster = await OwnRedisCluster.start();
  client = cluster.client();
  await client.set('warmup', '1');
}, 60_000);

afterAll(async () => {
  for (const cache of managers) await cache.close();
  client?.disconnect();
  await cluster?.stop();
});

describe('the cache on a three-node Redis Cluster', () => {
  it('reads many ids of an entity with one MGET (one hash slot) and plain keys across slots', async () => {
    const tier = countingTier(new RedisTier({ client }));
    const cache = manager({ l2: tier });
    const users = cache.forEntity<{ id: number }, number>({ name: 'user' });
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    await users.getByIds(ids, async (missing) => new Map(missing.map((id) => [id, { id }])));
    await cache.settle();
    const reader = manager({ l2: tier });
    const before = tier.calls.get ?? 0;
    const got = await reader
      .forEntity<{ id: number }, number>({ name: 'user' })
      .getByIds(ids, async () => new Map());
    expect(got.map((u) => u?.id)).toEqual(ids);
    expect((tier.calls.get ?? 0) - before).toBe(1);

    for (const key of ['alpha', 'beta', 'gamma', 'delta']) await cache.set(key, key.toUpperCase());
    expect(await manager().getMany(['alpha', 'beta', 'gamma', 'delta', 'none'])).toEqual([
      'ALPHA',
      'BETA',
      'GAMMA',
      'DELTA',
      undefined,
    ]);
  });

  it('keeps the race closed (generation scripts work per slot)', async () => {
    const cache = manager();
    const started = gate();
    const release = gate();
    const reading = cache.getOrLoad('raced', async () => {
      started.open();
      await release.promise;
      return 'old';
    });
    await started.promise;
    await cache.set('raced', 'new');
    release.open();
    await reading;
    await cache.settle();
    expect(await manager().get('raced')).toBe('new');
  });

  it('invalidates through the bus and clears a namespace on every master', async () => {
    const a = manager({ bus: new RedisBus({ client }) });
    const b = manager({ bus: new RedisBus({ client }) });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('shared', 1);
    expect(await b.get('shared')).toBe(1);
    await a.set('shared', 2);
    await eventually(async () => (await b.get('shared')) === 2);
    await a.clear();
    const left = await Promise.all(client.nodes('master').map((node) => node.keys(`${namespace}:*`)));
    expect(left.flat()).toEqual([]);
    await eventually(async () => (await b.get('shared')) === undefined);
  });
});
