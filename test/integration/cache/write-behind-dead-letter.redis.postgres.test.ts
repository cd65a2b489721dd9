import type { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WriteBehindOp, WriteBehindQueue } from '../../../src/cache/redis/write-behind.js';
import type { WriteBehindDeadLetter } from '../../../src/cache/redis/write-behind-dead-letter.js';
import { mapPgError } from '../../../src/connection/pg-error-mapping.js';
import { DuplicateError, ValidationError } from '../../../src/errors.js';
import { disposeCaches, eventually, testRedis } from '../../support/cache.js';
import { CaptureLogger } from '../../support/capture-logger.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { uniqueName } from '../../support/services.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { applyItems, type Item } from '../../support/write-behind-items.js';

let schema: TestSchema;
let redis: Redis;
const namespace = uniqueName('wbdead');

/** The backend's batch write: one transaction, errors mapped to reposit's (as a backend does). */
async function applyBatch(pool: pg.Pool, ops: readonly WriteBehindOp<Item, number>[]): Promise<void> {
  try {
    await applyItems(pool, ops);
  } catch (error) {
    throw mapPgError(error);
  }
}

async function rows(): Promise<[number, number][]> {
  const result = await schema.sql('SELECT id, value FROM items ORDER BY id');
  return result.rows.map((row: Item) => [row.id, row.value]);
}

const upsert = (id: number, value: number): WriteBehindOp<Item, number> => ({
  op: 'upsert',
  id,
  value: { id, value },
});

beforeAll(async () => {
  schema = await createTestSchema('wbdead');
  // value: not negative (a ValidationError when it is), and unique (a DuplicateError).
  await schema.sql('CREATE TABLE items (id int PRIMARY KEY, value int NOT NULL UNIQUE CHECK (value >= 0))');
  redis = testRedis();
});

afterAll(async () => {
  await schema.drop();
  await disposeCaches(redis, namespace, []);
});

describe('write-behind entries that can never be written', () => {
  it('are moved to the dead-letter stream after maxAttempts; every good write still reaches the backend', async () => {
    await schema.sql('TRUNCATE items');
    const logger = new CaptureLogger();
    const aloneAttempts = new Map<number, number>();
    const queue = new WriteBehindQueue<Item, number>({
      client: redis,
      namespace,
      entity: 'refused',
      maxAttempts: 3,
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      blockMs: 10,
      logger,
      flush: async (ops) => {
        if (ops.length === 1) aloneAttempts.set(ops[0]!.id, (aloneAttempts.get(ops[0]!.id) ?? 0) + 1);
        await applyBatch(schema.pool, ops);
      },
    });
    const letters: WriteBehindDeadLetter<number>[] = [];
    queue.events.on('dead-letter', (letter) => letters.push(letter));
    // What a buggy producer, or anyone with access to Redis, could leave in the stream.
    await redis.xadd(queue.stream, '*', 'op', '{not json');
    await redis.xadd(queue.stream, '*', 'op', '{"op":"drop","id":7}');
    await redis.xadd(queue.stream, '*', 'other', 'field');
    await queue.enqueueMany([
      upsert(1, 10),
      upsert(2, -1), // violates the check constraint: a ValidationError
      upsert(3, 30),
      upsert(5, 10), // the value of id 1 again: a DuplicateError
      upsert(6, 60),
      { op: 'delete', id: 3 },
      upsert(3, 33),
    ]);
    queue.start();
    await eventually(() => letters.length === 5, 15_000);
    // The queue flows on after the refused entries.
    await queue.enqueue(upsert(4, 40));
    await eventually(async () => (await queue.backlog()) === 0, 15_000);
    await queue.close();

    expect(await rows()).toEqual([
      [1, 10],
      [3, 33],
      [4, 40],
      [6, 60],
    ]);
    const byId = new Map(letters.map((letter) => [letter.id, letter]));
    expect(byId.get(2)!.error).toBeInstanceOf(ValidationError);
    expect(byId.get(2)!.attempts).toBe(3);
    expect(byId.get(5)!.error).toBeInstanceOf(DuplicateError);
    expect(byId.get(5)!.attempts).toBe(3);
    // Refused operations were written alone exactly maxAttempts times, no more.
    expect(aloneAttempts.get(2)).toBe(3);
    expect(aloneAttempts.get(5)).toBe(3);
    const undecodable = letters.filter((letter) => letter.id === undefined);
    expect(undecodable).toHaveLength(3);
    for (const letter of undecodable) {
      expect(letter.error).toBeInstanceOf(ValidationError);
      expect(letter.attempts).toBe(1);
    }

    const dead = await redis.xrange(queue.deadLetterStream, '-', '+');
    expect(dead).toHaveLength(5);
    const records = dead.map(([, fields]) => {
      const record: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
      return record;
    });
    const refused = records.find((record) => record.op!.includes('-1'))!;
    expect(refused).toMatchObject({ error: 'ValidationError', code: 'E_VALIDATION', attempts: '3' });
    expect(refused.message).toMatch(/check constraint/);
    expect(records.map((record) => record.op)).toEqual(
      expect.arrayContaining(['{not json', '{"op":"drop","id":7}', '']),
    );
    expect(new Set(dead.map(([id]) => id))).toEqual(new Set(letters.map((letter) => letter.deadEntryId)));
    const warnings = logger.matching('dead-letter stream');
    expect(warnings).toHaveLength(5);
    expect(warnings.every((line) => line.level === 'warn')).toBe(true);
    // The log names the entry and the error, never the queued value.
    for (const line of warnings) {
      expect(Object.keys(line.obj).sort()).toEqual([
        'attempts',
        'deadEntry',
        'deadLetterStream',
        'entry',
        'err',
        'stream',
      ]);
    }
  });

  it('a backend that is down is retried past maxAttempts, and nothing is dead-lettered', async () => {
    await schema.sql('TRUNCATE items');
    const proxy = await TcpProxy.start({
      port: Number(new URL(schema.connection.connectionString).port || 5432),
    });
    const pool = new pg.Pool({
      connectionString: proxy.rewrite(schema.connection.connectionString),
      options: schema.connection.options,
      connectionTimeoutMillis: 1_000,
    });
    pool.on('error', () => {});
    let failures = 0;
    const queue = new WriteBehindQueue<Item, number>({
      client: redis,
      namespace,
      entity: 'down',
      maxAttempts: 2,
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      blockMs: 10,
      onError: () => failures++,
      flush: (ops) => applyBatch(pool, ops),
    });
    proxy.setMode('refuse');
    await queue.enqueueMany([upsert(1, 1), upsert(2, 2)]);
    queue.start();
    await eventually(() => failures >= 8, 15_000);
    proxy.restore();
    await eventually(async () => (await queue.backlog()) === 0, 15_000);
    await queue.close();
    await pool.end();
    await proxy.close();
    expect(await rows()).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(await redis.xlen(queue.deadLetterStream)).toBe(0);
  });

  it('refuses a maxAttempts or deadLetterMaxLength below 1 with a ValidationError', () => {
    for (const options of [{ maxAttempts: 0 }, { maxAttempts: 1.5 }, { deadLetterMaxLength: -1 }]) {
      expect(
        () =>
          new WriteBehindQueue<Item, number>({
            client: redis,
            namespace,
            entity: 'bad',
            flush: async () => {},
            ...options,
          }),
      ).toThrow(ValidationError);
    }
  });
});
