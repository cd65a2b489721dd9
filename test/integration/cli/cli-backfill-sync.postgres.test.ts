import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SheetsBackend } from '../../../src/backends/sheets/index.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { type SheetsEmulator, startSheetsEmulator, Widget, widget } from '../../../src/testing/index.js';
import { eventually } from '../../support/cache.js';
import { legacyWidget, temporaryDirectory } from '../../support/legacy-widgets.js';
import { createTestSchema, type TestSchema } from '../../support/postgres.js';
import { databaseUrl } from '../../support/services.js';
import { emulatorClient, TEST_LIMITS } from '../../support/sheets.js';
import { bundleCli, type CliBundle, runReposit, succeeded } from './run-reposit.js';
import { createWidgetsTable, insertWidgets } from './widgets-table.js';

let bundle: CliBundle;
let folder: { path: string; remove: () => Promise<void> };
let emulator: SheetsEmulator;
const schemas: TestSchema[] = [];

beforeAll(async () => {
  [bundle, folder, emulator] = await Promise.all([bundleCli(), temporaryDirectory(), startSheetsEmulator()]);
});
afterAll(async () => {
  for (const schema of schemas) await schema.drop();
  await emulator?.close();
  await folder?.remove();
});

async function widgetsSchema(): Promise<TestSchema> {
  const schema = await createTestSchema('cli_jobs');
  schemas.push(schema);
  await createWidgetsTable(schema);
  return schema;
}

const ids = async (schema: TestSchema) =>
  (await schema.sql('select id from widgets order by id')).rows.map((row) => row.id as string);

describe('reposit legacy backfill', () => {
  it('copies every legacy record in batches, and a second run resumes from the checkpoint', async () => {
    const schema = await widgetsSchema();
    const legacyFile = path.join(folder.path, 'legacy-widgets.json');
    await writeFile(legacyFile, JSON.stringify(Array.from({ length: 20 }, (_, i) => legacyWidget(i + 1))));
    const env = {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_LEGACY_FILE: legacyFile,
      CLI_CHECKPOINT_FILE: path.join(folder.path, 'backfill.checkpoint.json'),
    };
    const first = await runReposit(bundle.cli, ['-c', bundle.config, 'legacy', 'backfill', '--json'], env);
    expect(first.stderr).toBe('');
    succeeded(first);
    expect(first.json()).toMatchObject({
      ok: true,
      command: 'legacy backfill',
      result: {
        stopped: false,
        backfills: [
          { name: 'widgets', total: 20, processed: 20, inserted: 20, skipped: 0, done: true, resumed: false },
        ],
      },
    });
    expect(await ids(schema)).toHaveLength(20);
    const row = (await schema.sql("select email, age, active from widgets where id = 'w0007'")).rows[0];
    expect(row).toEqual({ email: 'w0007@example.com', age: 27, active: true });

    const second = await runReposit(bundle.cli, ['-c', bundle.config, 'legacy', 'backfill', 'widgets'], env);
    succeeded(second);
    expect(second.stdout).toMatch(
      /^backfill widgets: 20\/20 processed \(20 inserted, 0 skipped, 0 dead-lettered\), resumed after w0020$/m,
    );
    expect(await ids(schema)).toHaveLength(20);
  });

  it('stops after the current batch on Ctrl-C, with the checkpoint saved, and continues on the next run', async () => {
    const schema = await widgetsSchema();
    const legacyFile = path.join(folder.path, 'legacy-many.json');
    const count = 3000;
    await writeFile(legacyFile, JSON.stringify(Array.from({ length: count }, (_, i) => legacyWidget(i + 1))));
    const checkpoint = path.join(folder.path, 'interrupted.checkpoint.json');
    const env = {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_LEGACY_FILE: legacyFile,
      CLI_CHECKPOINT_FILE: checkpoint,
      CLI_BATCH_SIZE: '1',
    };
    let child: ChildProcess | undefined;
    const interrupted = runReposit(bundle.cli, ['-c', bundle.config, 'legacy', 'backfill', '--json'], env, {
      onSpawn: (spawned) => {
        child = spawned;
      },
    });
    // Interrupt once the first batches are in (one row per batch: thousands of batches to go).
    await eventually(async () => (await ids(schema)).length >= 5, 30_000);
    child!.kill('SIGINT');
    const stopped = await interrupted;
    expect(stopped.code).toBe(1);
    const report = stopped.json<{
      ok: boolean;
      result: { stopped: boolean; backfills: { processed: number; done: boolean }[] };
    }>();
    expect(report.ok).toBe(false);
    expect(report.result.stopped).toBe(true);
    const { processed } = report.result.backfills[0]!;
    expect(processed).toBeGreaterThanOrEqual(5);
    expect(processed).toBeLessThan(count);
    expect(await ids(schema)).toHaveLength(processed);
    expect(JSON.parse(await readFile(checkpoint, 'utf8'))).toMatchObject({ processed, done: false });

    const resumed = await runReposit(bundle.cli, ['-c', bundle.config, 'legacy', 'backfill', '--json'], {
      ...env,
      CLI_BATCH_SIZE: '500',
    });
    succeeded(resumed);
    expect(resumed.json()).toMatchObject({
      result: { backfills: [{ resumed: true, processed: count, inserted: count, skipped: 0, done: true }] },
    });
    expect(await ids(schema)).toHaveLength(count);
  });

  it('fails with the database error when the target table is missing', async () => {
    const schema = await createTestSchema('cli_jobs_empty');
    schemas.push(schema);
    const legacyFile = path.join(folder.path, 'legacy-two.json');
    await writeFile(legacyFile, JSON.stringify([legacyWidget(1), legacyWidget(2)]));
    const run = await runReposit(bundle.cli, ['-c', bundle.config, 'legacy', 'backfill'], {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_LEGACY_FILE: legacyFile,
      CLI_CHECKPOINT_FILE: path.join(folder.path, 'missing-table.checkpoint.json'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reposit: .*widgets/m);
    expect(run.stderr).toMatch(/code E_[A-Z_]+/);
  });
});

describe('reposit sheets sync', () => {
  it('copies rows both ways between the sheet and PostgreSQL, then has nothing to do', async () => {
    const schema = await widgetsSchema();
    await insertWidgets(schema, 1, 2);
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Widgets'] });
    const backend = new SheetsBackend<Widget, string>({
      entity: Widget,
      client: emulatorClient(emulator.rootUrl),
      spreadsheetId,
      sheet: 'Widgets',
      gatewayOptions: { limits: TEST_LIMITS },
    });
    const sheet = new BaseRepository({ entity: Widget, backend, cursorSecret: 'test' });
    await sheet.create(widget(3));
    await backend.close();
    const env = {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_SHEETS_ROOT_URL: emulator.rootUrl,
      CLI_SPREADSHEET_ID: spreadsheetId,
      CLI_SYNC_STATE_FILE: path.join(folder.path, 'sync-state.json'),
    };
    const run = await runReposit(
      bundle.cli,
      ['-c', bundle.config, 'sheets', 'sync', 'widgets', '--json'],
      env,
    );
    expect(run.stderr).toBe('');
    succeeded(run);
    expect(run.json()).toMatchObject({
      ok: true,
      command: 'sheets sync',
      result: { syncs: [{ name: 'widgets', total: 3, copiedToSheet: 2, copiedToOther: 1, conflicts: 0 }] },
    });
    expect(await ids(schema)).toEqual(['w0001', 'w0002', 'w0003']);
    const sheetIds = emulator
      .values(spreadsheetId, 'Widgets')
      .slice(1)
      .map((cells) => cells[0])
      .sort();
    expect(sheetIds).toEqual(['w0001', 'w0002', 'w0003']);

    const again = await runReposit(bundle.cli, ['-c', bundle.config, 'sheets', 'sync'], env);
    succeeded(again);
    expect(again.stdout).toContain('sync widgets: 0 changed id(s)');
  });

  it('fails with a clear message when the spreadsheet does not exist', async () => {
    const schema = await widgetsSchema();
    const run = await runReposit(bundle.cli, ['-c', bundle.config, 'sheets', 'sync'], {
      CLI_DATABASE_URL: databaseUrl(),
      CLI_SCHEMA: schema.name,
      CLI_SHEETS_ROOT_URL: emulator.rootUrl,
      CLI_SPREADSHEET_ID: 'no-such-spreadsheet',
      CLI_SYNC_STATE_FILE: path.join(folder.path, 'missing-sync-state.json'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^reposit: .+/m);
    expect(run.stderr).toMatch(/code E_[A-Z_]+/);
  });
});
