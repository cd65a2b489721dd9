import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationRepository } from '../../../src/backends/config/index.js';
import { ValidationError } from '../../../src/errors.js';

const schema = z.object({ db: z.object({ host: z.string() }) });

describe('configuration path regressions found by the property tests', () => {
  let config: ConfigurationRepository<typeof schema>;
  beforeAll(async () => {
    config = await ConfigurationRepository.start({
      schema,
      defaults: { db: { host: 'h' } },
      files: false,
      watch: false,
    });
  });
  afterAll(() => config?.close());

  // fast-check seed 889526950: `hasOwnProperty.db` resolved Object.prototype members as schema
  // fields and then threw a TypeError walking them.
  it('Object.prototype member names are unknown paths (ValidationError), not schema fields', async () => {
    for (const path of ['constructor', 'toString', '__proto__', 'hasOwnProperty.db', 'db.constructor.name']) {
      expect(() => config.get(path as never)).toThrow(ValidationError);
      await expect(config.override(path as never, 1 as never)).rejects.toThrow(ValidationError);
    }
  });

  it('a bad path rejects the returned promise instead of throwing before one exists', async () => {
    const outcome = config.override('nope' as never, 1 as never);
    expect(outcome).toBeInstanceOf(Promise);
    await expect(outcome).rejects.toThrow(ValidationError);
  });

  // fast-check seed 1979974579: a null-prototype object as the path made String() throw a TypeError.
  it('a path that is not a string is a ValidationError even when it cannot be converted to text', () => {
    expect(() => config.get(Object.create(null) as never)).toThrow(ValidationError);
    expect(() => config.get(Symbol('x') as never)).toThrow(ValidationError);
  });
});

describe('configuration value regressions found by the property tests', () => {
  // A null-prototype object whose `constructor.name` is an object made zod's message builder throw.
  it('an override whose value makes zod itself throw is a ValidationError and changes nothing', async () => {
    const config = await ConfigurationRepository.start({
      schema,
      defaults: { db: { host: 'h' } },
      files: false,
      watch: false,
    });
    try {
      const maker = Object.assign(Object.create(null), { name: Object.create(null) });
      const value = Object.assign(Object.create(null), { constructor: maker });
      await expect(config.override('db.host', value as never)).rejects.toThrow(ValidationError);
      expect(config.get('db.host')).toBe('h');
    } finally {
      await config.close();
    }
  });
});
