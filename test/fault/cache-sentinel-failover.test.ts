import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../src/cache/cache-manager.js';
import { RedisBus } from '../../src/cache/redis/redis-bus.js';
import { RedisTier } from '../../src/cache/redis/redis-tier.js';
import { eventually, sleep } from '../support/cache.js';
import { OwnRedisSentinel } from '../support/redis-sentinel.js';
import { uniqueName } from '../support/services.js';

let sentinel: OwnRedisSentinel;
const managers: CacheManager[] = [];
const namespace = uniqueName('sentinel');

function manager(): CacheManager {
  const options = { ...sentinel.options, maxRetriesPerRequest: 1 };
  const cache = new CacheManager({
    namespace,
    l2: new RedisTier({ redis: options }),
    bus: new RedisBus({ redis: options }),
    l2Timeout: 100,
    breaker: { failureThreshold: 3, resetTimeoutMs: 200 },
  });
  managers.push(cache);
  return cache;
}

beforeAll(async () => {
  sentinel = await OwnRedisSentinel.start();
}, 30_000);

afterAll(async () => {
  for (const cache of managers) await cache.close();
  await sentinel?.stop();
});

describe('the cache through Redis Sentinel', () => {
  it('works through Sentinel, and keeps serving reads across a master failover', async () => {
    const writer = manager();
    const reader = manager();
    await Promise.all([writer.ready(), reader.ready()]);
    await writer.set('before', 'v1');
    expect(await reader.get('before')).toBe('v1');
    const firstMaster = sentinel.currentMasterPort();

    let running = true;
    let reads = 0;
    const failures: unknown[] = [];
    const load = (async () => {
      while (running) {
        try {
          const key = `k${reads % 20}`;
          if ((await reader.getOrLoad(key, async () => key, { ttl: 100 })) !== key) failures.push(key);
        } catch (error) {
          failures.push(error);
        }
        reads++;
        await sleep(2);
      }
    })();
    await sleep(200);
    await sentinel.killMaster();
    await eventually(() => sentinel.currentMasterPort() !== firstMaster, 15_000);
    // After the failover both managers find the new master by themselves.
    await eventually(async () => {
      await writer.set('after', 'v2');
      return (await manager().get('after')) === 'v2';
    }, 15_000);
    running = false;
    await load;
    console.log(
      `sentinel failover ${firstMaster} -> ${sentinel.currentMasterPort()}: ${reads} reads, ${failures.length} failed, ` +
        `L2 errors absorbed ${reader.stats().l2.errors}, skipped ${reader.stats().l2.skipped}`,
    );
    expect(failures).toEqual([]);
    expect(reader.stats().l2.errors + reader.stats().l2.skipped).toBeGreaterThan(0);
  }, 60_000);
});
