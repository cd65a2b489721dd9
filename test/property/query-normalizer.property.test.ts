import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/repository/query.js';
import { QueryNormalizer } from '../../src/repository/query-normalizer.js';
import {
  FIELDS,
  hostileFilter,
  hostileOrderBy,
  hostileScalar,
  hostileValue,
  OPERATORS,
  Probe,
  prototypeSnapshot,
  RUNS,
  typedOutcome,
} from './hostile.js';

const normalizer = new QueryNormalizer(Probe);
const SCALAR_FIELDS = new Set(FIELDS.filter((field) => field !== 'meta'));

/** Every leaf names a scalar field, uses a known operator, and holds a value of the field's type. */
function assertWellFormed(condition: Condition, depth = 0): void {
  expect(depth).toBeLessThanOrEqual(9);
  if (condition.kind !== 'field') {
    expect(['and', 'or']).toContain(condition.kind);
    for (const child of condition.conditions) assertWellFormed(child, depth + 1);
    return;
  }
  expect(SCALAR_FIELDS.has(condition.field)).toBe(true);
  expect(OPERATORS).toContain(condition.op);
  if (condition.op === 'isNull') expect(typeof condition.value).toBe('boolean');
  else if (condition.op === 'in' || condition.op === 'notIn') {
    expect(Array.isArray(condition.value)).toBe(true);
    for (const item of condition.value as unknown[])
      expect(normalizer.checkValue(condition.field, item)).toBeUndefined();
  } else if (condition.op === 'like' || condition.op === 'ilike')
    expect(typeof condition.value).toBe('string');
  else expect(normalizer.checkValue(condition.field, condition.value)).toBeUndefined();
}

describe('QueryNormalizer under hostile input (fast-check)', () => {
  let before: string;
  beforeAll(() => {
    before = prototypeSnapshot();
  });
  afterAll(() => {
    // No filter, key or value may have added anything to the shared prototypes.
    expect(prototypeSnapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`filters: ${RUNS} hostile filters give a well-formed condition or a ValidationError`, () => {
    fc.assert(
      fc.property(hostileFilter, (filter) => {
        const outcome = typedOutcome(() => normalizer.filter(filter));
        if (outcome.ok) {
          if (outcome.value !== undefined) assertWellFormed(outcome.value);
        } else expect(outcome.error.code).toBe('E_VALIDATION');
      }),
      { numRuns: RUNS },
    );
  });

  it(`filters: ${RUNS} field conditions with a value of any type accept exactly the field's type`, () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIELDS),
        fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'),
        hostileScalar,
        (field, op, value) => {
          const outcome = typedOutcome(() => normalizer.filter({ [field]: { [op]: value } }));
          if (outcome.ok && outcome.value) assertWellFormed(outcome.value);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`sort keys: ${RUNS} hostile orderBy values give known fields ending in the id, or a ValidationError`, () => {
    fc.assert(
      fc.property(hostileOrderBy, (orderBy) => {
        const outcome = typedOutcome(() => normalizer.orderBy(orderBy));
        if (!outcome.ok) {
          expect(outcome.error.code).toBe('E_VALIDATION');
          return;
        }
        const keys = outcome.value;
        expect(keys.length).toBeLessThanOrEqual(9);
        expect(keys.some((key) => key.field === 'id')).toBe(true);
        for (const key of keys) {
          expect(SCALAR_FIELDS.has(key.field)).toBe(true);
          expect(['asc', 'desc']).toContain(key.direction);
        }
        expect(new Set(keys.map((key) => key.field)).size).toBe(keys.length);
      }),
      { numRuns: RUNS },
    );
  });

  it(`bounds: ${RUNS} hostile limit/offset pairs give whole numbers in range, or a ValidationError`, () => {
    const bound = fc.oneof(hostileValue, fc.integer({ min: -5, max: 20_000 }));
    fc.assert(
      fc.property(bound, bound, (limit, offset) => {
        const outcome = typedOutcome(() => normalizer.bounds(limit, offset));
        if (!outcome.ok) return;
        const { limit: l, offset: o } = outcome.value;
        if (l !== undefined) expect(Number.isInteger(l) && l >= 0 && l <= 10_000).toBe(true);
        if (o !== undefined) expect(Number.isInteger(o) && o >= 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
