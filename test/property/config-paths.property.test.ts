import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationRepository } from '../../src/backends/config/index.js';
import {
  hostileValue,
  POLLUTING_KEYS,
  prototypeSnapshot,
  RUNS,
  typedOutcome,
  typedOutcomeAsync,
  watchProcess,
} from './hostile.js';

const schema = z.object({
  db: z.object({ host: z.string(), pool: z.object({ max: z.number().int().min(1) }) }),
  flags: z.record(z.string(), z.boolean()).default({}),
  name: z.string().optional(),
});
const defaults = { db: { host: 'localhost', pool: { max: 5 } }, flags: { beta: true } };

/** Dotted paths built from real segments, prototype keys and noise; sometimes not a string at all. */
const hostilePath: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .array(
      fc.oneof(
        fc.constantFrom('db', 'host', 'pool', 'max', 'flags', 'name', 'beta', '', ...POLLUTING_KEYS),
        fc.string({ maxLength: 8 }),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((segments) => segments.join('.')),
  fc.string(),
  fc.constantFrom('a'.repeat(6_000), 'db.'.repeat(2_000), '.'.repeat(3_000)),
  hostileValue,
);

describe('ConfigurationRepository paths under hostile input (fast-check)', () => {
  let config: ConfigurationRepository<typeof schema>;
  let before: string;
  const watcher = watchProcess();

  beforeAll(async () => {
    before = prototypeSnapshot();
    config = await ConfigurationRepository.start({ schema, defaults, files: false, watch: false });
  });
  afterAll(async () => {
    await config?.close();
    watcher.stop();
    expect(watcher.count(), 'unhandled rejections or uncaught exceptions').toBe(0);
    expect(prototypeSnapshot()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`get: ${RUNS} hostile paths read a value or throw a ValidationError`, () => {
    fc.assert(
      fc.property(hostilePath, (path) => {
        const outcome = typedOutcome(() => config.get(path as never));
        if (!outcome.ok) expect(outcome.error.code).toBe('E_VALIDATION');
      }),
      { numRuns: RUNS },
    );
  });

  it(`override: ${RUNS} hostile paths and values apply a valid configuration or reject, and never pollute`, async () => {
    await fc.assert(
      fc.asyncProperty(hostilePath, hostileValue, async (path, value) => {
        const outcome = await typedOutcomeAsync(() => config.override(path as never, value as never));
        if (!outcome.ok) expect(outcome.error.code).toBe('E_VALIDATION');
        // Whatever was accepted, the configuration still satisfies its schema.
        expect(schema.safeParse(config.getAll()).success).toBe(true);
        await config.clearOverride();
        expect(config.get('db.pool.max')).toBe(5);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });
});
