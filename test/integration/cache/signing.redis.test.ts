import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/memory-backend.js';
import { encodeEntry } from '../../../src/cache/cache-entry.js';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { renderPrometheus } from '../../../src/cache/cache-stats.js';
import { L2Signer, type SigningKey } from '../../../src/cache/l2-signer.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { richJsonSerializer } from '../../../src/cache/serializer.js';
import { ValidationError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { Widget, type WidgetInput } from '../../../src/testing/conformance.js';
import { disposeCaches, testRedis } from '../../support/cache.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { uniqueName } from '../../support/services.js';

/** The real MemoryBackend, counting the reads that reach it. */
class CountingBackend extends MemoryBackend<Widget, string> {
  reads = 0;
  override async findByIds(ids: readonly string[]) {
    this.reads++;
    return super.findByIds(ids);
  }
}

const namespace = uniqueName('signing');
const keyA = randomBytes(32);
const keyB = randomBytes(32).toString('base64');
const attackerKey = randomBytes(32);
let redis: Redis;
const managers: CacheManager[] = [];
const backend = new CountingBackend(Widget);

const input = (id: string, name = `name ${id}`): WidgetInput => ({
  id,
  email: `${id}@example.com`,
  name,
  age: null,
  score: 1,
  active: true,
});

/** A repository with a cache of its own (empty L1) over the shared Redis and backend. */
function repository(keys: SigningKey | SigningKey[] | undefined, logger?: CaptureLogger) {
  const cache = new CacheManager({
    namespace,
    l2: new RedisTier({ client: redis }),
    signing: keys === undefined ? undefined : { keys },
    logger,
  });
  managers.push(cache);
  return { cache, repo: new BaseRepository({ entity: Widget, backend, cache: cache.forEntity(Widget) }) };
}

/** The L2 key of a widget id, as the repository's cache names it. */
async function l2KeyOf(id: string): Promise<string> {
  const { repo, cache } = repository(keyA);
  await repo.getById(id);
  await cache.settle();
  const keys = (await redis.keys(`${namespace}:*`)).filter((key) => key.endsWith(`:s${id}:v1`));
  expect(keys).toHaveLength(1);
  return keys[0]!;
}

/** What an attacker with write access to Redis would store: a well-formed, unsigned entry. */
function forgedEntry(value: unknown): string {
  const now = Date.now();
  const entry = { value, expiresAt: now + 600_000, staleUntil: now + 600_000, negative: false };
  return encodeEntry(entry, richJsonSerializer.serialize(value));
}

beforeAll(async () => {
  redis = testRedis();
  const { repo } = repository(keyA);
  for (const id of ['a', 'b', 'c', 'd', 'e']) await repo.create(input(id));
});

afterAll(() => disposeCaches(redis, namespace, managers));

describe('signing options', () => {
  it('refuses short, missing or mistyped keys with a ValidationError that never shows the key', () => {
    const short = 'short-secret-123';
    const attempt = (signing: unknown) => () =>
      new CacheManager({ namespace, signing: signing as { keys: SigningKey } });
    expect(attempt({ keys: short })).toThrow(ValidationError);
    expect(attempt({ keys: short })).toThrow(/at least 32 bytes, this one has 16/);
    try {
      attempt({ keys: [keyA, short] })();
    } catch (error) {
      expect((error as Error).message).toContain('signing.keys.1');
      expect((error as Error).message).not.toContain(short);
    }
    expect(attempt({ keys: [] })).toThrow(/at least one signing key/);
    expect(attempt({})).toThrow(ValidationError);
    expect(attempt({ keys: [42] })).toThrow(/string or a Buffer/);
  });
});

describe('signed L2 values through a repository', () => {
  it('serves a value signed with the same key from L2 without touching the backend', async () => {
    await l2KeyOf('a');
    const before = backend.reads;
    const { repo, cache } = repository(keyA);
    expect((await repo.getById('a'))?.name).toBe('name a');
    expect(backend.reads).toBe(before);
    expect(cache.stats().l2).toMatchObject({ hits: 1, rejected: 0 });
  });

  it('never returns a planted unsigned value, for an existing id or an absent one', async () => {
    const key = await l2KeyOf('b');
    const entity = (await backend.findByIds(['b']))[0]!;
    await redis.set(key, forgedEntry({ ...entity, name: 'planted' }));
    const ghostKey = key.replace(':sb:', ':sghost:');
    await redis.set(ghostKey, forgedEntry({ ...entity, id: 'ghost', name: 'planted' }));

    const logger = new CaptureLogger();
    const { repo, cache } = repository(keyA, logger);
    const rejected: unknown[] = [];
    cache.events.on('rejected', (event) => rejected.push(event));
    expect((await repo.getById('b'))?.name).toBe('name b');
    expect(await repo.getById('ghost')).toBeNull();
    expect(cache.stats().l2).toMatchObject({ rejected: 2, hits: 0 });
    expect(renderPrometheus(cache.stats())).toContain('reposit_cache_rejected_total{tier="l2"} 2');
    expect(rejected).toEqual([
      { tier: 'l2', key, reason: 'unsigned' },
      { tier: 'l2', key: ghostKey, reason: 'unsigned' },
    ]);
    const lines = logger.matching('signature does not verify');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.obj).toEqual({ tier: 'l2', key, reason: 'unsigned' });
    expect(JSON.stringify(logger.lines)).not.toContain(keyA.toString('base64'));
  });

  it('never returns a value signed with another key', async () => {
    const key = await l2KeyOf('c');
    const entity = (await backend.findByIds(['c']))[0]!;
    const attacker = new L2Signer({ keys: attackerKey });
    await redis.set(key, attacker.sign(key, forgedEntry({ ...entity, name: 'evil c' })));
    const ghostKey = key.replace(':sc:', ':sghost3:');
    await redis.set(ghostKey, attacker.sign(ghostKey, forgedEntry({ ...entity, id: 'ghost3' })));

    const { repo, cache } = repository(keyA);
    const rejected: string[] = [];
    cache.events.on('rejected', (event) => rejected.push(event.reason));
    expect((await repo.getById('c'))?.name).toBe('name c');
    expect(await repo.getById('ghost3')).toBeNull();
    expect(rejected).toEqual(['bad-signature', 'bad-signature']);
    expect(cache.stats().l2).toMatchObject({ hits: 0, rejected: 2 });
  });

  it('never returns a valid value copied under another key', async () => {
    const keyOfD = await l2KeyOf('d');
    const keyOfE = await l2KeyOf('e');
    await repository(keyA).cache.settle();
    await redis.set(keyOfE, (await redis.get(keyOfD))!);
    const ghostKey = keyOfD.replace(':sd:', ':sghost2:');
    await redis.set(ghostKey, (await redis.get(keyOfD))!);

    const { repo, cache } = repository(keyA);
    expect((await repo.getById('e'))?.id).toBe('e');
    expect(await repo.getById('ghost2')).toBeNull();
    expect(cache.stats().l2.rejected).toBe(2);
  });

  it('never returns a value with one byte changed, wherever the byte is', async () => {
    const key = await l2KeyOf('a');
    const stored = (await redis.get(key))!;
    expect(stored.startsWith('~')).toBe(true);
    const positions = [1, 20, 43, 44, 45, stored.indexOf('name a') + 5, stored.length - 1];
    for (const at of positions) {
      const flipped = String.fromCharCode(stored.charCodeAt(at) ^ 1);
      await redis.set(key, stored.slice(0, at) + flipped + stored.slice(at + 1));
      const { repo, cache } = repository(keyA);
      const read = await repo.getById('a');
      expect(read?.name, `byte ${at}`).toBe('name a');
      expect(cache.stats().l2.rejected, `byte ${at}`).toBe(1);
      await cache.settle();
    }
  });

  it('rotates keys: the first key signs, every listed key verifies', async () => {
    const key = await l2KeyOf('b');
    await redis.del(key);
    const old = repository(keyA);
    await old.repo.getById('b');
    await old.cache.settle();

    const before = backend.reads;
    const rotating = repository([keyB, keyA]);
    expect((await rotating.repo.getById('b'))?.name).toBe('name b');
    expect(backend.reads).toBe(before);
    expect(rotating.cache.stats().l2).toMatchObject({ hits: 1, rejected: 0 });

    await rotating.repo.update('b', { name: 'rotated b' });
    await rotating.repo.getById('b');
    await rotating.cache.settle();
    const afterWrite = backend.reads;
    const onlyNew = repository(keyB);
    expect((await onlyNew.repo.getById('b'))?.name).toBe('rotated b');
    expect(backend.reads).toBe(afterWrite);
    expect(onlyNew.cache.stats().l2.rejected).toBe(0);

    const onlyOld = repository(keyA);
    expect((await onlyOld.repo.getById('b'))?.name).toBe('rotated b');
    expect(onlyOld.cache.stats().l2.rejected).toBe(1);
  });

  it('an unsigned cache reads signed values as misses, never as garbage', async () => {
    const key = await l2KeyOf('d');
    expect((await redis.get(key))!.startsWith('~')).toBe(true);
    const before = backend.reads;
    const { repo } = repository(undefined);
    expect((await repo.getById('d'))?.name).toBe('name d');
    expect(backend.reads).toBe(before + 1);
  });
});
