import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MigrationError,
  PostgresMigrator,
  parseMigrationName,
  repositMigrations,
} from '../../../src/backends/postgres/index.js';
import { ValidationError } from '../../../src/errors.js';
import type { TestSchema } from '../../support/postgres.js';

const createTable = (table: string) => `
export async function up(db) { await db.schema.createTable('${table}').addColumn('id', 'integer', (c) => c.primaryKey()).execute(); }
export async function down(db) { await db.schema.dropTable('${table}').execute(); }
`;

/**
 * How a file runs the migrator suite: where its schema comes from, and a pool on the same
 * schema whose sessions start with a statement timeout.
 */
export interface MigrationSuiteSetup {
  readonly title: string;
  createSchema(): Promise<TestSchema>;
  /** A pool on `schema` whose sessions have `statement_timeout = timeoutMs`, and how to dispose of it. */
  limitedPool(schema: TestSchema, timeoutMs: number): Promise<{ pool: pg.Pool; close(): Promise<void> }>;
}

/**
 * Registers the PostgresMigrator tests (order, validation, rollback, concurrent runs,
 * timeouts, reposit's own tables) against the server `setup` describes.
 *
 * @example
 * ```ts
 * describeMigrations({ title: 'on a real PostgreSQL', createSchema: () => createTestSchema('migrations'), limitedPool });
 * ```
 */
export function describeMigrations(setup: MigrationSuiteSetup): void {
  describe(`PostgresMigrator ${setup.title}`, () => {
    let schema: TestSchema;
    let folder: string;

    beforeAll(async () => {
      schema = await setup.createSchema();
      folder = await mkdtemp(path.join(tmpdir(), 'reposit-migrations-'));
    });
    afterAll(async () => {
      await schema.drop();
      await rm(folder, { recursive: true, force: true });
    });

    const tables = async () =>
      (
        await schema.sql(
          `select table_name from information_schema.tables where table_schema = $1 and table_name like 'm\\_%' order by 1`,
          [schema.name],
        )
      ).rows.map((row) => row.table_name as string);

    const folderOf = async (name: string, files: Record<string, string>) => {
      const dir = path.join(folder, name);
      await rm(dir, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(dir));
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
      return dir;
    };

    it('runs a folder of migrations in name order: latest, status, down, up, to', async () => {
      const dir = await folderOf('ordered', {
        '20240102_000000_create_m_second.mjs': createTable('m_second'),
        '20240101_000000_create_m_first.mjs': createTable('m_first'),
        '20240103_120000_create_m_third.mjs': createTable('m_third'),
        'README.md': 'not a migration',
        '20240101_000000_create_m_first.d.ts': 'export {};',
      });
      const migrator = new PostgresMigrator({
        pool: schema.pool,
        migrations: dir,
        schema: schema.name,
        tableName: 'hist_ordered',
      });

      expect((await migrator.status()).map((m) => [m.name, m.executedAt])).toEqual([
        ['20240101_000000_create_m_first', null],
        ['20240102_000000_create_m_second', null],
        ['20240103_120000_create_m_third', null],
      ]);
      expect(await migrator.latest()).toEqual([
        { name: '20240101_000000_create_m_first', direction: 'up', status: 'done' },
        { name: '20240102_000000_create_m_second', direction: 'up', status: 'done' },
        { name: '20240103_120000_create_m_third', direction: 'up', status: 'done' },
      ]);
      expect(await tables()).toEqual(['m_first', 'm_second', 'm_third']);
      const status = await migrator.status();
      expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);

      expect(await migrator.down()).toEqual([
        { name: '20240103_120000_create_m_third', direction: 'down', status: 'done' },
      ]);
      expect(await tables()).toEqual(['m_first', 'm_second']);
      expect(await migrator.up()).toEqual([
        { name: '20240103_120000_create_m_third', direction: 'up', status: 'done' },
      ]);
      expect(await migrator.latest()).toEqual([]);

      await migrator.to('20240101_000000_create_m_first');
      expect(await tables()).toEqual(['m_first']);
      await migrator.to(null);
      expect(await tables()).toEqual([]);
      expect((await migrator.status()).every((m) => m.executedAt === null)).toBe(true);
    });

    it('rejects badly named migration files before running anything, naming each', async () => {
      const dir = await folderOf('badnames', {
        '20240101_000000_create_m_ok.mjs': createTable('m_ok'),
        'create_m_users.mjs': createTable('m_users'),
        '20241301_000000_create_m_month.mjs': createTable('m_month'),
      });
      const migrator = new PostgresMigrator({
        pool: schema.pool,
        migrations: dir,
        schema: schema.name,
        tableName: 'hist_bad',
      });
      const error = await migrator.latest().catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).paths.sort()).toEqual([
        '20241301_000000_create_m_month',
        'create_m_users',
      ]);
      expect(error.message).toMatch(/YYYYMMDD_HHMMSS_description/);
      expect(error.message).toMatch(/month 13 does not exist/);
      expect(await tables()).toEqual([]);
    });

    it('rejects a migration module without up(db)', async () => {
      const dir = await folderOf('noup', { '20240101_000000_nothing.mjs': 'export const x = 1;' });
      const migrator = new PostgresMigrator({
        pool: schema.pool,
        migrations: dir,
        schema: schema.name,
        tableName: 'hist_noup',
      });
      await expect(migrator.latest()).rejects.toThrow(/does not export an up\(db\) function/);
    });

    it('rolls back the whole run when one migration fails, and says which', async () => {
      const migrator = new PostgresMigrator({
        pool: schema.pool,
        schema: schema.name,
        tableName: 'hist_fail',
        migrations: {
          '20240101_000000_create_m_fine': {
            up: async (db) => {
              await db.schema.createTable('m_fine').addColumn('id', 'integer').execute();
            },
          },
          '20240102_000000_break': {
            up: async (db) => {
              await sql`select * from m_does_not_exist`.execute(db);
            },
          },
        },
      });
      const error = await migrator.latest().catch((e) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ code: 'E_MIGRATION', migration: '20240102_000000_break' });
      expect(error.message).toMatch(/migration 20240102_000000_break \(up\) failed: .*m_does_not_exist/);
      expect((error as MigrationError).steps.map((step) => step.status)).toEqual(['done', 'failed']);
      expect(await tables()).toEqual([]);
      expect((await migrator.status()).every((m) => m.executedAt === null)).toBe(true);
    });

    it('lets concurrent runs take turns: each migration runs exactly once', async () => {
      let runs = 0;
      const migrations = {
        '20240101_000000_create_m_once': {
          up: async (db: Kysely<unknown>) => {
            runs += 1;
            await sql`select pg_sleep(0.2)`.execute(db);
            await db.schema.createTable('m_once').addColumn('id', 'integer').execute();
          },
        },
      };
      const migrator = () =>
        new PostgresMigrator({
          pool: schema.pool,
          schema: schema.name,
          tableName: 'hist_concurrent',
          migrations,
        });
      const [first, second] = await Promise.all([migrator().latest(), migrator().latest()]);
      expect([...first, ...second]).toEqual([
        { name: '20240101_000000_create_m_once', direction: 'up', status: 'done' },
      ]);
      expect(runs).toBe(1);
      expect(await tables()).toEqual(['m_once']);
      await migrator().to(null);
    });

    it("runs under the pool's statement_timeout, which a migration can lift for itself", async () => {
      const { pool: limited, close } = await setup.limitedPool(schema, 100);
      try {
        const slow = (lift: boolean) => ({
          '20240101_000000_slow': {
            up: async (db: Kysely<unknown>) => {
              if (lift) await sql`set local statement_timeout = 0`.execute(db);
              await sql`select pg_sleep(0.3)`.execute(db);
            },
          },
        });
        const config = { pool: limited, schema: schema.name, tableName: 'hist_timeout' };
        const error = await new PostgresMigrator({ ...config, migrations: slow(false) })
          .latest()
          .catch((e) => e);
        expect(error).toBeInstanceOf(MigrationError);
        expect(error.message).toMatch(/statement timeout/);
        const steps = await new PostgresMigrator({ ...config, migrations: slow(true) }).latest();
        expect(steps.map((step) => step.status)).toEqual(['done']);
        const { rows } = await limited.query('show statement_timeout');
        expect(rows[0].statement_timeout).toBe('100ms');
      } finally {
        await close();
      }
    });

    it('rejects migrations given as a record with invalid names', async () => {
      const migrator = new PostgresMigrator({
        pool: schema.pool,
        schema: schema.name,
        tableName: 'hist_record',
        migrations: { '2024_01_01_oops': { up: async () => {} } },
      });
      await expect(migrator.latest()).rejects.toBeInstanceOf(ValidationError);
      await expect(migrator.to('latest')).rejects.toBeInstanceOf(ValidationError);
    });

    it("creates reposit's own tables (the audit log) with their own history table", async () => {
      const migrator = PostgresMigrator.forRepositTables({ pool: schema.pool, schema: schema.name });
      expect((await migrator.latest()).map((step) => step.status)).toEqual(['done']);
      const columns = await schema.sql(
        `select column_name, data_type, is_nullable from information_schema.columns
       where table_schema = $1 and table_name = 'reposit_audit_log' order by ordinal_position`,
        [schema.name],
      );
      expect(columns.rows.map((row) => [row.column_name, row.data_type, row.is_nullable])).toEqual([
        ['id', 'bigint', 'NO'],
        ['entity', 'text', 'NO'],
        ['entity_id', 'text', 'NO'],
        ['action', 'text', 'NO'],
        ['before', 'jsonb', 'YES'],
        ['after', 'jsonb', 'YES'],
        ['actor', 'text', 'YES'],
        ['at', 'timestamp with time zone', 'NO'],
      ]);
      await expect(
        schema.sql(
          `insert into reposit_audit_log (entity, entity_id, action) values ('user', '1', 'explode')`,
        ),
      ).rejects.toThrow(/reposit_audit_log_action_check/);
      const history = await schema.sql('select name from reposit_schema_migration');
      expect(history.rows.map((row) => row.name)).toEqual(Object.keys(repositMigrations()));
      expect((await migrator.latest()).length).toBe(0);
      await migrator.to(null);
      const left = await schema.sql(
        `select 1 from information_schema.tables where table_schema = $1 and table_name = 'reposit_audit_log'`,
        [schema.name],
      );
      expect(left.rowCount).toBe(0);
    });
  });

  describe('parseMigrationName', () => {
    it('reads the timestamp as UTC and keeps the description', () => {
      expect(parseMigrationName('20240229_235959_leap-day_fix')).toEqual({
        name: '20240229_235959_leap-day_fix',
        createdAt: new Date('2024-02-29T23:59:59Z'),
        description: 'leap-day_fix',
      });
    });

    it.each([
      ['20230229_000000_not_leap', /day 29 does not exist in 2023-02/],
      ['20240101_240000_hour', /time 24:00:00 does not exist/],
      ['20240101_000000_', /YYYYMMDD_HHMMSS_description/],
      ['20240101_000000_has space', /YYYYMMDD_HHMMSS_description/],
      ['../20240101_000000_escape', /YYYYMMDD_HHMMSS_description/],
    ])('rejects %s', (name, message) => {
      expect(() => parseMigrationName(name)).toThrow(ValidationError);
      expect(() => parseMigrationName(name)).toThrow(message);
    });
  });
}
