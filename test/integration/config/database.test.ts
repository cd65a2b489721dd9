import { Kysely, type Migration, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigTables,
  type ConfigurationOptions,
  ConfigurationRepository,
  configMigration,
  DatabaseSource,
  ensureConfigSchema,
  type PgPoolClientLike,
  REDACTED,
} from '../../../src/backends/config/index.js';
import { withContext } from '../../../src/context/request-context.js';
import { ConnectionError, NotFoundError, ValidationError } from '../../../src/errors.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { eventually } from './helpers.js';

const schema = z.object({
  db: z.object({
    pool: z
      .object({ max: z.number().int().min(1).default(10), min: z.number().int().default(0) })
      .prefault({}),
    password: z.string().meta({ secret: true }).default('dev'),
  }),
  features: z.record(z.string(), z.boolean()).default({}),
});

describe('database source', () => {
  let pgSchema: TestSchema;
  beforeAll(async () => {
    pgSchema = await createTestSchema('cfg_db');
  });
  afterAll(() => pgSchema.drop());

  const start = (table: string, extra: Partial<ConfigurationOptions<typeof schema>> = {}) =>
    ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: {} },
      database: { connection: pgSchema.pool, schema: pgSchema.name, table, ensureSchema: true },
      ...extra,
    });

  it('writes versions with who, when and the diff; history, getVersion and rollback', async () => {
    const config = await start('versions');
    try {
      expect(config.version).toBe(0);
      const v1 = await withContext({ actor: 'ada' }, () => config.set('db.pool.max', 20));
      expect(v1).toMatchObject({
        version: 1,
        actor: 'ada',
        changes: [{ path: 'db.pool.max', newValue: 20 }],
      });
      expect(config.get('db.pool.max')).toBe(20);
      expect(config.version).toBe(1);

      await withContext({ actor: 'ada' }, () =>
        config.setMany({ 'db.pool.max': 30, 'features.beta': true }, { actor: 'grace', message: 'launch' }),
      );
      await config.set('db.password', 's3cret');
      expect(await config.set('db.pool.max', 30)).toBeNull(); // no change, no version
      await config.unset('features.beta');

      const history = await config.history();
      expect(history.map((v) => [v.version, v.actor, v.message])).toEqual([
        [4, null, null],
        [3, null, null],
        [2, 'grace', 'launch'],
        [1, 'ada', null],
      ]);
      expect(history[2]!.changes).toEqual([
        { path: 'db.pool.max', oldValue: 20, newValue: 30 },
        { path: 'features.beta', oldValue: undefined, newValue: true },
      ]);
      expect(history[0]!.createdAt).toBeInstanceOf(Date);
      expect(Date.now() - history[0]!.createdAt.getTime()).toBeLessThan(60_000);
      // Secrets never leave through history.
      expect(history[1]!.changes).toEqual([{ path: 'db.password', oldValue: undefined, newValue: REDACTED }]);
      expect((await config.history('db.pool.max')).map((v) => v.version)).toEqual([2, 1]);
      expect((await config.history('db.pool')).map((v) => v.version)).toEqual([2, 1]);
      expect((await config.history('features')).map((v) => v.version)).toEqual([4, 2]);

      const v2 = await config.getVersion(2);
      expect(v2.entries).toEqual({ 'db.pool.max': 30, 'features.beta': true });
      expect((await config.getVersion(3)).entries['db.password']).toBe(REDACTED);
      await expect(config.getVersion(99)).rejects.toBeInstanceOf(NotFoundError);

      const rolled = await config.rollback(1, { actor: 'ops' });
      expect(rolled).toMatchObject({ version: 5, actor: 'ops', message: 'rollback to version 1' });
      expect(config.get('db.pool.max')).toBe(20);
      expect(config.get('db.password')).toBe('dev');
      expect(config.get('features')).toEqual({});
      await expect(config.rollback(42)).rejects.toBeInstanceOf(NotFoundError);
      await expect(config.rollback(-1)).rejects.toBeInstanceOf(ValidationError);
      await expect(config.getVersion(1.5)).rejects.toThrow(/version: must be a whole number/);
      await expect(config.history(undefined, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
      await config.rollback(0);
      expect(config.get('db.pool.max')).toBe(10);
      expect(config.version).toBe(6);
    } finally {
      await config.close();
    }
  });

  it('rejects an invalid change before writing anything, naming the path and the source', async () => {
    const config = await start('invalid');
    try {
      await config.set('db.pool.max', 3);
      const error = await config.set('db.pool.max', -1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues).toMatchObject([{ path: 'db.pool.max', source: 'database' }]);
      expect((error as Error).message).toContain('(from database)');
      expect(config.get('db.pool.max')).toBe(3);
      const { rows } = await pgSchema.sql('SELECT count(*)::int AS n FROM invalid_versions');
      expect(rows[0].n).toBe(1);
      const { rows: entries } = await pgSchema.sql('SELECT key, value FROM invalid');
      expect(entries).toEqual([{ key: 'db.pool.max', value: 3 }]);
    } finally {
      await config.close();
    }
  });

  it('keeps the last good configuration when another writer puts an invalid value in the table', async () => {
    const config = await start('foreign');
    const errors: Error[] = [];
    config.onError((e) => errors.push(e));
    try {
      await config.set('db.pool.max', 4);
      const source = new DatabaseSource({
        connection: pgSchema.pool,
        schema: pgSchema.name,
        table: 'foreign',
      });
      // A writer without the schema (another service, an old deploy) stores a bad value.
      await source.write((entries) => ({ ...entries, 'db.pool.max': 'four' }), { actor: 'legacy' });
      await eventually(() => errors.length > 0);
      expect(errors[0]).toBeInstanceOf(ValidationError);
      expect((errors[0] as ValidationError).issues).toMatchObject([
        { path: 'db.pool.max', source: 'database' },
      ]);
      expect(config.get('db.pool.max')).toBe(4);
      expect(config.version).toBe(1);
      // An optimistic write from the last applied version conflicts; a blind write repairs it.
      await expect(config.set('db.pool.max', 5, { expectedVersion: config.version })).rejects.toMatchObject({
        name: 'ConflictError',
        actualVersion: 2,
      });
      await config.set('db.pool.max', 5);
      expect(config.get('db.pool.max')).toBe(5);
      expect(config.version).toBe(3);
      // And the next good version from the other writer is applied too.
      await source.write((entries) => ({ ...entries, 'db.pool.max': 6 }));
      await eventually(() => config.get('db.pool.max') === 6);
      expect(config.version).toBe(4);
      await source.close();
    } finally {
      await config.close();
    }
  });

  it('another repository on the same tables sees a change through LISTEN/NOTIFY within a second', async () => {
    const a = await start('shared');
    const b = await start('shared');
    try {
      const seen: { path: string; to: unknown; at: number; version?: number }[] = [];
      b.onChange((path, _from, to, { version }) => seen.push({ path, to, at: Date.now(), version }));
      const before = Date.now();
      await a.set('db.pool.max', 42);
      await eventually(() => seen.length > 0, 1000);
      expect(seen).toEqual([{ path: 'db.pool.max', to: 42, at: expect.any(Number), version: 1 }]);
      expect(seen[0]!.at - before).toBeLessThan(1000);
      expect(b.get('db.pool.max')).toBe(42);
      expect(b.explain('db.pool.max').source).toBe('database');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('re-establishes LISTEN after its connection is killed and catches up on missed changes', async () => {
    const source = new DatabaseSource({
      connection: databaseUrl(),
      schema: pgSchema.name,
      table: 'reconnect',
      ensureSchema: true,
      reconnectDelayMs: 100,
    });
    const follower = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: {} },
      database: source,
    });
    const writer = await start('reconnect', { watch: false });
    try {
      const channel = await source.channel();
      const { rows } = await pgSchema.sql(
        'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE query = $1',
        [`LISTEN "${channel}"`],
      );
      expect(rows).toEqual([{ killed: true }]);
      await writer.set('db.pool.max', 77); // its NOTIFY may reach nobody
      await eventually(() => follower.get('db.pool.max') === 77, 5000);
      await writer.set('db.pool.max', 78); // and LISTEN works again
      await eventually(() => follower.get('db.pool.max') === 78, 1000);
    } finally {
      await writer.close();
      await follower.close();
    }
  });

  it('fails to start with a ConnectionError that does not show the password when the database is down', async () => {
    const error = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: {} },
      database: { connection: 'postgres://postgres:hunter2@127.0.0.1:1/test', schema: pgSchema.name },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/configuration database was refused/);
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('keeps object rows and single keys consistent when they overlap', async () => {
    const config = await start('overlap');
    try {
      await config.set('db.pool', { max: 3, min: 1 });
      await config.set('db.pool.max', 5); // the object row is split so min survives
      expect(config.get('db.pool')).toEqual({ max: 5, min: 1 });
      const { rows } = await pgSchema.sql('SELECT key, value FROM overlap ORDER BY key');
      expect(rows).toEqual([
        { key: 'db.pool.max', value: 5 },
        { key: 'db.pool.min', value: 1 },
      ]);
      await config.set('db.pool', { max: 7 }); // a parent write replaces the keys inside it
      expect(config.get('db.pool')).toEqual({ max: 7, min: 0 });
      await config.unset('db.pool.max'); // unsetting inside an object row edits the object
      expect(config.get('db.pool.max')).toBe(10);
      const { rows: after } = await pgSchema.sql('SELECT key, value FROM overlap ORDER BY key');
      expect(after).toEqual([{ key: 'db.pool', value: {} }]);
    } finally {
      await config.close();
    }
  });

  it('rejects values that JSON cannot hold, and says when the tables are missing', async () => {
    const config = await start('json');
    try {
      await expect(config.set('db.pool.max', Number.NaN)).rejects.toThrow(/db\.pool\.max: must be JSON/);
      await expect(config.setMany({ 'features.x': 10n as unknown as boolean })).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(config.version).toBe(0);
    } finally {
      await config.close();
    }
    const error = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: {} },
      database: { connection: pgSchema.pool, schema: pgSchema.name, table: 'never_created' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_CONFIG_NO_TABLES' });
    expect((error as Error).message).toMatch(/ensureConfigSchema\(\)/);
  });

  it('serves get() from memory: no query per read', async () => {
    let queries = 0;
    // The real pool, with a count of the statements sent through it.
    const counting = {
      query: (text: string, values?: unknown[]) => {
        queries++;
        return pgSchema.pool.query(text, values);
      },
      connect: async () => {
        const client = await pgSchema.pool.connect();
        // Counted through a wrapper object: the pooled client itself stays untouched.
        return {
          query: (text: string, values?: unknown[]) => {
            queries++;
            return client.query(text, values);
          },
          release: (destroy?: boolean | Error) => client.release(destroy),
          on: client.on.bind(client) as PgPoolClientLike['on'],
          removeAllListeners: (event?: string) => client.removeAllListeners(event),
        } satisfies PgPoolClientLike;
      },
      end: async () => {},
    };
    const config = await ConfigurationRepository.start({
      schema,
      files: false,
      defaults: { db: {} },
      database: { connection: counting, schema: pgSchema.name, table: 'memory', ensureSchema: true },
    });
    try {
      await config.set('db.pool.max', 11);
      const before = queries;
      let sum = 0;
      for (let i = 0; i < 10_000; i++) sum += config.get('db.pool.max') + config.get('db.pool.min');
      expect(sum).toBe(110_000);
      expect(queries).toBe(before);
    } finally {
      await config.close();
    }
  });

  it('creates its tables idempotently, concurrently, and as a Kysely migration', async () => {
    const options = { schema: `${pgSchema.name}_mig`, table: 'settings' };
    await Promise.all([1, 2, 3].map(() => ensureConfigSchema(pgSchema.pool, options)));
    await ensureConfigSchema(pgSchema.pool, options);
    const tables = new ConfigTables(options);
    expect(tables.entries).toBe(`"${options.schema}"."settings"`);
    await pgSchema.sql(`DROP SCHEMA "${options.schema}" CASCADE`);

    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(), max: 2 }) }),
    });
    const migration: Migration = configMigration({ schema: pgSchema.name, table: 'migrated' });
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => ({ '001_config': migration }) },
      migrationTableSchema: pgSchema.name,
    });
    try {
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      const config = await ConfigurationRepository.start({
        schema,
        files: false,
        defaults: { db: {} },
        database: { connection: pgSchema.pool, schema: pgSchema.name, table: 'migrated' },
      });
      await config.set('db.pool.min', 2);
      await config.close();
      const down = await migrator.migrateDown();
      expect(down.error).toBeUndefined();
      const { rows } = await pgSchema.sql('SELECT to_regclass($1) AS t', [
        `"${pgSchema.name}".migrated_versions`,
      ]);
      expect(rows[0].t).toBeNull();
    } finally {
      await db.destroy();
    }
    expect(() => new ConfigTables({ table: 'x; DROP TABLE y' })).toThrow(ValidationError);
  });
});
