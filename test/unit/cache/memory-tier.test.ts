import { describe, expect, it } from 'vitest';
import { FrozenDate } from '../../../src/cache/immutable.js';
import { MemoryTier } from '../../../src/cache/memory-tier.js';

const entry = (value: unknown, ttl = 60_000) => ({
  value,
  expiresAt: Date.now() + ttl,
  staleUntil: Date.now() + ttl,
  negative: false,
});

describe('MemoryTier', () => {
  it('bounds entries and bytes, evicting the least recently used', () => {
    const byCount = new MemoryTier({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) byCount.set(k, entry(k), 1);
    byCount.get('a');
    byCount.set('d', entry('d'), 1);
    expect(byCount.keys().sort()).toEqual(['a', 'c', 'd']);

    const byBytes = new MemoryTier({ maxBytes: 100 });
    for (let i = 0; i < 10; i++) byBytes.set(`k${i}`, entry(i), 30);
    expect(byBytes.bytes).toBeLessThanOrEqual(100);
    expect(byBytes.size).toBe(3);
  });

  it('expires entries after staleUntil', () => {
    const tier = new MemoryTier();
    tier.set(
      'gone',
      { value: 1, expiresAt: Date.now() - 10, staleUntil: Date.now() - 1, negative: false },
      1,
    );
    tier.set(
      'stale',
      { value: 2, expiresAt: Date.now() - 10, staleUntil: Date.now() + 1000, negative: false },
      1,
    );
    expect(tier.get('gone')).toBeUndefined();
    expect(tier.get('stale')?.value).toBe(2);
  });

  it('freezes values so a caller cannot corrupt the cached copy', () => {
    const tier = new MemoryTier();
    tier.set('u', entry({ name: 'Ada', tags: ['x'], at: new Date(0) }), 1);
    const got = tier.get('u')?.value as { name: string; tags: string[]; at: Date };
    expect(() => {
      got.name = 'Eve';
    }).toThrow(TypeError);
    expect(() => got.tags.push('y')).toThrow(TypeError);
    expect(got.at).toBeInstanceOf(Date);
    expect(got.at).toBeInstanceOf(FrozenDate);
    expect(() => got.at.setTime(5)).toThrow(/read-only/);
    expect(tier.get('u')?.value).toEqual({ name: 'Ada', tags: ['x'], at: new Date(0) });
  });

  it('copies values that cannot be frozen (Buffer, Map, Set) on every read', () => {
    const tier = new MemoryTier();
    tier.set('b', entry({ raw: Buffer.from('abc'), m: new Map([[1, 2]]) }), 1);
    const first = tier.get('b')?.value as { raw: Buffer; m: Map<number, number> };
    first.raw[0] = 0;
    first.m.set(1, 99);
    const second = tier.get('b')?.value as { raw: Buffer; m: Map<number, number> };
    expect(second.raw.toString()).toBe('abc');
    expect(second.m.get(1)).toBe(2);
  });

  it('copy mode hands every reader its own copy', () => {
    const tier = new MemoryTier({ immutability: 'copy' });
    const original = { n: 1 };
    tier.set('c', entry(original), 1);
    original.n = 2;
    const got = tier.get('c')?.value as { n: number };
    got.n = 3;
    expect(tier.get('c')?.value).toEqual({ n: 1 });
  });

  it('refuses a write-back whose load started before an invalidation of the key', () => {
    const tier = new MemoryTier();
    const since = tier.tick();
    tier.invalidate(['k']);
    expect(tier.set('k', entry('old'), 1, since).stored).toBe(false);
    expect(tier.get('k')).toBeUndefined();
    expect(tier.set('other', entry('fine'), 1, since).stored).toBe(true);
    expect(tier.set('k', entry('new'), 1, tier.tick()).stored).toBe(true);
  });

  it('stays correct when the invalidation memory overflows, and after clear()', () => {
    const tier = new MemoryTier({ invalidationMemory: 2 });
    const since = tier.tick();
    tier.invalidate(['a']);
    tier.invalidate(['b']);
    tier.invalidate(['c']);
    expect(tier.set('a', entry('old'), 1, since).stored).toBe(false);
    const before = tier.tick();
    tier.clear();
    expect(tier.set('z', entry('old'), 1, before).stored).toBe(false);
    expect(tier.set('z', entry('new'), 1, tier.tick()).stored).toBe(true);
  });
});
