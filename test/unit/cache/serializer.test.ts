import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { richJsonSerializer } from '../../../src/cache/serializer.js';

const { serialize, deserialize } = richJsonSerializer;
const roundTrip = (value: unknown) => deserialize(serialize(value));

describe('richJsonSerializer', () => {
  it('round-trips Date, BigInt, Buffer, null and nested values', () => {
    const value = {
      at: new Date('2024-02-29T12:34:56.789Z'),
      big: 2n ** 70n,
      raw: Buffer.from([0, 1, 2, 255]),
      bytes: new Uint8Array([9, 8]),
      none: null,
      nested: { list: [1, 'two', { three: new Date(3) }], deep: { deeper: { n: -12345678901234567890n } } },
      map: new Map<unknown, unknown>([[1, new Date(5)]]),
      set: new Set(['a']),
      odd: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, undefined],
    };
    const back = roundTrip(value) as typeof value;
    expect(back).toEqual(value);
    expect(back.at).toBeInstanceOf(Date);
    expect(typeof back.big).toBe('bigint');
    expect(Buffer.isBuffer(back.raw)).toBe(true);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.bytes)).toBe(false);
    expect(Object.is(back.odd[3], -0)).toBe(true);
  });

  it('keeps plain JSON as plain JSON (decoding is a bare JSON.parse)', () => {
    expect(serialize({ a: 1, b: ['x'] })).toBe('0{"a":1,"b":["x"]}');
    expect(serialize({ at: new Date(0) }).startsWith('1')).toBe(true);
  });

  it('never mistakes user data for a tag, and never touches prototypes', () => {
    const tricky = { $r: 'd', v: 1, nested: { $r: 'b', v: '5' } };
    expect(roundTrip(tricky)).toEqual(tricky);
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "x": new Date}'.replace('new Date', '1'));
    const back = roundTrip({ ...proto, when: new Date(1) }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what it cannot store, with a clear message', () => {
    expect(() => serialize({ f: () => 1 })).toThrow(/Cannot cache a value of type function/);
    expect(() => serialize(Symbol('s'))).toThrow(TypeError);
    expect(() => deserialize('xnot ours')).toThrow(/Not a reposit cache payload/);
    expect(() => deserialize('1{"$r":"zz","v":1}')).toThrow(/Unknown serializer tag/);
  });

  it('round-trips arbitrary values (property)', () => {
    const value = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: false,
      withSparseArray: false,
      withBoxedValues: false,
      withNullPrototype: false,
      withObjectString: false,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips buffers and dates at any depth (property)', () => {
    const leaf = fc.oneof(
      fc.date({ noInvalidDate: false }),
      fc.bigInt(),
      fc.uint8Array().map((a) => Buffer.from(a)),
      fc.constant(null),
      fc.string(),
      fc.double(),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node')),
        fc.dictionary(fc.string(), tie('node')),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (v) => {
        expect(roundTrip(v)).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });
});
