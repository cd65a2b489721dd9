import { describe, expect, it } from 'vitest';
import {
  A1ParseError,
  columnIndex,
  columnLetters,
  formatA1,
  parseA1,
  quoteSheetTitle,
} from '../../../src/testing/index.js';

describe('A1 notation', () => {
  it.each([
    ['Sheet1!A1:B2', { sheet: 'Sheet1', startRow: 0, endRow: 2, startColumn: 0, endColumn: 2 }],
    ['Sheet1!A:A', { sheet: 'Sheet1', startRow: 0, endRow: undefined, startColumn: 0, endColumn: 1 }],
    ['Sheet1!1:2', { sheet: 'Sheet1', startRow: 0, endRow: 2, startColumn: 0, endColumn: undefined }],
    ['Sheet1!A5:A', { sheet: 'Sheet1', startRow: 4, endRow: undefined, startColumn: 0, endColumn: 1 }],
    ['A1:B2', { sheet: undefined, startRow: 0, endRow: 2, startColumn: 0, endColumn: 2 }],
    ['Sheet1', { sheet: 'Sheet1' }],
    [
      "'My Custom Sheet'!A:A",
      { sheet: 'My Custom Sheet', startRow: 0, endRow: undefined, startColumn: 0, endColumn: 1 },
    ],
    ["'Jon''s_Data'!A1:D5", { sheet: "Jon's_Data", startRow: 0, endRow: 5, startColumn: 0, endColumn: 4 }],
    ["'A1'", { sheet: 'A1' }],
    ["'x!y'!B3", { sheet: 'x!y', startRow: 2, endRow: 3, startColumn: 1, endColumn: 2 }],
    ['S!$B$2:$C$3', { sheet: 'S', startRow: 1, endRow: 3, startColumn: 1, endColumn: 3 }],
    ['S!C3:A1', { sheet: 'S', startRow: 0, endRow: 3, startColumn: 0, endColumn: 3 }],
  ])('parses %s', (text, expected) => {
    expect(parseA1(text)).toEqual(expected);
  });

  it.each(["'unterminated!A1", 'S!A1:', 'S!', "'x'junk", 'S!A1:B2:C3', 'S!AAAA1', '!A1', 'S!A0'])(
    'rejects %s',
    (text) => {
      expect(() => parseA1(text)).toThrow(A1ParseError);
    },
  );

  it('converts column letters both ways', () => {
    for (const [letters, index] of [
      ['A', 0],
      ['Z', 25],
      ['AA', 26],
      ['AZ', 51],
      ['ZZ', 701],
      ['AAA', 702],
    ] as const) {
      expect(columnIndex(letters)).toBe(index);
      expect(columnLetters(index)).toBe(letters);
    }
  });

  it('quotes titles that need it and formats bounded ranges', () => {
    expect(quoteSheetTitle('Users')).toBe('Users');
    expect(quoteSheetTitle("Bob's data")).toBe("'Bob''s data'");
    expect(quoteSheetTitle('A1')).toBe("'A1'");
    expect(formatA1('My Tab', { startRow: 1, endRow: 4, startColumn: 0, endColumn: 3 })).toBe(
      "'My Tab'!A2:C4",
    );
    expect(formatA1('T', { startRow: 0, endRow: 1, startColumn: 2, endColumn: 3 })).toBe('T!C1');
    const title = "it's";
    expect(parseA1(`${quoteSheetTitle(title)}!A1`).sheet).toBe(title);
  });
});
