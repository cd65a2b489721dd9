import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/memory-backend.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import type { BackendQuery, Condition } from '../../../src/repository/query.js';
import { Widget, type WidgetInput } from '../../../src/testing/conformance.js';
import { disposeCaches, eventually, testRedis } from '../../support/cache.js';
import { uniqueName } from '../../support/services.js';

/** The real MemoryBackend, counting the reads that reach it. */
class CountingBackend extends MemoryBackend<Widget, string> {
  reads = { findByIds: 0, find: 0, count: 0 };
  override async findByIds(ids: readonly string[]) {
    this.reads.findByIds++;
    return super.findByIds(ids);
  }
  override async find(query: BackendQuery) {
    this.reads.find++;
    return super.find(query);
  }
  override async count(where: Condition | undefined) {
    this.reads.count++;
    return super.count(where);
  }
}

const namespace = uniqueName('repo');
// A channel of this file's own: other files' caches publish on the default one, and their
// messages would pass for this file's deliveries.
const busChannel = `${namespace}:invalidate`;
let redis: Redis;
const managers: CacheManager[] = [];

function setup(options: { bus?: boolean } = {}) {
  const cache = new CacheManager({
    namespace,
    l2: new RedisTier({ client: redis }),
    bus: options.bus ? new RedisBus({ client: redis, channel: busChannel }) : undefined,
  });
  managers.push(cache);
  return cache;
}

const input = (id: string, name = `name ${id}`): WidgetInput => ({
  id,
  email: `${id}@example.com`,
  name,
  age: null,
  score: 1,
  active: true,
});

beforeAll(() => {
  redis = testRedis();
});

afterAll(() => disposeCaches(redis, namespace, managers));

describe('BaseRepository through the cache', () => {
  it('getById reads through L1 → L2 → backend, and writes invalidate after commit', async () => {
    const backend = new CountingBackend(Widget);
    const repo = new BaseRepository({ entity: Widget, backend, cache: setup().forEntity(Widget) });
    await repo.create(input('a'));
    expect((await repo.getById('a'))?.name).toBe('name a');
    expect((await repo.getById('a'))?.createdAt).toBeInstanceOf(Date);
    expect(backend.reads.findByIds).toBe(1);

    const second = new BaseRepository({ entity: Widget, backend, cache: setup().forEntity(Widget) });
    expect((await second.getById('a'))?.name).toBe('name a');
    expect(backend.reads.findByIds).toBe(1);

    await repo.update('a', { name: 'renamed' });
    expect((await repo.getById('a'))?.name).toBe('renamed');
    expect(backend.reads.findByIds).toBe(2);
    expect(await repo.getById('missing')).toBeNull();
    expect(await repo.getById('missing')).toBeNull();
    expect(backend.reads.findByIds).toBe(3);
  });

  it('list and count are cached under the entity generation; any write makes them unreachable', async () => {
    const backend = new CountingBackend(Widget);
    const cache = setup({ bus: true });
    await cache.ready();
    const repo = new BaseRepository({
      entity: Widget,
      backend,
      cache: cache.forEntity(Widget, { namespace: uniqueName('gen') }),
    });
    await repo.createMany([input('x'), input('y')]);
    expect(await repo.count()).toBe(2);
    expect(await repo.count()).toBe(2);
    expect(((await repo.list({ where: { active: true } })) as Widget[]).length).toBe(2);
    await repo.list({ where: { active: true } });
    expect(backend.reads).toMatchObject({ count: 1, find: 1 });
    await repo.create(input('z'));
    expect(await repo.count()).toBe(3);
    expect(((await repo.list({ where: { active: true } })) as Widget[]).length).toBe(3);
    expect(backend.reads).toMatchObject({ count: 2, find: 2 });
  });

  it('reads inside a transaction bypass the cache; nothing uncommitted is cached', async () => {
    const backend = new CountingBackend(Widget);
    const repo = new BaseRepository({ entity: Widget, backend, cache: setup().forEntity(Widget) });
    await repo.create(input('t'));
    await repo.getById('t');
    await expect(
      repo.transaction(async () => {
        await repo.update('t', { name: 'uncommitted' });
        expect((await repo.getById('t'))?.name).toBe('uncommitted');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await repo.getById('t'))?.name).toBe('name t');
  });

  it('two processes’ repositories stay coherent through the bus', async () => {
    const backend = new CountingBackend(Widget);
    const a = setup({ bus: true });
    const b = setup({ bus: true });
    await Promise.all([a.ready(), b.ready()]);
    const ns = uniqueName('co');
    const repoA = new BaseRepository({
      entity: Widget,
      backend,
      cache: a.forEntity(Widget, { namespace: ns }),
    });
    const repoB = new BaseRepository({
      entity: Widget,
      backend,
      cache: b.forEntity(Widget, { namespace: ns }),
    });
    await repoA.create(input('c'));
    expect((await repoB.getById('c'))?.name).toBe('name c');
    await repoA.update('c', { name: 'changed' });
    await eventually(async () => (await repoB.getById('c'))?.name === 'changed');
  });

  it('warm(ids) fills the cache with progress', async () => {
    const backend = new CountingBackend(Widget);
    const repo = new BaseRepository({ entity: Widget, backend, cache: setup().forEntity(Widget) });
    await repo.createMany(['w1', 'w2', 'w3'].map((id) => input(id)));
    const progress: number[] = [];
    await repo.warm(['w1', 'w2', 'w3'], ({ done }) => progress.push(done), 2);
    expect(progress).toEqual([2, 3]);
    const before = backend.reads.findByIds;
    await repo.getByIds(['w1', 'w2', 'w3']);
    expect(backend.reads.findByIds).toBe(before);
  });
});
