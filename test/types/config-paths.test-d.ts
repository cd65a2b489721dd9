import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ConfigPath, ConfigurationRepository, ConfigValue } from '../../src/backends/config/index.js';

const schema = z.object({
  db: z.object({
    url: z.string().meta({ secret: true }),
    pool: z.object({ max: z.number().int().default(10), min: z.number().optional() }),
  }),
  mode: z.enum(['fast', 'safe']),
  tags: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  smtp: z.object({ host: z.string() }).optional(),
  port: z.coerce.number(),
});
type Config = z.output<typeof schema>;
declare const config: ConfigurationRepository<typeof schema>;

describe('typed configuration paths', () => {
  it('get() returns the schema type at the path', () => {
    expectTypeOf(config.get('db.pool.max')).toEqualTypeOf<number>();
    expectTypeOf(config.get('db.pool.min')).toEqualTypeOf<number | undefined>();
    expectTypeOf(config.get('db.url')).toEqualTypeOf<string>();
    expectTypeOf(config.get('db.pool')).toEqualTypeOf<{ max: number; min?: number | undefined }>();
    expectTypeOf(config.get('mode')).toEqualTypeOf<'fast' | 'safe'>();
    expectTypeOf(config.get('tags')).toEqualTypeOf<string[]>();
    expectTypeOf(config.get('port')).toEqualTypeOf<number>();
  });

  it('a path through an optional object may be undefined', () => {
    expectTypeOf(config.get('smtp.host')).toEqualTypeOf<string | undefined>();
  });

  it('record keys are any string and may be absent', () => {
    expectTypeOf(config.get('limits.rps')).toEqualTypeOf<number | undefined>();
  });

  it('rejects paths that are not in the schema', () => {
    // @ts-expect-error a typo does not compile
    config.get('db.pool.maxx');
    // @ts-expect-error arrays are leaves
    config.get('tags.0');
    // @ts-expect-error no path below a scalar
    config.get('mode.x');
  });

  it('writes take the schema input type at the path', () => {
    expectTypeOf(config.set<'db.pool.max'>)
      .parameter(1)
      .toEqualTypeOf<number | undefined>();
    // @ts-expect-error a string is not a number
    void config.set('db.pool.max', 'ten');
    void config.override('mode', 'safe');
    // @ts-expect-error not one of the enum values
    void config.override('mode', 'slow');
  });

  it('every method that takes a path checks it', () => {
    config.explain('db.pool');
    // @ts-expect-error unknown path
    config.explain('db.poool');
    config.onChange('db.pool', () => {});
    // @ts-expect-error unknown prefix
    config.onChange('nope', () => {});
    void config.history('db.pool.max');
    // @ts-expect-error unknown path
    void config.history('db.nope');
    // @ts-expect-error unknown path
    void config.unset('nope');
    void config.clearOverride('mode');
  });

  it('ConfigPath lists every path, objects included', () => {
    expectTypeOf<ConfigPath<{ a: { b: { c: number } }; d: string[] }>>().toEqualTypeOf<
      'a' | 'a.b' | 'a.b.c' | 'd'
    >();
    expectTypeOf<ConfigValue<Config, 'db.pool.max'>>().toEqualTypeOf<number>();
    expectTypeOf(config.getAll()).toEqualTypeOf<Readonly<Config>>();
  });
});
