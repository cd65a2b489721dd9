import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ConfigLogger, ConfigurationRepository, REDACTED } from '../../../src/backends/config/index.js';
import { ValidationError } from '../../../src/errors.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';

const schema = z.object({
  db: z.object({
    host: z.string(),
    password: z.string().min(8).meta({ secret: true }),
  }),
  api: z
    .object({ token: z.string().optional(), tokens: z.record(z.string(), z.string()).default({}) })
    .prefault({}),
  smtp: z.object({ user: z.string(), pass: z.string() }).optional(),
});

/** A real pino logger writing JSON lines into an array. */
function capture(): { logger: ConfigLogger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

describe('secrets', () => {
  let pg: TestSchema;
  beforeAll(async () => {
    pg = await createTestSchema('cfg_secret');
  });
  afterAll(() => pg.drop());

  it('are redacted from toJSON, explain, events, logs and history but readable with get', async () => {
    const { logger, lines } = capture();
    const config = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: { host: 'db.internal', password: 'default-password' } },
      env: { prefix: 'SEC_', env: { SEC_DB__PASSWORD: 'env-password-1', SEC_API__TOKEN: 'tok-from-env' } },
      // Secret by list, next to the schema's `.meta({ secret: true })`; `*` for any record key.
      secrets: ['api.token', 'api.tokens.*', 'smtp'],
      database: { connection: pg.pool, schema: pg.name, ensureSchema: true },
      logger,
    });
    const events: unknown[] = [];
    config.onChange((path, from, to) => events.push([path, from, to]));
    try {
      expect(config.get('db.password')).toBe('env-password-1');
      expect(config.get('api.token')).toBe('tok-from-env');
      expect(config.toJSON()).toEqual({
        db: { host: 'db.internal', password: REDACTED },
        api: { token: REDACTED, tokens: {} },
      });
      expect(JSON.stringify(config)).not.toContain('password-1');

      const explained = config.explain('db.password');
      expect(explained).toMatchObject({ value: REDACTED, secret: true, source: 'env SEC_DB__PASSWORD' });
      expect(explained.sources.filter((s) => s.defined).map((s) => s.value)).toEqual([REDACTED, REDACTED]);
      // Explaining a parent redacts the secrets inside it.
      expect(config.explain('db').value).toEqual({ host: 'db.internal', password: REDACTED });

      await config.set('api.tokens.github', 'ghp-very-secret', { actor: 'ada' });
      await config.override('smtp', { user: 'mailer', pass: 'smtp-pass-xyz' });
      expect(config.get('smtp.pass')).toBe('smtp-pass-xyz');
      expect(events).toEqual([
        ['api.tokens.github', undefined, REDACTED],
        ['smtp.user', undefined, REDACTED],
        ['smtp.pass', undefined, REDACTED],
      ]);
      const [version] = await config.history();
      expect(version!.changes).toEqual([
        { path: 'api.tokens.github', oldValue: undefined, newValue: REDACTED },
      ]);

      // A rejected change says which secret is wrong, never what it was.
      const error = await config.override('db.password', 'short').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain('db.password');
      expect(JSON.stringify(error)).not.toContain('short');

      const log = lines.join('\n');
      expect(log).toContain('configuration changed');
      for (const secret of ['ghp-very-secret', 'smtp-pass-xyz', 'env-password-1', 'tok-from-env', 'short"']) {
        expect(log).not.toContain(secret);
      }
    } finally {
      await config.close();
    }
  });

  it('a rejected database change is logged without the value', async () => {
    const { logger, lines } = capture();
    const config = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: { host: 'h', password: 'long-enough-1' } },
      database: { connection: pg.pool, schema: pg.name, table: 'rejected', ensureSchema: true },
      logger,
    });
    try {
      await expect(config.set('db.password', 'tiny')).rejects.toThrow(/db\.password: Too small/);
      expect(lines.join('\n')).not.toContain('tiny');
      expect(config.get('db.password')).toBe('long-enough-1');
    } finally {
      await config.close();
    }
  });
});
