import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { L2Signer } from '../../../src/cache/l2-signer.js';
import { type WriteBehindOp, WriteBehindQueue } from '../../../src/cache/redis/write-behind.js';
import { richJsonSerializer } from '../../../src/cache/serializer.js';
import { ValidationError } from '../../../src/errors.js';
import { eventually, testRedis } from '../../support/cache.js';
import { uniqueName } from '../../support/services.js';

interface Item {
  id: number;
  value: number;
}

const namespace = uniqueName('wbsign');
const key = randomBytes(32);
let redis: Redis;

beforeAll(() => {
  redis = testRedis();
});

afterAll(async () => {
  const keys = await redis.keys(`${namespace}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('signed write-behind entries', () => {
  it('flushes signed entries and drops planted ones (unsigned, other key, other stream) without flushing them', async () => {
    const flushed: WriteBehindOp<Item, number>[] = [];
    const errors: unknown[] = [];
    const queue = new WriteBehindQueue<Item, number>({
      client: redis,
      namespace,
      entity: 'item',
      signing: { keys: key },
      blockMs: 10,
      flush: async (ops) => {
        flushed.push(...ops);
      },
      onError: (error) => errors.push(error),
    });
    const planted = (id: number): WriteBehindOp<Item, number> => ({
      op: 'upsert',
      id,
      value: { id, value: -1 },
    });
    // What someone with write access to Redis could add to the stream.
    const text = (op: WriteBehindOp<Item, number>) => richJsonSerializer.serialize(op);
    const otherStream = `${namespace}:wb:{other}`;
    const signedForOtherStream = new L2Signer({ keys: key }).sign(
      `\0write-behind\0${otherStream}`,
      text(planted(3)),
    );
    await redis.xadd(queue.stream, '*', 'op', text(planted(1)));
    await redis.xadd(
      queue.stream,
      '*',
      'op',
      new L2Signer({ keys: randomBytes(32) }).sign(`\0write-behind\0${queue.stream}`, text(planted(2))),
    );
    await redis.xadd(queue.stream, '*', 'op', signedForOtherStream);
    await queue.enqueue({ op: 'upsert', id: 10, value: { id: 10, value: 10 } });
    await queue.enqueue({ op: 'delete', id: 11 });

    queue.start();
    await eventually(() => flushed.length === 2 && errors.length === 3, 15_000);
    await queue.close();
    expect(flushed).toEqual([
      { op: 'upsert', id: 10, value: { id: 10, value: 10 } },
      { op: 'delete', id: 11 },
    ]);
    expect(errors.every((error) => error instanceof ValidationError)).toBe(true);
    expect((errors as ValidationError[]).map((error) => error.issues[0]!.code).sort()).toEqual([
      'bad-signature',
      'bad-signature',
      'unsigned',
    ]);
    // Dropped entries are acknowledged with their batch: nothing is left to poison the queue.
    expect(await redis.xlen(queue.stream)).toBe(0);
  });
});
