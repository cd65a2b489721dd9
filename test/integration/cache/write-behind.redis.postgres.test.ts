import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisTier } from '../../../src/cache/redis/redis-tier.js';
import { type WriteBehindOp, WriteBehindQueue } from '../../../src/cache/redis/write-behind.js';
import { UnavailableError } from '../../../src/errors.js';
import { disposeCaches, eventually, testRedis } from '../../support/cache.js';
import { bundleScript, startWorker } from '../../support/fork-ts.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl, redisUrl, uniqueName } from '../../support/services.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { applyItems, type Item } from '../../support/write-behind-items.js';

let schema: TestSchema;
let redis: Redis;
const namespace = uniqueName('wb');

/** The batch write the queue flushes to (one transaction, as a backend's). */
function applyBatch(ops: readonly WriteBehindOp<Item, number>[]): Promise<void> {
  return applyItems(schema.pool, ops);
}

async function rows(): Promise<Map<number, number>> {
  const result = await schema.sql('SELECT id, value FROM items ORDER BY id');
  return new Map(result.rows.map((row: Item) => [row.id, row.value]));
}

beforeAll(async () => {
  schema = await createTestSchema('wb');
  await schema.sql('CREATE TABLE items (id int PRIMARY KEY, value int NOT NULL)');
  redis = testRedis();
});

afterAll(async () => {
  await schema.drop();
  await disposeCaches(redis, namespace, []);
});

describe('write-behind through a Redis Stream', () => {
  it('acknowledges once queued, serves the value from the cache, coalesces, retries and flushes on close', async () => {
    await schema.sql('TRUNCATE items');
    const cache = new CacheManager({ namespace, l2: new RedisTier({ client: redis }) });
    const items = cache.forEntity<Item, number>({ name: 'item' }, { namespace: uniqueName('wbc') });
    const batches: number[] = [];
    let failures = 1;
    const queue = new WriteBehindQueue<Item, number>({
      client: redis,
      namespace: uniqueName('wbq'),
      entity: 'item',
      cache: items,
      retry: { initialDelayMs: 10 },
      async flush(ops) {
        if (failures-- > 0) throw new Error('backend briefly down');
        batches.push(ops.length);
        await applyBatch(ops);
      },
    });
    await queue.enqueueMany([
      { op: 'upsert', id: 1, value: { id: 1, value: 1 } },
      { op: 'upsert', id: 1, value: { id: 1, value: 2 } },
      { op: 'upsert', id: 2, value: { id: 2, value: 20 } },
      { op: 'delete', id: 2 },
      { op: 'upsert', id: 3, value: { id: 3, value: 30 } },
    ]);
    expect((await rows()).size).toBe(0);
    const fromCache = await items.getByIds([1, 2, 3], async () => new Map());
    expect(fromCache).toEqual([{ id: 1, value: 2 }, null, { id: 3, value: 30 }]);
    queue.start();
    await eventually(async () => (await queue.backlog()) === 0);
    expect(batches).toEqual([3]);
    expect([...(await rows())]).toEqual([
      [1, 2],
      [3, 30],
    ]);
    await queue.enqueue({ op: 'upsert', id: 4, value: { id: 4, value: 40 } });
    await queue.close();
    expect((await rows()).get(4)).toBe(40);
    await expect(queue.enqueue({ op: 'delete', id: 4 })).rejects.toBeInstanceOf(UnavailableError);
    await cache.close();
  });

  it('refuses to acknowledge when Redis cannot take the write', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(redisUrl()).port || 6379) });
    const queue = new WriteBehindQueue<Item, number>({
      redis: { host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 0, enableOfflineQueue: false },
      namespace: uniqueName('wbd'),
      entity: 'item',
      flush: applyBatch,
    });
    proxy.setMode('refuse');
    proxy.cutAll();
    await new Promise((r) => setTimeout(r, 50));
    const error = await queue
      .enqueue({ op: 'upsert', id: 9, value: { id: 9, value: 9 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toMatch(/was not queued/);
    proxy.restore();
    // Nothing was queued; close() may still find the reader connection reconnecting (no
    // offline queue here), which it reports, and it releases the connections either way.
    await queue.close().catch((e: unknown) => expect(e).toBeInstanceOf(UnavailableError));
    await proxy.close();
  });

  it('a hung Redis makes enqueue fail within its timeout instead of hanging', async () => {
    const proxy = await TcpProxy.start({ port: Number(new URL(redisUrl()).port || 6379) });
    const queue = new WriteBehindQueue<Item, number>({
      redis: { host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 },
      namespace: uniqueName('wbh'),
      entity: 'item',
      enqueueTimeoutMs: 100,
      flush: applyBatch,
    });
    await queue.backlog();
    proxy.setMode('hold');
    const started = Date.now();
    const error = await queue
      .enqueue({ op: 'upsert', id: 8, value: { id: 8, value: 8 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).message).toMatch(/may or may not be queued/);
    expect(Date.now() - started).toBeLessThan(1000);
    proxy.restore();
    await queue.close();
    await proxy.close();
  });

  it('loses no acknowledged write when the process is SIGKILLed mid-stream and a new one resumes', async () => {
    await schema.sql('TRUNCATE items');
    const script = await bundleScript(
      new URL('./fixtures/write-behind-process.ts', import.meta.url).pathname,
    );
    const env = {
      DB_URL: databaseUrl(),
      DB_SCHEMA: schema.name,
      REDIS_URL: redisUrl(),
      CACHE_NAMESPACE: namespace,
    };
    const producer = startWorker(script, { ...env, MODE: 'produce' });
    await producer.waitFor((n) => n.acked === 400, 30_000);
    producer.kill('SIGKILL');
    await new Promise((resolve) => producer.child.once('exit', resolve));
    const acked = producer.notices.map((n) => n.acked as number).filter((id) => typeof id === 'number');
    const flushedBeforeResume = (await rows()).size;
    const resumer = startWorker(script, { ...env, MODE: 'resume', CLAIM_IDLE_MS: '100' });
    await resumer.waitFor((n) => n.resumed === true, 60_000);
    const stored = await rows();
    const lost = acked.filter((id) => stored.get(id) !== id * 10);
    console.log(
      `write-behind SIGKILL: ${acked.length} acknowledged, ${flushedBeforeResume} flushed before the kill, ` +
        `${stored.size} after resume, ${lost.length} lost`,
    );
    expect(flushedBeforeResume).toBeLessThan(acked.length);
    expect(lost).toEqual([]);
  }, 120_000);
});
