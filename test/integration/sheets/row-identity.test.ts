import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SheetsEmulator, startSheetsEmulator } from '../../../src/testing/index.js';
import { peopleBackend } from '../../support/sheets.js';

let emulator: SheetsEmulator;

beforeAll(async () => {
  emulator = await startSheetsEmulator({ latencyMs: 1 });
});
afterAll(async () => {
  await emulator.close();
});

const HEADER = ['id', 'name', 'age', 'active', 'joined', 'version'];
const JOINED = '2024-01-01T00:00:00.000Z';

function seedRows(count: number): (string | number | boolean)[][] {
  return [HEADER, ...Array.from({ length: count }, (_, i) => [i + 1, `p${i + 1}`, 0, true, JOINED, 1])];
}

function backendFor(spreadsheetId: string) {
  return peopleBackend(emulator.rootUrl, spreadsheetId);
}

/** Every data row of the tab as id → [name, age], and a check that no id appears twice. */
function rowsById(spreadsheetId: string): Map<number, [string, number]> {
  const rows = emulator.values(spreadsheetId, 'People').slice(1);
  const byId = new Map<number, [string, number]>();
  for (const row of rows) {
    if (row.length === 0 || row.every((cell) => cell === '')) continue;
    const id = row[0] as number;
    expect(byId.has(id), `id ${id} appears twice`).toBe(false);
    byId.set(id, [row[1] as string, row[2] as number]);
  }
  return byId;
}

describe('stable row identity', () => {
  it('an update lands on its own row when a row above is deleted between its read and its write', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: [{ title: 'People', rows: seedRows(5) }] });
    const backend = backendFor(spreadsheetId);
    await backend.update(4, { age: 1 }, {}); // anchors row 4 (it was typed in, not created through reposit)
    emulator.faults.inject({ delayMs: 150, methods: ['values.batchUpdateByDataFilter'] });
    const write = backend.update(4, { age: 99 }, {});
    await new Promise((resolve) => setTimeout(resolve, 60));
    emulator.deleteRows(spreadsheetId, 'People', 1, 2); // a person deletes p1 and p2 meanwhile
    await write;
    const rows = rowsById(spreadsheetId);
    expect([...rows.keys()]).toEqual([3, 4, 5]);
    expect(rows.get(4)).toEqual(['p4', 99]);
    expect(rows.get(5)).toEqual(['p5', 0]); // the row that moved into row 4's old place is untouched
    await backend.close();
  });

  it('a delete empties its own row when rows are inserted above it meanwhile', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: [{ title: 'People', rows: seedRows(4) }] });
    const backend = backendFor(spreadsheetId);
    await backend.update(3, { age: 1 }, {});
    emulator.faults.inject({ delayMs: 150, methods: ['values.batchUpdateByDataFilter'] });
    const removal = backend.delete(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    emulator.insertRows(spreadsheetId, 'People', 1, 3);
    emulator.setValues(spreadsheetId, 'People!A2:F2', [[100, 'typed', 5, true, JOINED, 1]]);
    expect(await removal).toBe(true);
    const rows = rowsById(spreadsheetId);
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual([1, 2, 4, 100]);
    expect(rows.get(4)).toEqual(['p4', 0]);
    expect(await backend.findByIds([3])).toEqual([]);
    await backend.close();
  });

  it('re-anchors when a row moves while its first anchor is being placed', async () => {
    const spreadsheetId = emulator.createSpreadsheet({ sheets: [{ title: 'People', rows: seedRows(6) }] });
    const backend = backendFor(spreadsheetId);
    // The first batchUpdate is the anchor placement for row 5 (typed in, no anchor yet).
    emulator.faults.inject({ delayMs: 150, methods: ['spreadsheets.batchUpdate'] });
    const write = backend.update(5, { age: 55 }, {});
    await new Promise((resolve) => setTimeout(resolve, 60));
    emulator.deleteRows(spreadsheetId, 'People', 2, 1); // p2 goes; p6 moves into p5's old row
    await write;
    const rows = rowsById(spreadsheetId);
    expect(rows.get(5)).toEqual(['p5', 55]);
    expect(rows.get(6)).toEqual(['p6', 0]);
    expect(rows.has(2)).toBe(false);
    expect(emulator.requestCounts()['values.batchGetByDataFilter']).toBeGreaterThanOrEqual(2);
    await backend.close();
  });

  it('a running writer never corrupts another row while rows are deleted and inserted under it', async () => {
    const total = 40;
    const spreadsheetId = emulator.createSpreadsheet({
      sheets: [{ title: 'People', rows: seedRows(total) }],
    });
    const backend = backendFor(spreadsheetId);
    const writerIds = Array.from({ length: total }, (_, i) => i + 1).filter((id) => id % 4 !== 0);
    const doomed = Array.from({ length: total }, (_, i) => i + 1).filter((id) => id % 4 === 0);
    const expected = new Map<number, number>();
    let stop = false;

    const writer = (async () => {
      for (let round = 1; round <= 12; round += 1) {
        const batch = writerIds.filter((id) => (id + round) % 3 === 0);
        await Promise.all(batch.map((id) => backend.update(id, { age: round * 1000 + id }, {})));
        for (const id of batch) expected.set(id, round * 1000 + id);
        // Creates during the churn land as whole rows too.
        await backend.insertMany([
          { id: 1000 + round, name: `new${round}`, age: round, active: true, joined: new Date(JOINED) },
        ]);
      }
      stop = true;
    })();

    const person = (async () => {
      let next = 0;
      let seen = emulator.totalRequests();
      while (!stop) {
        // Far faster than a person: a change after every request the writer sends, so
        // rows move between every read and the write that follows it, on any machine.
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (emulator.totalRequests() === seen) continue;
        seen = emulator.totalRequests();
        const values = emulator.values(spreadsheetId, 'People');
        const victim = doomed[next];
        if (victim !== undefined) {
          const index = values.findIndex((row) => row[0] === victim);
          if (index > 0) emulator.deleteRows(spreadsheetId, 'People', index, 1);
          next += 1;
        }
        const at = 1 + Math.floor(Math.random() * Math.max(1, values.length - 1));
        emulator.insertRows(spreadsheetId, 'People', at, 1);
      }
    })();

    await Promise.all([writer, person]);
    const rows = rowsById(spreadsheetId);
    for (const id of writerIds) {
      expect(rows.get(id), `row of id ${id}`).toEqual([`p${id}`, expected.get(id) ?? 0]);
    }
    for (let round = 1; round <= 12; round += 1)
      expect(rows.get(1000 + round)).toEqual([`new${round}`, round]);
    const found = await backend.find({ where: undefined, orderBy: [{ field: 'id', direction: 'asc' }] });
    expect(found.filter((p) => writerIds.includes(p.id)).map((p) => p.age)).toEqual(
      writerIds.map((id) => expected.get(id) ?? 0),
    );
    await backend.close();
  });
});
