import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/cache/cache-manager.js';
import { RedisTier } from '../../src/cache/redis/redis-tier.js';
import { disposeCaches, eventually, testRedis } from '../support/cache.js';
import { redisUrl, uniqueName } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// The L2 breaker half-opens as soon as the tier's client reports `ready`, not after its
// reset timeout: with a reset timeout of a minute, only that hook can bring L2 back within
// the few seconds these tests wait.
const namespace = uniqueName('breakready');
const redisPort = Number(new URL(redisUrl()).port || 6379);
const cleanup: (() => Promise<void> | void)[] = [];
let direct: Redis;

beforeAll(() => {
  direct = testRedis();
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await disposeCaches(direct, namespace, []);
});

const tiers: [string, (port: number) => RedisTier][] = [
  [
    'your client',
    (port) => {
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      cleanup.push(() => client.disconnect());
      return new RedisTier({ client });
    },
  ],
  ['a client the tier creates', (port) => new RedisTier({ redis: { host: '127.0.0.1', port } })],
];

describe.each(tiers)('the L2 breaker over %s', (_name, makeTier) => {
  it('probes as soon as the client is ready again, long before its reset timeout', async () => {
    const proxy = await TcpProxy.start({ port: redisPort });
    cleanup.push(() => proxy.close());
    const tier = makeTier(proxy.port);
    const cache = new CacheManager({
      namespace,
      l2: tier,
      // Generous, so the probe after the outage cannot time out on a loaded machine: a
      // failed probe would keep the breaker open for the whole minute.
      l2Timeout: 1_000,
      breaker: { failureThreshold: 2, resetTimeoutMs: 60_000 },
    });
    const writer = new CacheManager({ namespace, l2: new RedisTier({ client: direct }) });
    cleanup.push(
      () => cache.close(),
      () => writer.close(),
    );
    const key = uniqueName('shared');
    await cache.get('warm-up');
    await eventually(() => tier.client.status === 'ready');

    proxy.setMode('refuse');
    proxy.cutAll();
    let miss = 0;
    await eventually(async () => {
      await cache.get(`miss-${miss++}`);
      return cache.stats().l2.breaker === 'open';
    }, 10_000);
    await writer.set(key, 'from L2');
    // The breaker is open: L2 is not asked, the value is not seen.
    expect(await cache.get(key)).toBeUndefined();
    expect(cache.stats().l2.skipped).toBeGreaterThan(0);

    proxy.restore();
    await eventually(async () => (await cache.get(key)) === 'from L2', 10_000);
    expect(cache.stats().l2.breaker).toBe('closed');
  });
});

describe('a breaker whose probe fails after the client was ready', () => {
  it('waits for the next ready (or its timeout), not probing on every call', async () => {
    const proxy = await TcpProxy.start({ port: redisPort });
    cleanup.push(() => proxy.close());
    const client = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    cleanup.push(() => client.disconnect());
    const cache = new CacheManager({
      namespace,
      l2: new RedisTier({ client }),
      l2Timeout: 100,
      breaker: { failureThreshold: 1, resetTimeoutMs: 60_000 },
    });
    cleanup.push(() => cache.close());
    await cache.get('warm-up');
    await eventually(() => client.status === 'ready');
    // The server hangs: the client stays connected (no new ready), every call times out.
    proxy.setMode('hold');
    await eventually(async () => {
      await cache.get('hung');
      return cache.stats().l2.breaker === 'open';
    }, 10_000);
    const errors = cache.stats().l2.errors;
    for (let i = 0; i < 20; i++) await cache.get(`skipped-${i}`);
    expect(cache.stats().l2.errors).toBe(errors);
    expect(cache.stats().l2.skipped).toBeGreaterThanOrEqual(20);
    expect(cache.stats().l2.breaker).toBe('open');
    proxy.restore();
  });
});
