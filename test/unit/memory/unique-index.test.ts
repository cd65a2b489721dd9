import { describe, expect, it } from 'vitest';
import { UniqueIndex } from '../../../src/backends/memory/unique-index.js';

describe('UniqueIndex', () => {
  it('finds a clash with another key, never with the row itself', () => {
    const index = new UniqueIndex([['email']]);
    index.add('u1', { email: 'a@example.com' });
    expect(index.clash({ email: 'a@example.com' }, 'u2')).toEqual(['email']);
    expect(index.clash({ email: 'a@example.com' }, 'u1')).toBeUndefined();
    expect(index.clash({ email: 'b@example.com' }, 'u2')).toBeUndefined();
  });

  it('compares as the backend does: dates by time, numbers with ===, types apart', () => {
    const index = new UniqueIndex([['value']]);
    index.add('date', { value: new Date(1000) });
    index.add('zero', { value: -0 });
    index.add('one', { value: 1 });
    index.add('big', { value: 7n });
    index.add('yes', { value: true });
    expect(index.clash({ value: new Date(1000) }, 'x')).toEqual(['value']);
    expect(index.clash({ value: 0 }, 'x')).toEqual(['value']);
    expect(index.clash({ value: '1' }, 'x')).toBeUndefined();
    expect(index.clash({ value: 1000 }, 'x')).toBeUndefined();
    expect(index.clash({ value: 7n }, 'x')).toEqual(['value']);
    expect(index.clash({ value: 7 }, 'x')).toBeUndefined();
    expect(index.clash({ value: true }, 'x')).toEqual(['value']);
  });

  it('never clashes on null, undefined, NaN, an invalid date or an object', () => {
    const index = new UniqueIndex([['value']]);
    for (const [key, value] of [
      ['null', null],
      ['undefined', undefined],
      ['nan', Number.NaN],
      ['bad-date', new Date(Number.NaN)],
      ['object', { a: 1 }],
    ] as const) {
      index.add(key, { value });
      expect(index.clash({ value }, 'other')).toBeUndefined();
    }
  });

  it('takes a constraint over several fields as one value, and names the one that clashed', () => {
    const index = new UniqueIndex([['tenant', 'slug'], ['email']]);
    index.add('p1', { tenant: 't1', slug: 'home', email: 'a@example.com' });
    expect(index.clash({ tenant: 't2', slug: 'home', email: 'b@example.com' }, 'p2')).toBeUndefined();
    expect(index.clash({ tenant: 't1', slug: 'home', email: 'b@example.com' }, 'p2')).toEqual([
      'tenant',
      'slug',
    ]);
    expect(index.clash({ tenant: 't2', slug: 'x', email: 'a@example.com' }, 'p2')).toEqual(['email']);
    // Field boundaries are kept: ('a|b', 'c') is not ('a', 'b|c').
    index.add('p3', { tenant: 'a|b', slug: 'c' });
    expect(index.clash({ tenant: 'a', slug: 'b|c' }, 'p4')).toBeUndefined();
  });

  it('forgets a row only where it still holds the value', () => {
    const index = new UniqueIndex([['email']]);
    index.add('u1', { email: 'a@example.com' });
    index.add('u2', { email: 'a@example.com' }); // u2 took it over (the backend checked first)
    index.remove('u1', { email: 'a@example.com' });
    expect(index.clash({ email: 'a@example.com' }, 'u3')).toEqual(['email']);
    index.remove('u2', { email: 'a@example.com' });
    expect(index.clash({ email: 'a@example.com' }, 'u3')).toBeUndefined();
  });
});
