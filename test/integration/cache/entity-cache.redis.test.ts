import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { countingTier, disposeCaches, eventually, gate, testRedis } from '../../support/cache.js';
import { uniqueName } from '../../support/services.js';

interface User {
  id: number;
  name: string;
  at: Date;
}

const namespace = uniqueName('ec');
// A channel of this file's own: other files' caches publish on the default one, and their
// messages would pass for this file's deliveries.
const busChannel = `${namespace}:invalidate`;
const entity = { name: 'user', schemaVersion: 2 };
let redis: Redis;
const managers: CacheManager[] = [];
const db = new Map<number, User>();

function manager(options: ConstructorParameters<typeof CacheManager>[0] = {}): CacheManager {
  const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }), ...options });
  managers.push(cache);
  return cache;
}

function loader(calls: number[][]) {
  return async (ids: readonly number[]) => {
    calls.push([...ids]);
    return new Map(ids.flatMap((id) => (db.has(id) ? [[id, { ...db.get(id)! }] as const] : [])));
  };
}

beforeAll(() => {
  redis = testRedis();
  for (let id = 1; id <= 10; id++) db.set(id, { id, name: `user ${id}`, at: new Date(id * 1000) });
});

afterAll(() => disposeCaches(redis, namespace, managers));

describe('EntityCache from CacheManager.forEntity', () => {
  it('getByIds answers in order, loads only the missing ids once, with one MGET', async () => {
    const tier = countingTier(new RedisTier({ client: redis }));
    const users = manager({ l2: tier }).forEntity<User, number>(entity);
    const calls: number[][] = [];
    expect((await users.getByIds([1, 2], loader(calls))).map((u) => u?.id)).toEqual([1, 2]);
    const got = await users.getByIds([3, 1, 99, 3, 2], loader(calls));
    expect(got.map((u) => u?.id ?? null)).toEqual([3, 1, null, 3, 2]);
    expect(got[0]!.at).toEqual(new Date(3000));
    expect(calls).toEqual([
      [1, 2],
      [3, 99],
    ]);
    expect(tier.calls.get).toBe(2);
    await manager().forEntity<User, number>(entity).getByIds([99], loader(calls));
    expect(calls).toHaveLength(2);
  });

  it('keys are {namespace}:{entity}:{id}:v{schemaVersion}', async () => {
    const cache = manager();
    const users = cache.forEntity<User, number>(entity);
    await users.getByIds([4], loader([]));
    await cache.settle();
    expect(await redis.exists(`${namespace}:{user}:n4:v2`)).toBe(1);
  });

  it('list and count results become unreachable after any write', async () => {
    const a = manager({ bus: new RedisBus({ client: redis, channel: busChannel }) });
    const b = manager({ bus: new RedisBus({ client: redis, channel: busChannel }) });
    await Promise.all([a.ready(), b.ready()]);
    const ua = a.forEntity<User, number>(entity);
    const ub = b.forEntity<User, number>(entity);
    let count = db.size;
    let loads = 0;
    const countLoad = async () => {
      loads++;
      return count;
    };
    expect(await ua.getQuery('count:{}', countLoad)).toBe(10);
    expect(await ub.getQuery('count:{}', countLoad)).toBe(10);
    expect(loads).toBe(1);
    db.set(11, { id: 11, name: 'new', at: new Date(0) });
    count = 11;
    await ua.afterCommit([{ id: 11, value: db.get(11)! }]);
    expect(await ua.getQuery('count:{}', countLoad)).toBe(11);
    await eventually(async () => (await ub.getQuery('count:{}', countLoad)) === 11);
    expect(loads).toBe(2);
  });

  it('afterCommit invalidates ids in every tier; write-through stores the committed row', async () => {
    const cache = manager();
    const users = cache.forEntity<User, number>(entity);
    const calls: number[][] = [];
    await users.getByIds([5], loader(calls));
    db.set(5, { ...db.get(5)!, name: 'renamed' });
    await users.afterCommit([{ id: 5, value: db.get(5)! }]);
    expect((await users.getByIds([5], loader(calls)))[0]!.name).toBe('renamed');
    expect(calls).toEqual([[5], [5]]);

    const through = cache.forEntity<User, number>(entity, { strategy: 'write-through' });
    db.set(6, { ...db.get(6)!, name: 'written' });
    await through.afterCommit([{ id: 6, value: db.get(6)! }]);
    const fresh = manager().forEntity<User, number>(entity);
    const none: number[][] = [];
    expect((await fresh.getByIds([6], loader(none)))[0]!.name).toBe('written');
    expect(none).toEqual([]);
    db.delete(6);
    await through.afterCommit([{ id: 6, value: null }]);
    expect(await manager().forEntity<User, number>(entity).getByIds([6], loader(none))).toEqual([null]);
    expect(none).toEqual([[6]]);
  });

  it('write-through with a version field: a write arriving out of commit order cannot go back', async () => {
    interface Doc {
      id: number;
      body: string;
      version: number;
    }
    const versioned = { name: 'doc', versionField: 'version' };
    const ns = uniqueName('wt');
    const a = manager().forEntity<Doc, number>(versioned, { namespace: ns, strategy: 'write-through' });
    const b = manager().forEntity<Doc, number>(versioned, { namespace: ns, strategy: 'write-through' });
    const nothing = async () => new Map<number, Doc>();
    await a.afterCommit([{ id: 1, value: { id: 1, body: 'second', version: 2 } }]);
    await b.afterCommit([{ id: 1, value: { id: 1, body: 'first', version: 1 } }]);
    expect(b.peek([1])).toEqual([undefined]);
    const fresh = manager().forEntity<Doc, number>(versioned, { namespace: ns });
    expect((await fresh.getByIds([1], nothing))[0]?.body).toBe('second');
    // A deletion outranks every version: a late update cannot bring the row back.
    await a.afterCommit([{ id: 1, value: null }]);
    await b.afterCommit([{ id: 1, value: { id: 1, body: 'late', version: 3 } }]);
    const after = manager().forEntity<Doc, number>(versioned, { namespace: ns });
    expect(await after.getByIds([1], nothing)).toEqual([null]);
  });

  it('a getByIds that races a commit does not cache the old row', async () => {
    const cache = manager();
    const users = cache.forEntity<User, number>(entity);
    const started = gate();
    const release = gate();
    const reading = users.getByIds([7], async (ids) => {
      const snapshot = new Map(ids.map((id) => [id, { ...db.get(id)! }]));
      started.open();
      await release.promise;
      return snapshot;
    });
    await started.promise;
    db.set(7, { ...db.get(7)!, name: 'after' });
    await users.afterCommit([{ id: 7, value: db.get(7)! }]);
    release.open();
    expect((await reading)[0]!.name).toBe('user 7');
    await cache.settle();
    expect(await redis.get(`${namespace}:{user}:n7:v2`)).toBeNull();
    expect(cache.stats().writeBacksRefused).toBe(1);
    const again = await users.getByIds([7], loader([]));
    expect(again[0]!.name).toBe('after');
  });

  it('warm fills the cache with progress', async () => {
    const cache = manager();
    const users = cache.forEntity<User, number>(entity, { namespace: uniqueName('warm') });
    const progress: number[] = [];
    const found = await users.warm([1, 2, 3, 4, 5, 404], loader([]), {
      chunkSize: 4,
      onProgress: (done) => progress.push(done),
    });
    expect(found).toBe(5);
    expect(progress).toEqual([4, 6]);
    const calls: number[][] = [];
    await users.getByIds([1, 2, 3, 404], loader(calls));
    expect(calls).toEqual([]);
  });

  it('cache-aside loads each miss by its caller', async () => {
    const users = manager().forEntity<User, number>(entity, {
      strategy: 'cache-aside',
      namespace: uniqueName('ca'),
    });
    const calls: number[][] = [];
    const slow = async (ids: readonly number[]) => {
      await new Promise((r) => setTimeout(r, 10));
      return loader(calls)(ids);
    };
    await Promise.all([users.getByIds([1], slow), users.getByIds([1], slow)]);
    expect(calls).toEqual([[1], [1]]);
  });
});
