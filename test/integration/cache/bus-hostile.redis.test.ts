import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { RedisBus } from '../../../src/cache/redis/redis-bus.js';
import { ValidationError } from '../../../src/errors.js';
import { eventually, testRedis } from '../../support/cache.js';
import { uniqueName } from '../../support/services.js';

const namespace = uniqueName('bushostile');
const channel = `${namespace}:invalidate`;
let redis: Redis;
let cache: CacheManager;

beforeAll(async () => {
  redis = testRedis();
  cache = new CacheManager({ namespace, bus: new RedisBus({ client: redis, channel }) });
  await cache.ready();
});

afterAll(async () => {
  await cache.close();
  redis.disconnect();
});

describe('invalidation messages from whoever can PUBLISH on the channel', () => {
  it('reports malformed messages as ValidationErrors and ignores them; well-formed ones still work', async () => {
    const errors: unknown[] = [];
    cache.events.on('error', ({ tier, error }) => {
      if (tier === 'bus') errors.push(error);
    });
    await cache.set('k', 1);
    const malformed = [
      'not json',
      'null',
      '5',
      '[]',
      '{"t":1,"keys":["x"]}',
      '{"o":"x","keys":["x"]}',
      '{"o":"x","t":1,"keys":{"length":5}}',
      '{"o":"x","t":1,"keys":[1,2]}',
      '{"o":"x","t":1,"prefix":{}}',
    ];
    for (const text of malformed) await redis.publish(channel, text);
    await eventually(() => errors.length === malformed.length, 10_000);
    expect(errors.every((error) => error instanceof ValidationError)).toBe(true);
    expect(await cache.get('k')).toBe(1);

    // A well-formed message (as another process sends it) still drops the key from L1.
    const key = `${namespace}:{~k}`;
    await redis.publish(channel, JSON.stringify({ o: 'another-process', t: Date.now(), keys: [key] }));
    await eventually(async () => (await cache.get('k')) === undefined, 10_000);
    expect(errors).toHaveLength(malformed.length);
  });
});
