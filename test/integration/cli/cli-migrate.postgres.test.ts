import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/legacy-widgets.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { bundleCli, type CliBundle, runReposit, succeeded } from './run-reposit.js';

let bundle: CliBundle;
let schema: TestSchema;
let folder: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  [bundle, schema, folder] = await Promise.all([
    bundleCli(),
    createTestSchema('cli_migrate'),
    temporaryDirectory(),
  ]);
  env = {
    CLI_DATABASE_URL: databaseUrl(),
    CLI_SCHEMA: schema.name,
    CLI_MIGRATIONS_DIR: path.join(folder.path, 'migrations'),
  };
});
afterAll(async () => {
  await schema?.drop();
  await folder?.remove();
});

const reposit = (...args: string[]) => runReposit(bundle.cli, ['--config', bundle.config, ...args], env);

const CREATE_WIDGETS = `
export async function up(db) {
  await db.schema.createTable('widgets').addColumn('id', 'text', (c) => c.primaryKey()).execute();
}
export async function down(db) {
  await db.schema.dropTable('widgets').execute();
}
`;

// Each test spawns the command up to ten times; on a loaded machine a spawn can take seconds.
describe('reposit migrate', { timeout: 90_000 }, () => {
  it('creates, runs, reports and undoes migrations on the configured schema', async () => {
    const created = await reposit('migrate', 'create', 'create_widgets', '--json');
    succeeded(created);
    const { result } = created.json<{ result: { name: string; file: string } }>();
    expect(result.name).toMatch(/^\d{8}_\d{6}_create_widgets$/);
    expect(result.file).toBe(path.join(env.CLI_MIGRATIONS_DIR!, `${result.name}.mjs`));
    expect(await readFile(result.file, 'utf8')).toContain('export async function up(db)');
    await writeFile(result.file, CREATE_WIDGETS);

    // The second one keeps the template as written: an empty migration must run as it is.
    const second = await reposit('migrate', 'create', 'zz_noop');
    succeeded(second);
    expect(second.stdout).toMatch(/^Created .*_zz_noop\.mjs$/m);
    expect(await readdir(env.CLI_MIGRATIONS_DIR!)).toHaveLength(2);

    const before = (await reposit('migrate', 'status', '--json')).json<{
      result: { migrations: { name: string; executedAt: string | null }[]; pending: number };
    }>();
    expect(before.result.pending).toBe(2);
    expect(before.result.migrations.map((m) => m.executedAt)).toEqual([null, null]);

    const up = await reposit('migrate', 'up', '--json');
    succeeded(up);
    expect(up.json<{ result: { steps: unknown[] } }>().result.steps).toEqual([
      { name: result.name, direction: 'up', status: 'done' },
      { name: expect.stringMatching(/_zz_noop$/), direction: 'up', status: 'done' },
    ]);
    const tables = await schema.sql(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name',
      [schema.name],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['reposit_migration', 'reposit_migration_lock', 'widgets']),
    );

    const status = await reposit('migrate', 'status');
    succeeded(status);
    expect(status.stdout).toContain('2 migration(s), 0 pending');
    expect(status.stdout).not.toMatch(/_\w+ +pending$/m);

    const again = await reposit('migrate', 'up');
    expect(again.stdout).toContain('Nothing to migrate');

    const down = await reposit('migrate', 'down');
    succeeded(down);
    expect(down.stdout).toMatch(/^down {2}\d{8}_\d{6}_zz_noop$/m);
    const down2 = await reposit('migrate', 'down', '--json');
    expect(down2.json<{ result: { steps: { name: string }[] } }>().result.steps[0]!.name).toBe(result.name);
    const gone = await schema.sql('select to_regclass($1) as t', [`"${schema.name}".widgets`]);
    expect(gone.rows[0].t).toBeNull();
    const after = (await reposit('migrate', 'status', '--json')).json<{ result: { pending: number } }>();
    expect(after.result.pending).toBe(2);
  });

  it('fails with the migration that failed, and changes nothing', async () => {
    const created = (await reposit('migrate', 'create', 'zzz_broken', '--json')).json<{
      result: { file: string; name: string };
    }>();
    await writeFile(
      created.result.file,
      "export async function up(db) { await db.schema.createTable('gadgets').addColumn('id', 'text').execute(); throw new Error('boom in up'); }\n",
    );
    const failed = await reposit('migrate', 'up');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`migration ${created.result.name} (up) failed: boom in up`);
    expect(failed.stderr).toContain('MigrationError, code E_MIGRATION');
    const asJson = await reposit('migrate', 'up', '--json');
    expect(asJson.code).toBe(1);
    expect(asJson.json()).toMatchObject({
      ok: false,
      command: 'migrate up',
      error: { code: 'E_MIGRATION', migration: created.result.name },
    });
    // One transaction: the migrations before the broken one were rolled back with it.
    const status = (await reposit('migrate', 'status', '--json')).json<{ result: { pending: number } }>();
    expect(status.result.pending).toBe(3);
    const gadgets = await schema.sql('select to_regclass($1) as t', [`"${schema.name}".gadgets`]);
    expect(gadgets.rows[0].t).toBeNull();
  });

  it('rejects a migration name that would not sort or load', async () => {
    const bad = await reposit('migrate', 'create', 'add users!');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /reposit: Migration name ".*add users!" must look like YYYYMMDD_HHMMSS_description/,
    );
    const none = await reposit('migrate', 'create');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('migrate create takes exactly one name');
    expect(none.stderr).toContain('See `reposit migrate --help`.');
  });
});
