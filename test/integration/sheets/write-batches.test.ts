import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SheetsBackendOptions } from '../../../src/backends/sheets/index.js';
import { DuplicateError } from '../../../src/errors.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { emulatorClient, type PersonType, peopleBackend } from '../../support/sheets.js';

let emulator: SheetsEmulator;

beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  await emulator.close();
});

function backendFor(spreadsheetId: string, extra: Partial<SheetsBackendOptions<PersonType>> = {}) {
  return peopleBackend(emulator.rootUrl, spreadsheetId, extra);
}

const joined = new Date('2024-03-01T10:00:00.000Z');
const person = (id: number) => ({ id, name: `P${id}`, age: id % 90, active: id % 2 === 0, joined });

describe('write batches', () => {
  it('the emulator returns the tab after a batchUpdate asked for includeSpreadsheetInResponse', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const client = emulatorClient(emulator.rootUrl);
    const sheetId = (await client.spreadsheets.get({ spreadsheetId })).data.sheets![0]!.properties!.sheetId!;
    const response = await client.spreadsheets.batchUpdate({
      spreadsheetId,
      requestBody: {
        requests: [
          {
            updateCells: {
              start: { sheetId, rowIndex: 0, columnIndex: 0 },
              rows: [
                {
                  values: [
                    { userEnteredValue: { stringValue: 'id' } },
                    { userEnteredValue: { stringValue: 'ok' } },
                  ],
                },
                {
                  values: [
                    { userEnteredValue: { numberValue: 7 } },
                    { userEnteredValue: { boolValue: true } },
                  ],
                },
              ],
              fields: 'userEnteredValue',
            },
          },
        ],
        includeSpreadsheetInResponse: true,
        responseRanges: ["'People'"],
        responseIncludeGridData: true,
      },
    });
    const sheet = response.data.updatedSpreadsheet!.sheets![0]!;
    expect(sheet.properties!.title).toBe('People');
    expect(sheet.properties!.gridProperties!.rowCount).toBeGreaterThan(1);
    expect(sheet.data![0]!.rowData).toEqual([
      {
        values: [
          { userEnteredValue: { stringValue: 'id' }, effectiveValue: { stringValue: 'id' } },
          { userEnteredValue: { stringValue: 'ok' }, effectiveValue: { stringValue: 'ok' } },
        ],
      },
      {
        values: [
          { userEnteredValue: { numberValue: 7 }, effectiveValue: { numberValue: 7 } },
          { userEnteredValue: { boolValue: true }, effectiveValue: { boolValue: true } },
        ],
      },
    ]);
    const plain = await client.spreadsheets.batchUpdate({
      spreadsheetId,
      requestBody: {
        requests: [{ appendDimension: { sheetId, dimension: 'ROWS', length: 1 } }],
      },
    });
    expect(plain.data.updatedSpreadsheet).toBeUndefined();
  });

  it('a steady stream of creates costs one request per batch: the next batch starts from the write response', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const backend = backendFor(spreadsheetId);
    try {
      await backend.insertMany([person(1)]); // header written, tab id known
      emulator.resetCounts();
      const callers = 20;
      const perCaller = 10;
      await Promise.all(
        Array.from({ length: callers }, async (_, caller) => {
          for (let i = 0; i < perCaller; i++)
            await backend.insertMany([person(100 + caller * perCaller + i)]);
        }),
      );
      const counts = emulator.requestCounts();
      const batches = counts['spreadsheets.batchUpdate'] ?? 0;
      // At most one read per burst (the first batch); every later batch reused the write response.
      expect(counts['values.batchGet'] ?? 0).toBeLessThanOrEqual(2);
      expect(batches).toBeGreaterThanOrEqual(perCaller);
      expect(emulator.totalRequests()).toBeLessThanOrEqual(batches + 2);
      const all = await backend.findByIds(Array.from({ length: callers * perCaller }, (_, i) => 100 + i));
      expect(all).toHaveLength(callers * perCaller);
      expect(new Set(all.map((p) => p.id)).size).toBe(callers * perCaller);
    } finally {
      await backend.close();
    }
  });

  it('reads the tab again once its queue ran dry, so a row another writer added meanwhile is seen', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const mine = backendFor(spreadsheetId);
    const theirs = backendFor(spreadsheetId);
    try {
      await mine.insertMany([person(1)]);
      await theirs.insertMany([person(2)]);
      await expect(mine.insertMany([person(2)])).rejects.toBeInstanceOf(DuplicateError);
      const rows = await theirs.findByIds([1, 2]);
      expect(rows.map((p) => p.id).sort()).toEqual([1, 2]);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('duplicates inside one stream are still refused when the batch works from a write response', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const backend = backendFor(spreadsheetId);
    try {
      await backend.insertMany([person(1)]);
      await Promise.all(Array.from({ length: 6 }, (_, caller) => backend.insertMany([person(10 + caller)])));
      // A burst of six more batches' worth of writes, each a duplicate of a row written above.
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, async (_, caller) => {
          await new Promise((resolve) => setTimeout(resolve, caller * 5));
          return backend.insertMany([person(10 + ((caller + 1) % 6))]);
        }),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused).toHaveLength(6);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateError);
      const rows = await backend.findByIds([1, 10, 11, 12, 13, 14, 15]);
      expect(rows).toHaveLength(7);
    } finally {
      await backend.close();
    }
  });
});
