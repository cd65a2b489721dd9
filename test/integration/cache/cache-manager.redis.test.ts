import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { TimeoutError, ValidationError } from '../../../src/errors.js';
import { countingTier, disposeCaches, eventually, gate, sleep, testRedis } from '../../support/cache.js';
import { uniqueName } from '../../support/services.js';

const namespace = uniqueName('cm');
// A channel of this file's own: other files' caches publish on the default one, and their
// messages would pass for this file's deliveries.
const busChannel = `${namespace}:invalidate`;
let redis: Redis;
const managers: CacheManager[] = [];

function manager(options: ConstructorParameters<typeof CacheManager>[0] = {}): CacheManager {
  const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }), ...options });
  managers.push(cache);
  return cache;
}

beforeAll(() => {
  redis = testRedis();
});

afterAll(() => disposeCaches(redis, namespace, managers));

describe('CacheManager with Redis', () => {
  it('round-trips rich values through L2 to a process with an empty L1', async () => {
    const value = { at: new Date(1234), big: 99n, raw: Buffer.from('ok'), nested: { none: null } };
    await manager().set('rich', value);
    const other = manager();
    expect(await other.get('rich')).toEqual(value);
    expect(other.stats().l2.hits).toBe(1);
    expect(await other.get('rich')).toEqual(value);
    expect(other.stats().l1.hits).toBe(1);
  });

  it('reads many keys with one L2 call', async () => {
    const writer = manager();
    await writer.set('m1', 1);
    await writer.set('m3', 3);
    const tier = countingTier(new RedisTier({ client: redis }));
    const reader = manager({ l2: tier });
    expect(await reader.getMany(['m1', 'm2', 'm3'])).toEqual([1, undefined, 3]);
    expect(tier.calls.get).toBe(1);
  });

  it('coalesces the reads of one tick into MGETs of at most 16 keys, one call per caller', async () => {
    const writer = manager();
    const keys = Array.from({ length: 41 }, (_, i) => `c${i}`);
    for (const [i, key] of keys.entries()) await writer.set(key, i);
    const tier = countingTier(new RedisTier({ client: redis }));
    const reader = manager({ l2: tier });
    // 41 callers in one tick: with nothing in flight the first read goes out at once, the
    // other 40 are coalesced behind it, 16 + 16 + 8, so Redis answers one MGET while this
    // process still gathers the next.
    expect(await Promise.all(keys.map((key) => reader.get(key)))).toEqual(keys.map((_, i) => i));
    expect(tier.calls.get).toBe(4);
    // One caller's keys are never split.
    const single = manager({ l2: tier });
    expect(await single.getMany(keys)).toEqual(keys.map((_, i) => i));
    expect(tier.calls.get).toBe(5);
  });

  it('coalesces the reads that the callers of a shared answer make at once, instead of sending the first alone', async () => {
    const writer = manager();
    const keys = ['a', 'b', 'c', ...Array.from({ length: 8 }, (_, i) => `then${i}`)];
    for (const key of keys) await writer.set(key, key);
    const tier = countingTier(new RedisTier({ client: redis }));
    const reader = manager({ l2: tier });
    // a goes out at once; b and c, read while it is out, share the next MGET. When that
    // answer reaches them, nothing is in flight, and both callers read again in the same
    // tick: the 8 follow-up reads go as one MGET, not one alone and then the rest.
    const first = reader.get('a');
    const followUps = Promise.all([reader.get('b'), reader.get('c')]).then(() =>
      Promise.all(keys.slice(3).map((key) => reader.get(key))),
    );
    expect(await first).toBe('a');
    expect(await followUps).toEqual(keys.slice(3));
    expect(tier.calls.get).toBe(3);
  });

  it('loads N concurrent misses once', async () => {
    const cache = manager();
    let calls = 0;
    const release = gate();
    const results = Promise.all(
      Array.from({ length: 50 }, () =>
        cache.getOrLoad('stampede', async () => {
          calls++;
          await release.promise;
          return { n: 1 };
        }),
      ),
    );
    await sleep(20);
    release.open();
    expect(new Set((await results).map((r) => JSON.stringify(r)))).toEqual(new Set(['{"n":1}']));
    expect(calls).toBe(1);
  });

  it('caches absent values for negativeTtl only', async () => {
    const cache = manager({ negativeTtl: 80 });
    let calls = 0;
    const load = async () => {
      calls++;
      return undefined;
    };
    expect(await cache.getOrLoad('absent', load)).toBeUndefined();
    expect(await cache.getOrLoad('absent', load)).toBeUndefined();
    expect(calls).toBe(1);
    await sleep(120);
    await cache.getOrLoad('absent', load);
    expect(calls).toBe(2);
  });

  it('serves stale within grace while refreshing, then the fresh value', async () => {
    const cache = manager({ ttl: 50, grace: 10_000, jitter: 0 });
    let version = 1;
    const load = async () => ({ version: version++ });
    expect(await cache.getOrLoad('swr', load)).toEqual({ version: 1 });
    await sleep(70);
    expect(await cache.getOrLoad('swr', load)).toEqual({ version: 1 });
    expect(cache.stats().staleServed).toBe(1);
    await eventually(async () => ((await cache.get<{ version: number }>('swr'))?.version ?? 0) === 2);
  });

  it('soft timeout serves stale when the loader is slow; hard timeout fails without stale', async () => {
    const cache = manager({ ttl: 30, grace: 10_000, jitter: 0 });
    await cache.getOrLoad('soft', async () => 'old');
    await sleep(50);
    const started = Date.now();
    const slow = async () => {
      await sleep(300);
      return 'new';
    };
    expect(await cache.getOrLoad('soft', slow, { softTimeout: 30 })).toBe('old');
    expect(Date.now() - started).toBeLessThan(250);
    await expect(cache.getOrLoad('hard', slow, { hardTimeout: 40 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('deletes, clears a namespace and invalidates tags in both tiers', async () => {
    const cache = manager();
    await cache.set('d1', 1);
    await cache.set('d2', 2, { tags: ['group'] });
    await cache.set('d3', 3, { tags: ['group'] });
    await cache.delete('d1');
    expect(await manager().get('d1')).toBeUndefined();
    await cache.invalidateTags(['group']);
    expect(await cache.getMany(['d2', 'd3'])).toEqual([undefined, undefined]);
    expect(await manager().getMany(['d2', 'd3'])).toEqual([undefined, undefined]);
    const other = uniqueName('cm2');
    await cache.set('x', 1, { namespace: other });
    await cache.set('keep', 1);
    await cache.clear(other);
    expect(await manager().get('x', { namespace: other })).toBeUndefined();
    expect(await manager().get('keep')).toBe(1);
  });

  it('rejects bad keys, namespaces, options and values with ValidationError', async () => {
    const cache = manager();
    await expect(cache.get('')).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.get('k', { namespace: 'a:b' })).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.getOrLoad('k', async () => 1, { ttl: -1 })).rejects.toThrow(/ttl/);
    await expect(cache.set('fn', { f: () => 1 })).rejects.toThrow(/Cannot cache this value/);
    expect(await cache.get('fn')).toBeUndefined();
    expect(() => new CacheManager({ namespace: 'no spaces' })).toThrow(ValidationError);
  });

  it('never lets a caller change the cached value', async () => {
    const cache = manager();
    const mine = { list: [1] };
    await cache.set('mine', mine);
    mine.list.push(2);
    const got = (await cache.get<{ list: number[] }>('mine'))!;
    expect(got.list).toEqual([1]);
    expect(() => got.list.push(3)).toThrow(TypeError);
  });

  it('an L2 hit is protected like an L1 hit: deep-frozen, or a copy for the caller alone', async () => {
    type Rows = { rows: { tags: string[] }[] };
    await manager().set('plain', { rows: [{ tags: ['a'] }] });
    await manager().set('dated', { rows: [{ tags: ['a'] }], at: new Date(5) });
    await manager().set('mapped', { rows: [{ tags: ['a'] }], byName: new Map([['k', { n: 1 }]]) });
    // Each read from a process with an empty L1, so it is an L2 hit.
    const plain = (await manager().get<Rows>('plain'))!;
    expect(() => plain.rows[0]!.tags.push('b')).toThrow(TypeError);
    const dated = (await manager().get<Rows & { at: Date }>('dated'))!;
    expect(() => dated.rows[0]!.tags.push('b')).toThrow(TypeError);
    expect(() => dated.at.setTime(0)).toThrow(TypeError);
    // A Map cannot be frozen: every reader gets a copy of its own.
    const reader = manager();
    const mapped = (await reader.get<Rows & { byName: Map<string, { n: number }> }>('mapped'))!;
    mapped.byName.get('k')!.n = 99;
    mapped.rows[0]!.tags.push('b');
    expect(await reader.get('mapped')).toEqual({
      rows: [{ tags: ['a'] }],
      byName: new Map([['k', { n: 1 }]]),
    });
    // Copy mode: the same for every value.
    const copying = manager({ l1: { immutability: 'copy' } });
    (await copying.get<Rows>('plain'))!.rows[0]!.tags.push('b');
    expect((await copying.get<Rows>('plain'))!.rows[0]!.tags).toEqual(['a']);
  });

  it('reads an L2 value whose envelope times are not numbers as a miss, never as a live value', async () => {
    await redis.set(`${namespace}:{~corrupt}`, 'v!!|!!|0{"planted":true}');
    const cache = manager();
    expect(await cache.get('corrupt')).toBeUndefined();
    expect(await cache.getOrLoad('corrupt', async () => 'fresh')).toBe('fresh');
  });

  it('a load that races a write never writes back the old value (L1 and L2)', async () => {
    const cache = manager();
    const started = gate();
    const release = gate();
    const reading = cache.getOrLoad('race', async () => {
      started.open();
      await release.promise;
      return 'old';
    });
    await started.promise;
    await cache.set('race', 'new');
    release.open();
    expect(await reading).toBe('old');
    await cache.settle();
    expect(await cache.get('race')).toBe('new');
    expect(await manager().get('race')).toBe('new');

    const reader = manager();
    const started2 = gate();
    const release2 = gate();
    const reading2 = reader.getOrLoad('race2', async () => {
      started2.open();
      await release2.promise;
      return 'old';
    });
    await started2.promise;
    await cache.delete('race2');
    release2.open();
    await reading2;
    await reader.settle();
    expect(await redis.get(`${namespace}:{~race2}`)).toBeNull();
    expect(reader.stats().writeBacksRefused).toBe(1);
  });

  it('the bus drops other processes’ L1 copies after a write', async () => {
    const a = manager({ bus: new RedisBus({ client: redis, channel: busChannel }) });
    const b = manager({ bus: new RedisBus({ client: redis, channel: busChannel }) });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('shared', 'v1');
    expect(await b.get('shared')).toBe('v1');
    await a.set('shared', 'v2');
    await eventually(async () => (await b.get('shared')) === 'v2');
    expect(b.stats().bus.received).toBeGreaterThan(0);
  });

  it('with the distributed lock, a fleet loads a key once', async () => {
    const fleet = Array.from({ length: 4 }, () => manager({ lock: true }));
    let calls = 0;
    const results = await Promise.all(
      fleet.map((cache) =>
        cache.getOrLoad('locked', async () => {
          calls++;
          await sleep(50);
          return 'value';
        }),
      ),
    );
    expect(results).toEqual(['value', 'value', 'value', 'value']);
    expect(calls).toBe(1);
  });
});
