import { describe, expect, it } from 'vitest';
import { EntityKeys } from '../../../src/cache/keys.js';
import { ValidationError } from '../../../src/errors.js';

describe('cache key regressions found by the property tests', () => {
  // fast-check seed -415295354: String(id) threw a TypeError for a null-prototype object.
  it('an id that cannot be converted to text is a ValidationError, not a TypeError', () => {
    const keys = new EntityKeys('shop', 'user', 1);
    expect(() => keys.id(Object.create(null))).toThrow(ValidationError);
    expect(() => keys.id({ toString: () => ({}) })).toThrow(ValidationError);
    expect(() => keys.id(Symbol('x'))).toThrow(/got symbol/);
    expect(() => keys.id(Number.NaN)).toThrow(/got NaN/);
  });
});
