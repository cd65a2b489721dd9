import { sheets } from '@googleapis/sheets';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SheetsEmulator, startSheetsEmulator } from '../../src/testing/index.js';
import { runContacts } from './contacts.js';

let emulator: SheetsEmulator;
beforeAll(async () => {
  emulator = await startSheetsEmulator();
});
afterAll(async () => {
  await emulator.close();
});

it('runs the contacts example offline against the emulator', async () => {
  const id = emulator.createSpreadsheet({ sheets: ['Contacts'] });
  const lines = await runContacts(sheets({ version: 'v4', rootUrl: emulator.rootUrl }), id, 'Contacts');
  expect(lines[1]).toBe('Grace Hopper is now VIP, version 2');
  expect(lines[2]).toBe('VIPs: Ada Lovelace, Grace Hopper');
  expect(lines[3]).toBe('after deleting Ada: 1 contact(s) from this run');
  const rows = emulator.values(id, 'Contacts');
  expect(rows[0]).toEqual(['id', 'name', 'email', 'vip', 'lastCall', 'version']);
  expect(rows.filter((row) => row.length > 0)).toHaveLength(2);
});
