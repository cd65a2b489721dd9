import { sheets, type sheets_v4 } from '@googleapis/sheets';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';

let emulator: SheetsEmulator;
let client: sheets_v4.Sheets;
let spreadsheetId: string;
const noRetry = { retry: false } as const;

async function apiError(
  promise: Promise<unknown>,
): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  try {
    await promise;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown; headers: Headers } }).response;
    if (!response) throw error;
    return { status: response.status, body: response.data, retryAfter: response.headers.get('retry-after') };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  emulator = await startSheetsEmulator();
  client = sheets({ version: 'v4', rootUrl: emulator.rootUrl });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.faults.clear();
  spreadsheetId = emulator.createSpreadsheet({
    title: 'Book',
    sheets: [
      {
        title: 'Users',
        rows: [
          ['id', 'name', 'age'],
          [1, 'Ada', 36],
          [2, 'Grace', 45],
        ],
      },
      { title: "Bob's tab", rows: [] },
    ],
  });
});

describe('Sheets emulator through the official client', () => {
  it('serves spreadsheets.get with sheet properties', async () => {
    const { data } = await client.spreadsheets.get({ spreadsheetId }, noRetry);
    expect(data.spreadsheetId).toBe(spreadsheetId);
    expect(data.sheets?.map((s) => s.properties?.title)).toEqual(['Users', "Bob's tab"]);
    expect(data.sheets?.[0]?.properties?.gridProperties).toEqual({ rowCount: 1000, columnCount: 26 });
  });

  it('reads ranges with trimming, render options and bounded response ranges', async () => {
    const whole = await client.spreadsheets.values.get({ spreadsheetId, range: 'Users' }, noRetry);
    expect(whole.data.range).toBe('Users!A1:Z1000');
    expect(whole.data.values).toEqual([
      ['id', 'name', 'age'],
      ['1', 'Ada', '36'],
      ['2', 'Grace', '45'],
    ]);
    const raw = await client.spreadsheets.values.get(
      { spreadsheetId, range: 'Users!A2:C', valueRenderOption: 'UNFORMATTED_VALUE' },
      noRetry,
    );
    expect(raw.data.values).toEqual([
      [1, 'Ada', 36],
      [2, 'Grace', 45],
    ]);
    const columns = await client.spreadsheets.values.get(
      { spreadsheetId, range: 'Users!B:B', majorDimension: 'COLUMNS' },
      noRetry,
    );
    expect(columns.data.values).toEqual([['name', 'Ada', 'Grace']]);
    const empty = await client.spreadsheets.values.get(
      { spreadsheetId, range: "'Bob''s tab'!A1:C3" },
      noRetry,
    );
    expect(empty.data.range).toBe("'Bob''s tab'!A1:C3");
    expect(empty.data.values).toBeUndefined();
    const rows = await client.spreadsheets.values.get({ spreadsheetId, range: 'Users!2:3' }, noRetry);
    expect(rows.data.values).toEqual([
      ['1', 'Ada', '36'],
      ['2', 'Grace', '45'],
    ]);
  });

  it('keeps empty rows in the middle and trims trailing cells', async () => {
    emulator.setValues(spreadsheetId, 'Users!A5:D5', [['x', '', '', '']]);
    const { data } = await client.spreadsheets.values.get({ spreadsheetId, range: 'Users!A1:D' }, noRetry);
    expect(data.values).toEqual([['id', 'name', 'age'], ['1', 'Ada', '36'], ['2', 'Grace', '45'], [], ['x']]);
  });

  it('updates, appends and clears with RAW and USER_ENTERED input', async () => {
    const update = await client.spreadsheets.values.update(
      {
        spreadsheetId,
        range: 'Users!B2',
        valueInputOption: 'USER_ENTERED',
        includeValuesInResponse: true,
        requestBody: { values: [['=1+1']] },
      },
      noRetry,
    );
    expect(update.data.updatedRange).toBe('Users!B2');
    expect(update.data.updatedCells).toBe(1);
    const append = await client.spreadsheets.values.append(
      {
        spreadsheetId,
        range: 'Users!A:C',
        valueInputOption: 'USER_ENTERED',
        requestBody: {
          values: [
            ['3', 'Linus', 'TRUE'],
            ["'007", null, 12.5],
          ],
        },
      },
      noRetry,
    );
    expect(append.data.tableRange).toBe('Users!A1:C3');
    expect(append.data.updates?.updatedRange).toBe('Users!A4:C5');
    expect(emulator.values(spreadsheetId, 'Users!A4:C5')).toEqual([
      [3, 'Linus', true],
      ['007', '', 12.5],
    ]);
    const raw = await client.spreadsheets.values.append(
      { spreadsheetId, range: 'Users!A1', valueInputOption: 'RAW', requestBody: { values: [['4', '=2+2']] } },
      noRetry,
    );
    expect(raw.data.updates?.updatedRange).toBe('Users!A6:B6');
    expect(emulator.values(spreadsheetId, 'Users!A6:B6')).toEqual([['4', '=2+2']]);
    const cleared = await client.spreadsheets.values.clear({ spreadsheetId, range: 'Users!A4:C' }, noRetry);
    expect(cleared.data.clearedRange).toBe('Users!A4:C1000');
    expect(emulator.values(spreadsheetId, 'Users')).toHaveLength(3);
  });

  it('batches reads and writes; a failing write batch changes nothing', async () => {
    const batch = await client.spreadsheets.values.batchGet(
      { spreadsheetId, ranges: ['Users!A1:A', "'Bob''s tab'!A1"], valueRenderOption: 'UNFORMATTED_VALUE' },
      noRetry,
    );
    expect(batch.data.valueRanges?.map((r) => r.values)).toEqual([[['id'], [1], [2]], undefined]);
    const ok = await client.spreadsheets.values.batchUpdate(
      {
        spreadsheetId,
        requestBody: {
          valueInputOption: 'RAW',
          data: [
            { range: 'Users!B2', values: [['Ada L.']] },
            { range: "'Bob''s tab'!A1:B1", values: [['k', 'v']] },
          ],
        },
      },
      noRetry,
    );
    expect(ok.data.totalUpdatedCells).toBe(3);
    expect(ok.data.totalUpdatedSheets).toBe(2);
    const failed = await apiError(
      client.spreadsheets.values.batchUpdate(
        {
          spreadsheetId,
          requestBody: {
            valueInputOption: 'RAW',
            data: [
              { range: 'Users!B3', values: [['changed']] },
              { range: 'Nope!A1', values: [['x']] },
            ],
          },
        },
        noRetry,
      ),
    );
    expect(failed.status).toBe(400);
    expect(failed.body).toEqual({
      error: { code: 400, message: 'Unable to parse range: Nope!A1', status: 'INVALID_ARGUMENT' },
    });
    expect(emulator.values(spreadsheetId, 'Users!B3')).toEqual([['Grace']]);
  });

  it('rejects writes outside the requested range or the grid, and a missing valueInputOption', async () => {
    const outside = await apiError(
      client.spreadsheets.values.update(
        {
          spreadsheetId,
          range: 'Users!A1:B1',
          valueInputOption: 'RAW',
          requestBody: { values: [['a', 'b', 'c']] },
        },
        noRetry,
      ),
    );
    expect(outside.status).toBe(400);
    expect((outside.body as { error: { message: string } }).error.message).toContain(
      'tried writing to column',
    );
    const grid = await apiError(
      client.spreadsheets.values.update(
        { spreadsheetId, range: 'Users!A1001', valueInputOption: 'RAW', requestBody: { values: [['a']] } },
        noRetry,
      ),
    );
    expect((grid.body as { error: { message: string } }).error.message).toContain('exceeds grid limits');
    const option = await apiError(
      client.spreadsheets.values.update(
        { spreadsheetId, range: 'Users!A1', requestBody: { values: [['a']] } },
        noRetry,
      ),
    );
    expect((option.body as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
    const missing = await apiError(client.spreadsheets.get({ spreadsheetId: 'nope' }, noRetry));
    expect(missing.body).toEqual({
      error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
    });
  });

  it('applies spreadsheets.batchUpdate atomically: addSheet, dimensions, ranges, metadata', async () => {
    const { data } = await client.spreadsheets.batchUpdate(
      {
        spreadsheetId,
        requestBody: {
          requests: [
            {
              addSheet: { properties: { title: 'Orders', gridProperties: { rowCount: 10, columnCount: 5 } } },
            },
            {
              createDeveloperMetadata: {
                developerMetadata: {
                  metadataKey: 'row',
                  metadataValue: 'grace',
                  visibility: 'DOCUMENT',
                  location: { dimensionRange: { sheetId: 0, dimension: 'ROWS', startIndex: 2, endIndex: 3 } },
                },
              },
            },
            { deleteDimension: { range: { sheetId: 0, dimension: 'ROWS', startIndex: 1, endIndex: 2 } } },
          ],
        },
      },
      noRetry,
    );
    expect(data.replies?.[0]?.addSheet?.properties?.title).toBe('Orders');
    expect(emulator.values(spreadsheetId, 'Users')).toEqual([
      ['id', 'name', 'age'],
      [2, 'Grace', 45],
    ]);
    // The metadata moved up with Grace's row.
    const search = await client.spreadsheets.developerMetadata.search(
      { spreadsheetId, requestBody: { dataFilters: [{ developerMetadataLookup: { metadataKey: 'row' } }] } },
      noRetry,
    );
    expect(search.data.matchedDeveloperMetadata?.[0]?.developerMetadata?.location?.dimensionRange).toEqual({
      sheetId: 0,
      dimension: 'ROWS',
      startIndex: 1,
      endIndex: 2,
    });
    const byFilter = await client.spreadsheets.values.batchGetByDataFilter(
      {
        spreadsheetId,
        requestBody: {
          dataFilters: [{ developerMetadataLookup: { metadataKey: 'row', metadataValue: 'grace' } }],
          valueRenderOption: 'UNFORMATTED_VALUE',
        },
      },
      noRetry,
    );
    expect(byFilter.data.valueRanges?.[0]?.valueRange?.values).toEqual([[2, 'Grace', 45]]);
    await client.spreadsheets.values.batchUpdateByDataFilter(
      {
        spreadsheetId,
        requestBody: {
          valueInputOption: 'RAW',
          data: [
            {
              dataFilter: { developerMetadataLookup: { metadataValue: 'grace' } },
              values: [[2, 'Grace H.', null]],
            },
          ],
        },
      },
      noRetry,
    );
    expect(emulator.values(spreadsheetId, 'Users!A2:C2')).toEqual([[2, 'Grace H.', 45]]);

    const failed = await apiError(
      client.spreadsheets.batchUpdate(
        {
          spreadsheetId,
          requestBody: {
            requests: [
              { deleteDimension: { range: { sheetId: 0, dimension: 'ROWS', startIndex: 1, endIndex: 2 } } },
              { addSheet: { properties: { title: 'Orders' } } },
            ],
          },
        },
        noRetry,
      ),
    );
    expect(failed.status).toBe(400);
    expect(emulator.values(spreadsheetId, 'Users')).toHaveLength(2);
  });

  it('deletes a range shifting cells up', async () => {
    await client.spreadsheets.batchUpdate(
      {
        spreadsheetId,
        requestBody: {
          requests: [
            {
              deleteRange: {
                range: {
                  sheetId: 0,
                  startRowIndex: 1,
                  endRowIndex: 2,
                  startColumnIndex: 1,
                  endColumnIndex: 2,
                },
                shiftDimension: 'ROWS',
              },
            },
          ],
        },
      },
      noRetry,
    );
    expect(emulator.values(spreadsheetId, 'Users')).toEqual([
      ['id', 'name', 'age'],
      [1, 'Grace', 36],
      [2, '', 45],
    ]);
  });

  it('injects 429 with Retry-After, 500 and slow responses, and counts requests per method', async () => {
    emulator.resetCounts();
    emulator.faults.inject({ status: 429, retryAfterSeconds: 7, methods: ['values.get'] });
    const quota = await apiError(client.spreadsheets.values.get({ spreadsheetId, range: 'Users' }, noRetry));
    expect(quota.status).toBe(429);
    expect(quota.retryAfter).toBe('7');
    expect((quota.body as { error: { status: string } }).error.status).toBe('RESOURCE_EXHAUSTED');
    emulator.faults.inject({ status: 500 });
    expect((await apiError(client.spreadsheets.get({ spreadsheetId }, noRetry))).body).toEqual({
      error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' },
    });
    emulator.faults.inject({ delayMs: 300 });
    const started = performance.now();
    await client.spreadsheets.get({ spreadsheetId }, noRetry);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(emulator.requestCounts()).toEqual({ 'values.get': 1, 'spreadsheets.get': 2 });
  });

  it('enforces switchable per-window quotas for reads and writes separately', async () => {
    emulator.resetCounts();
    emulator.faults.setQuota({ reads: 2, writes: 1, windowMs: 400 });
    await client.spreadsheets.get({ spreadsheetId }, noRetry);
    await client.spreadsheets.get({ spreadsheetId }, noRetry);
    expect((await apiError(client.spreadsheets.get({ spreadsheetId }, noRetry))).status).toBe(429);
    await client.spreadsheets.values.clear({ spreadsheetId, range: 'Users!C1' }, noRetry);
    expect(
      (await apiError(client.spreadsheets.values.clear({ spreadsheetId, range: 'Users!C1' }, noRetry)))
        .status,
    ).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 420));
    await client.spreadsheets.get({ spreadsheetId }, noRetry);
    expect(emulator.faults.throttled).toBe(2);
    expect(emulator.faults.maxInWindow('read', 400)).toBe(2);
    emulator.faults.setQuota(undefined);
    for (let i = 0; i < 5; i += 1) await client.spreadsheets.get({ spreadsheetId }, noRetry);
  });
});
