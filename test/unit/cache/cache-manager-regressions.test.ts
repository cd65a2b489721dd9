import { describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { ValidationError } from '../../../src/errors.js';

describe('CacheManager regressions found by the property tests', () => {
  const cache = new CacheManager({ namespace: 'regressions' });

  // fast-check seed 425428205: a tag that is not a string threw `text.replace is not a function`.
  it('a tag that is not a non-empty string is a ValidationError, not a TypeError', async () => {
    await expect(cache.invalidateTags([42 as never])).rejects.toThrow(ValidationError);
    await expect(cache.invalidateTags([''])).rejects.toThrow(ValidationError);
    await expect(cache.set('k', 1, { tags: [null as never] })).rejects.toThrow(ValidationError);
    await expect(cache.invalidateTags('fx' as never)).rejects.toThrow(ValidationError);
    await expect(cache.getMany('k' as never)).rejects.toThrow(ValidationError);
  });

  it('delete, deleteMany and invalidateTags reject their promise on bad input instead of throwing', async () => {
    for (const call of [
      () => cache.delete('' as never),
      () => cache.deleteMany([{}] as never),
      () => cache.invalidateTags([{}] as never),
    ]) {
      const outcome = call();
      expect(outcome).toBeInstanceOf(Promise);
      await expect(outcome).rejects.toThrow(ValidationError);
    }
  });
});

describe('CacheManager error messages found by the property tests', () => {
  // fast-check seed 1959895581: a 50,000-character key came back verbatim in the error message.
  it('a value that cannot be cached under a huge key gives a short message', async () => {
    const cache = new CacheManager({ namespace: 'regressions' });
    const error = await cache.set('x'.repeat(50_000), Symbol('no')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message.length).toBeLessThan(1_000);
  });
});
