import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityKeys, escapeSegment, generationKey, idSegment, plainKey } from '../../../src/cache/keys.js';
import { ValidationError } from '../../../src/errors.js';

describe('cache keys', () => {
  const keys = new EntityKeys('shop', 'user', 3);

  it('lays out {namespace}:{entity}:{id}:v{schemaVersion} with the entity as hash tag', () => {
    expect(keys.id(42)).toBe('shop:{user}:n42:v3');
    expect(keys.id('42')).toBe('shop:{user}:s42:v3');
    expect(keys.id(42n)).toBe('shop:{user}:b42:v3');
    expect(keys.generation()).toBe('shop:{user}:gen');
    expect(generationKey(keys.id(1))).toBe('shop:{user}:n1:v3:g');
  });

  it('escapes ids so none can address another key', () => {
    expect(keys.id('a:b}{c%d e')).toBe('shop:{user}:sa%3Ab%7D%7Bc%25d%20e:v3');
    const hostile = ['gen', 'q:1:x', '1:v3', '}:{admin', 'x:v3:g', '%3A'];
    const taken = new Set([keys.generation(), keys.query(1, 'x'), new EntityKeys('shop', 'admin', 3).id(1)]);
    for (const id of hostile) {
      expect(taken.has(keys.id(id))).toBe(false);
      expect(keys.id(id).split(':')).toHaveLength(4);
    }
  });

  it('maps distinct ids to distinct keys (property)', () => {
    const id = fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.bigInt());
    fc.assert(
      fc.property(id, id, (a, b) => {
        fc.pre(a !== b);
        expect(keys.id(a)).not.toBe(keys.id(b));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(escapeSegment(text)).not.toMatch(/[:{}\s]/);
      }),
    );
  });

  it('rejects bad names and ids with a ValidationError', () => {
    expect(() => new EntityKeys('a:b', 'user', 1)).toThrow(ValidationError);
    expect(() => new EntityKeys('ns', '{user}', 1)).toThrow(/Invalid cache entity/);
    expect(() => new EntityKeys('ns', 'user', 1.5)).toThrow(/schema version/);
    expect(() => idSegment({})).toThrow(ValidationError);
    expect(() => idSegment(Number.NaN)).toThrow(/finite numbers/);
    expect(() => plainKey('ns', '')).toThrow(ValidationError);
  });

  it('hash-tags plain keys so their generation key shares the slot', () => {
    expect(plainKey('ns', 'home:page')).toBe('ns:{~home%3Apage}');
  });
});
