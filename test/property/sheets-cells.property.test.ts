/**
 * Hostile text in Sheets cells: what a user types into a field must come back as typed,
 * and must never reach the sheet as a formula (`=IMPORTXML(…)`, `+cmd|…`, `@SUM(…)`), which
 * Google would evaluate for everyone who opens the spreadsheet.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCell, encodeCell, encodeRaw } from '../../src/backends/sheets/cell-codec.js';
import { RepositoryError } from '../../src/errors.js';
import { BaseRepository } from '../../src/repository/base-repository.js';
import { type SheetsEmulator, startSheetsEmulator } from '../../src/testing/index.js';
import { emulatorClient, Person, type PersonType, peopleBackend } from '../support/sheets.js';
import { RUNS } from './hostile.js';

/** Text that spreadsheets treat specially, or that breaks naive encoders. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom(
        '=',
        '+',
        '-',
        '@',
        '\t',
        '\r',
        "'",
        '=cmd|',
        '=HYPERLINK(',
        '=IMPORTXML(',
        '{=',
        '\u0000',
      ),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    )
    .map(([prefix, rest]) => prefix + rest),
  fc.constantFrom(
    'TRUE',
    'false',
    '1e3',
    '0x10',
    '  12  ',
    'NaN',
    '#REF!',
    '2024-01-01',
    '=1+1',
    '@SUM(A1:A2)',
  ),
);

describe('Sheets cells under hostile text', () => {
  it(`${RUNS} hostile strings encode as plain string values, never formulas, and decode back unchanged`, () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const cell = encodeCell(text, 'string');
        expect(cell).toEqual(
          text === ''
            ? { userEnteredValue: { stringValue: '' } }
            : { userEnteredValue: { stringValue: text } },
        );
        expect(JSON.stringify(cell)).not.toContain('formulaValue');
        const raw = encodeRaw(text, 'string');
        expect(raw).toBe(text);
        if (text !== '') expect(decodeCell(raw, 'string')).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  describe('through the backend and the emulator over HTTP', () => {
    let emulator: SheetsEmulator;
    beforeAll(async () => {
      emulator = await startSheetsEmulator();
    });
    afterAll(async () => {
      await emulator.close();
    });

    it('hostile names round-trip through create and getById, or fail with a typed error', async () => {
      const spreadsheetId = emulator.createSpreadsheet({ sheets: ['People'] });
      const client = emulatorClient(emulator.rootUrl);
      const backend = peopleBackend(emulator.rootUrl, spreadsheetId);
      const people = new BaseRepository({ entity: Person, backend });
      let stored = 0;
      try {
        await fc.assert(
          fc.asyncProperty(hostileText, async (name) => {
            let created: PersonType;
            try {
              created = await people.create({ name, age: null, active: true, joined: new Date(0) });
            } catch (error) {
              expect(error).toBeInstanceOf(RepositoryError);
              return;
            }
            stored++;
            expect(created.name).toBe(name);
            const read = await people.getById(created.id);
            expect(read?.name).toBe(name);
          }),
          { numRuns: 150 },
        );
        // Every stored name is a plain string in the sheet, exactly as typed (FORMULA shows formulas as text).
        const { data } = await client.spreadsheets.values.get({
          spreadsheetId,
          range: "'People'",
          valueRenderOption: 'FORMULA',
        });
        const header = data.values![0]!;
        const nameColumn = header.indexOf('name');
        const names = data.values!.slice(1).map((row) => row[nameColumn]);
        expect(names).toHaveLength(stored);
        for (const name of names) expect(typeof name).toBe('string');
      } finally {
        await backend.close();
      }
    });
  });
});
