import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityKeys, escapeSegment, idSegment, plainKey } from '../../src/cache/keys.js';
import { hostileValue, RUNS, typedOutcome } from './hostile.js';

const keys = new EntityKeys('shop', 'user', 1);
// `%` stays, as the escape character; separators, hash-tag braces and control characters never do.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must never survive
const FORBIDDEN = /[:{}\s\u0000-\u001f\u007f]/;

/** Ids that try to address another key: separators, hash tags, escapes, control characters, length. */
const hostileId: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc
    .array(
      fc.constantFrom(':', '{', '}', '%', '%3A', '%25', '\r\n', '\u0000', ' ', 'v1', 'gen', 'q', 'user', '~'),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join('')),
  fc.constantFrom('x'.repeat(100_000), ':'.repeat(10_000), '}:{admin}:n1:v1', 'a\u2028b', 'a\ufeffb'),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  hostileValue,
);

const isId = (id: unknown) =>
  typeof id === 'string' || typeof id === 'bigint' || (typeof id === 'number' && Number.isFinite(id));

describe('cache keys under hostile ids (fast-check)', () => {
  it(`${RUNS} hostile ids give a key inside the entity's slot with an escaped segment, or a ValidationError`, () => {
    fc.assert(
      fc.property(hostileId, (id) => {
        const outcome = typedOutcome(() => keys.id(id));
        expect(outcome.ok).toBe(isId(id));
        if (!outcome.ok) {
          expect(outcome.error.code).toBe('E_VALIDATION');
          return;
        }
        const key = outcome.value;
        expect(key.startsWith('shop:{user}:')).toBe(true);
        expect(key.endsWith(':v1')).toBe(true);
        const segment = key.slice('shop:{user}:'.length, -':v1'.length);
        expect(segment).toMatch(/^[snb]/);
        expect(FORBIDDEN.test(segment)).toBe(false);
        // Exactly the three separators of the layout: no id reaches a query or generation key.
        expect(key.split(':').length).toBe(4);
        expect(key).not.toBe(keys.generation());
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} pairs of distinct ids never share a key (escaping is injective)`, () => {
    fc.assert(
      fc.property(hostileId.filter(isId), hostileId.filter(isId), (a, b) => {
        if (typeof a === typeof b && a === b) return;
        expect(keys.id(a)).not.toBe(keys.id(b));
        expect(idSegment(a)).not.toBe(idSegment(b));
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} free-form keys stay inside their own hash tag and never address an entity key`, () => {
    fc.assert(
      fc.property(hostileId, hostileId, (a, b) => {
        const outcome = typedOutcome(() => plainKey('shop', a as string));
        if (!outcome.ok) {
          expect(typeof a === 'string' && a.length > 0).toBe(false);
          return;
        }
        const key = outcome.value;
        expect(key.startsWith('shop:{~')).toBe(true);
        expect(key.endsWith('}')).toBe(true);
        expect(FORBIDDEN.test(key.slice('shop:{~'.length, -1))).toBe(false);
        if (typeof b === 'string' && b !== a && b.length > 0) expect(plainKey('shop', b)).not.toBe(key);
        if (isId(b)) expect(keys.id(b)).not.toBe(key);
        expect(escapeSegment(a as string).length).toBeLessThanOrEqual((a as string).length * 6);
      }),
      { numRuns: RUNS },
    );
  });
});
