import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../src/backends/memory/index.js';
import {
  fileSyncState,
  memorySyncState,
  SheetsBackend,
  type SyncProgress,
  syncRepositories,
} from '../../../src/backends/sheets/index.js';
import { ConnectionError } from '../../../src/errors.js';
import { BaseRepository } from '../../../src/repository/base-repository.js';
import { type SheetsEmulator, startSheetsEmulator, Widget, widget } from '../../../src/testing/index.js';
import { emulatorClient, TEST_LIMITS } from '../../support/sheets.js';

let emulator: SheetsEmulator;
beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  await emulator.close();
});

function sides() {
  const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Widgets'] });
  const backend = new SheetsBackend<Widget, string>({
    entity: Widget,
    client: emulatorClient(emulator.rootUrl),
    spreadsheetId,
    sheet: 'Widgets',
    unique: [['email']],
    gatewayOptions: { retry: { retries: 1, baseDelayMs: 5 }, limits: TEST_LIMITS },
  });
  const sheet = new BaseRepository({ entity: Widget, backend, cursorSecret: 's' });
  const other = new BaseRepository({
    entity: Widget,
    backend: new MemoryBackend(Widget, { unique: [['email']] }),
    cursorSecret: 'o',
  });
  return { sheet, other, backend, spreadsheetId };
}

const names = async (repo: { list(q: object): Promise<Widget[]> }) =>
  (await repo.list({ orderBy: { id: 'asc' } })).map((w) => `${w.id}:${w.name}`);

describe('two-way sync of a sheet with another repository', () => {
  it('copies creates, updates and deletes both ways, and is quiet when nothing changed', async () => {
    const { sheet, other, backend } = sides();
    const state = memorySyncState();
    await sheet.createMany([widget(1), widget(2)]);
    await other.createMany([widget(3)]);
    const first = await syncRepositories({ entity: Widget, sheet, other, state });
    expect(first).toMatchObject({ copiedToOther: 2, copiedToSheet: 1, conflicts: 0 });
    expect(await names(sheet)).toEqual(['w0001:name 1', 'w0002:name 2', 'w0003:name 3']);
    expect(await names(other)).toEqual(await names(sheet));

    await sheet.update('w0001', { name: 'from sheet' });
    await other.update('w0003', { name: 'from other' });
    await sheet.delete('w0002');
    const second = await syncRepositories({ entity: Widget, sheet, other, state });
    expect(second).toMatchObject({
      total: 3,
      copiedToOther: 1,
      copiedToSheet: 1,
      deletedInOther: 1,
      conflicts: 0,
    });
    expect(await names(other)).toEqual(['w0001:from sheet', 'w0003:from other']);
    expect(await names(sheet)).toEqual(['w0001:from sheet', 'w0003:from other']);

    expect(await syncRepositories({ entity: Widget, sheet, other, state })).toMatchObject({ total: 0 });
    await backend.close();
  });

  it('resolves conflicts by the rule: sheet-wins, other-wins, or a function', async () => {
    const { sheet, other, backend } = sides();
    const state = memorySyncState();
    await sheet.createMany([widget(1), widget(2)]);
    await syncRepositories({ entity: Widget, sheet, other, state });
    await sheet.update('w0001', { name: 'sheet says' });
    await other.update('w0001', { name: 'other says' });
    await sheet.update('w0002', { name: 'sheet edit' });
    await other.delete('w0002');
    const report = await syncRepositories({ entity: Widget, sheet, other, state, conflicts: 'other-wins' });
    expect(report.conflicts).toBe(2);
    expect(await names(sheet)).toEqual(['w0001:other says']);

    await sheet.update('w0001', { name: 'A', age: 99 });
    await other.update('w0001', { name: 'B', age: 1 });
    await syncRepositories({
      entity: Widget,
      sheet,
      other,
      state,
      conflicts: (a, b) => ((a?.age ?? 0) > (b?.age ?? 0) ? 'sheet' : 'other'),
    });
    expect(await names(other)).toEqual(['w0001:A']);
    await backend.close();
  });

  it('reports progress per chunk and resumes after a failure without applying anything twice', async () => {
    const { sheet, other, backend, spreadsheetId } = sides();
    const dir = await mkdtemp(join(tmpdir(), 'reposit-sync-'));
    const state = fileSyncState(join(dir, 'state.json'));
    await other.createMany(Array.from({ length: 30 }, (_, i) => widget(i)));
    const progress: SyncProgress[] = [];
    // After two chunks, the sheet's write batches fail for good (beyond the one retry).
    const failing = syncRepositories({
      entity: Widget,
      sheet,
      other,
      state,
      chunkSize: 10,
      onProgress: (p) => {
        progress.push(p);
        if (p.processed === 20)
          emulator.faults.inject({ status: 500, times: 2, methods: ['spreadsheets.batchUpdate'] });
      },
    });
    await expect(failing).rejects.toBeInstanceOf(ConnectionError);
    expect(progress.map((p) => p.processed)).toEqual([10, 20]);
    expect(progress[1]).toMatchObject({ total: 30, copiedToSheet: 20 });
    expect(await sheet.count()).toBe(20);

    const resumed: SyncProgress[] = [];
    const report = await syncRepositories({
      entity: Widget,
      sheet,
      other,
      state,
      chunkSize: 10,
      onProgress: (p) => resumed.push(p),
    });
    expect(report).toMatchObject({ total: 10, copiedToSheet: 10, conflicts: 0 });
    expect(await sheet.count()).toBe(30);
    expect(emulator.values(spreadsheetId, 'Widgets').filter((row) => row.length > 0)).toHaveLength(31);
    expect(await names(sheet)).toEqual(await names(other));
    await rm(dir, { recursive: true, force: true });
    await backend.close();
  });
});
