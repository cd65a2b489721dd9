import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/backends/memory/memory-backend.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { KeysetCursor } from '../../src/repository/keyset-cursor.js';
import type { Condition, NormalizedSort } from '../../src/repository/query.js';
import { QueryNormalizer } from '../../src/repository/query-normalizer.js';
import { hostileValue, Probe, RUNS, typedOutcome, typedOutcomeAsync } from './hostile.js';

const SECRET = 'property-secret';
const normalizer = new QueryNormalizer(Probe);
const signed = new KeysetCursor('probe', normalizer, SECRET);
const unsigned = new KeysetCursor('probe', normalizer);
const order: NormalizedSort[] = normalizer.orderBy({ score: 'desc', seenAt: 'asc' });
const otherOrders: NormalizedSort[][] = [
  normalizer.orderBy({ score: 'asc', seenAt: 'asc' }),
  normalizer.orderBy({ seenAt: 'asc', score: 'desc' }),
  normalizer.orderBy({ score: 'desc' }),
  normalizer.orderBy({ name: 'desc', seenAt: 'asc' }),
];
const row = { id: 'p-7', score: 2.5, seenAt: new Date('2024-01-02T03:04:05.000Z'), name: 'n' };
const validSigned = signed.encode(order, row);
const validUnsigned = unsigned.encode(order, row);
const reference = signed.after(validSigned, order);

const signWith = (secret: string, body: string) =>
  `${body}.${createHmac('sha256', secret).update(body).digest('base64url').slice(0, 32)}`;
const body = (payload: unknown) =>
  Buffer.from(
    JSON.stringify(payload, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)) ??
      'null',
  ).toString('base64url');
const ORDER_PAYLOAD = [
  ['score', 'd'],
  ['seenAt', 'a'],
  ['id', 'a'],
];

/** A cursor string with one bit of one character flipped. */
const bitFlip = (cursor: string) =>
  fc.tuple(fc.nat({ max: cursor.length - 1 }), fc.nat({ max: 7 })).map(([index, bit]) => {
    const bytes = Buffer.from(cursor, 'latin1');
    bytes[index] = bytes[index]! ^ (1 << bit);
    return bytes.toString('latin1');
  });

/** The leaves of a decoded condition compare only the ordered fields, with values of their type. */
function assertOnlyOrderFields(condition: Condition): void {
  if (condition.kind !== 'field') {
    for (const child of condition.conditions) assertOnlyOrderFields(child);
    return;
  }
  expect(order.map((key) => key.field)).toContain(condition.field);
  expect(['eq', 'gt', 'lt']).toContain(condition.op);
  expect(normalizer.checkValue(condition.field, condition.value)).toBeUndefined();
}

describe('KeysetCursor under tampering (fast-check)', () => {
  it(`${RUNS} random strings and byte sequences are rejected with a ValidationError`, () => {
    const cursor = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
      hostileValue,
    );
    fc.assert(
      fc.property(cursor, fc.boolean(), (value, useSecret) => {
        const outcome = typedOutcome(() => (useSecret ? signed : unsigned).after(value, order));
        if (useSecret) expect(outcome.ok).toBe(false);
        if (outcome.ok) assertOnlyOrderFields(outcome.value);
        else expect(outcome.error.code).toBe('E_VALIDATION');
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} bit flips of a signed cursor are rejected or decode to the very same condition`, () => {
    fc.assert(
      fc.property(bitFlip(validSigned), (tampered) => {
        const outcome = typedOutcome(() => signed.after(tampered, order));
        if (outcome.ok) expect(outcome.value).toEqual(reference);
        else expect(outcome.error.code).toBe('E_VALIDATION');
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} payloads re-signed with another secret, or made for another order, are rejected`, () => {
    const payload = fc.record({
      o: fc.oneof(fc.constant(ORDER_PAYLOAD), hostileValue),
      k: fc.oneof(fc.constant([1, { d: '2024-01-01T00:00:00.000Z' }, 'x']), hostileValue),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.string({ minLength: 1 }), payload).map(([secret, p]) => ({
            cursor: signWith(secret === SECRET ? `${secret}!` : secret, body(p)),
            against: order,
          })),
          fc
            .constantFrom(...otherOrders)
            .map((other) => ({ cursor: signed.encode(other, row), against: order })),
          fc.constantFrom(...otherOrders).map((other) => ({ cursor: validSigned, against: other })),
        ),
        ({ cursor, against }) => {
          const outcome = typedOutcome(() => signed.after(cursor, against));
          expect(outcome.ok).toBe(false);
          if (!outcome.ok) expect(outcome.error.code).toBe('E_VALIDATION');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} hostile payloads in unsigned cursors are rejected or only compare the sort fields`, () => {
    const sortEntry = fc.oneof(
      fc.tuple(fc.constantFrom('score', 'seenAt', 'id', '__proto__'), fc.constantFrom('a', 'd')),
      hostileValue,
    );
    const keyValue = fc.oneof(
      hostileValue,
      fc.double(),
      fc.string(),
      fc.oneof(fc.string(), fc.date({ noInvalidDate: false }).map(String)).map((d) => ({ d })),
      fc.oneof(fc.string(), fc.bigInt().map(String)).map((b) => ({ b })),
    );
    const payload = fc.oneof(
      fc.record({ o: fc.array(sortEntry, { maxLength: 4 }), k: fc.array(keyValue, { maxLength: 4 }) }),
      fc.record({
        o: fc.constant(ORDER_PAYLOAD),
        k: fc.oneof(hostileValue, fc.array(keyValue, { minLength: 3, maxLength: 3 })),
      }),
      hostileValue,
    );
    fc.assert(
      fc.property(payload, (p) => {
        const outcome = typedOutcome(() => unsigned.after(body(p), order));
        if (outcome.ok) assertOnlyOrderFields(outcome.value);
        else expect(outcome.error.code).toBe('E_VALIDATION');
      }),
      { numRuns: RUNS },
    );
    expect(typedOutcome(() => unsigned.after(validUnsigned, order)).ok).toBe(true);
  });
});

describe('Tampered cursors through a repository on MemoryBackend (fast-check)', () => {
  const repo = new BaseRepository({ entity: Probe, backend: new MemoryBackend(Probe), cursorSecret: SECRET });
  const query = { orderBy: { score: 'desc', seenAt: 'asc' } as const, limit: 3 };
  let cursor: string;
  let expected: string[];

  beforeAll(async () => {
    await repo.createMany(
      Array.from({ length: 12 }, (_, index) => ({
        id: `p-${index}`,
        name: `n${index}`,
        score: index % 4,
        rank: null,
        big: BigInt(index),
        active: index % 2 === 0,
        seenAt: new Date(Date.UTC(2024, 0, 1 + index)),
        colour: 'red' as const,
        meta: null,
      })),
    );
    const first = await repo.list({ ...query, cursor: null });
    cursor = first.nextCursor!;
    expected = (await repo.list({ ...query, cursor })).items.map((item) => item.id);
  });

  it(`${RUNS} bit flips never change which rows the next page holds`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => bitFlip(cursor)),
        async (tampered) => {
          const outcome = await typedOutcomeAsync(() => repo.list({ ...query, cursor: tampered }));
          if (outcome.ok) expect(outcome.value.items.map((item) => item.id)).toEqual(expected);
          else expect(outcome.error.code).toBe('E_VALIDATION');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
