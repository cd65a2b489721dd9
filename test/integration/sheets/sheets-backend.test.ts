import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SheetsBackendOptions } from '../../../src/backends/sheets/index.js';
import {
  ConflictError,
  DuplicateError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from '../../../src/errors.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { type PersonType, peopleBackend } from '../../support/sheets.js';

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

describe('SheetsBackend', () => {
  it('writes the header into an empty tab, inserts typed rows and reads them back', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const backend = backendFor(spreadsheetId);
    const created = await backend.insertMany([
      { name: 'Ada', age: 36, active: true, joined },
      { name: 'Grace', age: null, active: false, joined },
    ]);
    expect(created.map((p) => [p.id, p.version])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(emulator.values(spreadsheetId, 'People')).toEqual([
      ['id', 'name', 'age', 'active', 'joined', 'version'],
      [1, 'Ada', 36, true, '2024-03-01T10:00:00.000Z', 1],
      [2, 'Grace', '', false, '2024-03-01T10:00:00.000Z', 1],
    ]);
    const found = await backend.findByIds([2, 1, 3]);
    expect(found.sort((a, b) => a.id - b.id)).toEqual(created);
    await backend.close();
  });

  it('types cells a person typed: numbers as text, TRUE/FALSE, dates as serial numbers, empty cells', async () => {
    const spreadsheetId = emulator.createSpreadsheet({
      sheets: [
        {
          title: 'People',
          rows: [
            ['name', 'id', 'notes', 'age', 'active', 'joined', 'version'],
            ['Ada', '7', 'keep me', '', 'TRUE', 45352, 3],
          ],
        },
      ],
    });
    const backend = backendFor(spreadsheetId);
    const [ada] = await backend.findByIds([7]);
    expect(ada).toEqual({
      id: 7,
      name: 'Ada',
      age: null,
      active: true,
      joined: new Date('2024-03-01T00:00:00.000Z'),
      version: 3,
    });
    const updated = await backend.update(7, { age: 37 }, {});
    expect(updated.version).toBe(4);
    // The unknown column survives, the columns keep their order.
    expect(emulator.values(spreadsheetId, 'People!A2:G2')).toEqual([
      ['Ada', 7, 'keep me', 37, true, '2024-03-01T00:00:00.000Z', 4],
    ]);
    await backend.close();
  });

  it('rejects duplicate and blank headers and missing columns, naming them', async () => {
    const spreadsheetId = emulator.createSpreadsheet({
      sheets: [{ title: 'People', rows: [['id', 'name', 'name', '', 'age']] }],
    });
    const error = await backendFor(spreadsheetId)
      .find({ where: undefined, orderBy: [] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('header "name" appears in columns B and C');
    expect(error.message).toContain('column D has a blank header');
    expect(error.message).toContain('no column for active, joined, version');
  });

  it('reports a row that is not a valid entity with its row number', async () => {
    const spreadsheetId = emulator.createSpreadsheet({
      sheets: [
        {
          title: 'People',
          rows: [
            ['id', 'name', 'age', 'active', 'joined', 'version'],
            [1, 'Ada', 'thirty', true, '2024-01-01', 1],
          ],
        },
      ],
    });
    const error = await backendFor(spreadsheetId)
      .findByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/Row 2 of sheet "People" is not a valid person: age/);
    const skipping = backendFor(spreadsheetId, { invalidRows: 'skip' });
    expect(await skipping.findByIds([1])).toEqual([]);
  });

  it('supports a header below notes, custom column names, filters, order and paging', async () => {
    const spreadsheetId = emulator.createSpreadsheet({
      sheets: [
        {
          title: 'People',
          rows: [
            ['Staff list, do not sort'],
            [],
            ['ID', 'Full name', 'age', 'active', 'joined', 'version'],
            [1, 'Ada', 36, true, '2024-01-01T00:00:00.000Z', 1],
            [2, 'Grace', 45, false, '2024-01-01T00:00:00.000Z', 1],
            [3, 'alan', null, true, '2024-01-01T00:00:00.000Z', 1],
          ],
        },
      ],
    });
    const backend = backendFor(spreadsheetId, { headerRow: 3, columns: { id: 'ID', name: 'Full name' } });
    const adults = await backend.find({
      where: { kind: 'field', field: 'age', op: 'gte', value: 40 },
      orderBy: [{ field: 'id', direction: 'asc' }],
    });
    expect(adults.map((p) => p.name)).toEqual(['Grace']);
    const page = await backend.find({
      where: { kind: 'field', field: 'name', op: 'ilike', value: 'a%' },
      orderBy: [{ field: 'name', direction: 'desc' }],
      limit: 1,
      offset: 1,
    });
    expect(page.map((p) => p.name)).toEqual(['Ada']);
    expect(await backend.count({ kind: 'field', field: 'age', op: 'isNull', value: true })).toBe(1);
    const [created] = await backend.insertMany([{ name: 'Linus', age: 20, active: true, joined }]);
    expect(created!.id).toBe(4);
    expect(emulator.values(spreadsheetId, 'People!A7:B7')).toEqual([[4, 'Linus']]);
  });

  it('updates with optimistic versions, upserts and deletes; errors are typed', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const backend = backendFor(spreadsheetId);
    await backend.insertMany([{ id: 10, name: 'Ada', age: 36, active: true, joined }]);
    await expect(
      backend.insertMany([{ id: 10, name: 'Again', age: 1, active: true, joined }]),
    ).rejects.toBeInstanceOf(DuplicateError);
    await expect(
      backend.insertMany([
        { id: 11, name: 'A', age: 1, active: true, joined },
        { id: 11, name: 'B', age: 1, active: true, joined },
      ]),
    ).rejects.toBeInstanceOf(DuplicateError);
    expect(await backend.findByIds([11])).toEqual([]);
    const stale = await backend.update(10, { name: 'Ada L.' }, { expectedVersion: 5 }).catch((e) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect(stale.actualVersion).toBe(1);
    expect((await backend.update(10, { name: 'Ada L.' }, { expectedVersion: 1 })).version).toBe(2);
    await expect(backend.update(99, { name: 'x' }, {})).rejects.toBeInstanceOf(NotFoundError);
    const replaced = await backend.upsert({
      id: 10,
      name: 'Ada K.',
      age: 37,
      active: false,
      joined,
      version: 1,
    });
    expect(replaced).toMatchObject({ name: 'Ada K.', version: 3 });
    const fresh = await backend.upsert({ id: 12, name: 'New', age: null, active: true, joined });
    expect(fresh.version).toBe(1);
    expect(await backend.delete(10)).toBe(true);
    expect(await backend.delete(10)).toBe(false);
    expect(
      (await backend.find({ where: undefined, orderBy: [{ field: 'id', direction: 'asc' }] })).map(
        (p) => p.id,
      ),
    ).toEqual([12]);
    // Recreating a deleted id works and gets a fresh anchor.
    await backend.insertMany([{ id: 10, name: 'Back', age: 1, active: true, joined }]);
    expect((await backend.update(10, { age: 2 }, {})).age).toBe(2);
    await backend.close();
  });

  it('refuses writes in read-only mode and after close', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
    const readOnly = backendFor(spreadsheetId, { mode: 'read-only' });
    await expect(readOnly.insertMany([{ name: 'x', age: 1, active: true, joined }])).rejects.toBeInstanceOf(
      UnavailableError,
    );
    expect(await readOnly.findByIds([1])).toEqual([]);
    await readOnly.close();
    await expect(readOnly.findByIds([1])).rejects.toBeInstanceOf(UnavailableError);
  });

  it('says which tab is missing', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Other'] });
    const error = await backendFor(spreadsheetId)
      .findByIds([1])
      .catch((e) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('Sheet tab "People" does not exist');
    const write = await backendFor(spreadsheetId)
      .insertMany([{ name: 'x', age: 1, active: true, joined }])
      .catch((e) => e);
    expect(write).toBeInstanceOf(NotFoundError);
  });
});
