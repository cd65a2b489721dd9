import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quoteTitle } from '../../src/backends/sheets/column-letters.js';
import { A1ParseError, formatA1, parseA1 } from '../../src/testing/sheets-emulator/a1-range.js';
import { RUNS } from './hostile.js';

const MAX_ROWS = 10_000_000;
const MAX_COLUMNS = 18_278;

/** Text built from the pieces of A1 notation, so most cases get deep into the parser. */
const a1ish = fc.oneof(
  fc.string(),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          "'",
          "''",
          '!',
          ':',
          '$',
          'A',
          'Z',
          'AA',
          'ZZZ',
          'ZZZZ',
          '1',
          '0',
          '10000001',
          ' ',
          'Sheet1',
        ),
        fc.nat({ max: 20_000_000 }).map(String),
        fc.string({ maxLength: 3 }),
      ),
      { maxLength: 10 },
    )
    .map((parts) => parts.join('')),
);

const title = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.constantFrom('A1', 'R1C1', "It's", "'", "''", '!', 'Sheet1!A1', 'a:b', 'A', 'ZZZ9', '1'),
);

const bounded = fc
  .tuple(
    fc.nat({ max: MAX_ROWS - 1 }),
    fc.nat({ max: 1_000 }),
    fc.nat({ max: MAX_COLUMNS - 1 }),
    fc.nat({ max: 100 }),
  )
  .map(([startRow, rows, startColumn, columns]) => ({
    startRow,
    endRow: Math.min(MAX_ROWS, startRow + 1 + rows),
    startColumn,
    endColumn: Math.min(MAX_COLUMNS, startColumn + 1 + columns),
  }));

describe("the Sheets emulator's A1 parser under hostile ranges (fast-check)", () => {
  it(`${RUNS} arbitrary texts parse to a sane range or fail with A1ParseError`, () => {
    fc.assert(
      fc.property(a1ish, (text) => {
        let range: ReturnType<typeof parseA1>;
        try {
          range = parseA1(text);
        } catch (error) {
          expect(error).toBeInstanceOf(A1ParseError);
          return;
        }
        if (range.sheet !== undefined) expect(range.sheet.length).toBeGreaterThan(0);
        for (const [start, end, max] of [
          [range.startRow, range.endRow, MAX_ROWS],
          [range.startColumn, range.endColumn, MAX_COLUMNS],
        ] as const) {
          if (start !== undefined) expect(Number.isInteger(start) && start >= 0 && start < max).toBe(true);
          if (end !== undefined) expect(Number.isInteger(end) && end > 0 && end <= max).toBe(true);
          if (start !== undefined && end !== undefined) expect(end).toBeGreaterThan(start);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} formatted ranges with hostile sheet titles parse back to the same title and cells`, () => {
    fc.assert(
      fc.property(title, bounded, (name, range) => {
        expect(parseA1(formatA1(name, range))).toEqual({ sheet: name, ...range });
        // The backend's own quoting: a title can never spill into the cell part.
        expect(parseA1(`${quoteTitle(name)}!A1:B2`)).toEqual({
          sheet: name,
          startRow: 0,
          endRow: 2,
          startColumn: 0,
          endColumn: 2,
        });
        expect(parseA1(quoteTitle(name))).toEqual({ sheet: name });
      }),
      { numRuns: RUNS },
    );
  });
});
