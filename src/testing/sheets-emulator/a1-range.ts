/**
 * Google's A1 notation: `Sheet1!A1:B2`, `'My ''quoted'' sheet'!A:A`, `Sheet1!1:2`,
 * `Sheet1!A5:A` (open-ended), `Sheet1` (the whole sheet) and `A1:B2` (the first sheet).
 * Indexes are zero-based and end-exclusive, like the API's GridRange; `undefined` means
 * unbounded on that side.
 *
 * @module
 */

/**
 * A parsed A1 range. `sheet` is the unquoted title, or undefined for "the first sheet".
 *
 * @example
 * ```ts
 * parseA1("'It''s'!B2:C"); // { sheet: "It's", startRow: 1, startColumn: 1, endColumn: 3 }
 * ```
 */
export interface A1Range {
  readonly sheet: string | undefined;
  readonly startRow?: number;
  readonly endRow?: number;
  readonly startColumn?: number;
  readonly endColumn?: number;
}

/**
 * Thrown for text that is not a range; the emulator answers it with Google's
 * `Unable to parse range` error.
 *
 * @example
 * ```ts
 * try { parseA1('Sheet1!A1:'); } catch (e) { if (e instanceof A1ParseError) console.log(e.message); }
 * ```
 */
export class A1ParseError extends Error {
  constructor(readonly text: string) {
    super(`Unable to parse range: ${text}`);
    this.name = 'A1ParseError';
  }
}

const CELL = /^\$?([A-Za-z]{0,3})\$?(\d*)$/;
const MAX_ROWS = 10_000_000;
const MAX_COLUMNS = 18_278;

/**
 * Parses an A1 range.
 *
 * @example
 * ```ts
 * parseA1('Sheet1!1:2'); // { sheet: 'Sheet1', startRow: 0, endRow: 2 }
 * parseA1('Sheet1');     // { sheet: 'Sheet1' }
 * ```
 */
export function parseA1(text: string): A1Range {
  let sheet: string | undefined;
  let cells: string | undefined;
  if (text.startsWith("'")) {
    let i = 1;
    let title = '';
    for (;;) {
      if (i >= text.length) throw new A1ParseError(text);
      const ch = text[i]!;
      if (ch === "'") {
        if (text[i + 1] === "'") {
          title += "'";
          i += 2;
          continue;
        }
        i += 1;
        break;
      }
      title += ch;
      i += 1;
    }
    sheet = title;
    if (i === text.length) cells = undefined;
    else if (text[i] === '!') cells = text.slice(i + 1);
    else throw new A1ParseError(text);
  } else {
    const bang = text.indexOf('!');
    if (bang >= 0) {
      sheet = text.slice(0, bang);
      cells = text.slice(bang + 1);
    } else if (looksLikeCells(text)) {
      cells = text;
    } else {
      sheet = text;
    }
  }
  if (sheet !== undefined && sheet.length === 0) throw new A1ParseError(text);
  if (cells === undefined) return { sheet };
  const parsed = parseCells(cells);
  if (!parsed) throw new A1ParseError(text);
  return { sheet, ...parsed };
}

function looksLikeCells(text: string): boolean {
  return parseCells(text) !== undefined;
}

interface Ref {
  readonly column?: number;
  readonly row?: number;
}

function parseRef(text: string): Ref | undefined {
  const match = CELL.exec(text);
  if (!match) return undefined;
  const [, letters = '', digits = ''] = match;
  if (!letters && !digits) return undefined;
  const ref: { column?: number; row?: number } = {};
  if (letters) {
    ref.column = columnIndex(letters);
    if (ref.column >= MAX_COLUMNS) return undefined;
  }
  if (digits) {
    const row = Number(digits);
    if (row < 1 || row > MAX_ROWS) return undefined;
    ref.row = row - 1;
  }
  return ref;
}

function parseCells(text: string): Omit<A1Range, 'sheet'> | undefined {
  const parts = text.split(':');
  if (parts.length > 2) return undefined;
  const start = parseRef(parts[0]!);
  if (!start) return undefined;
  if (parts.length === 1) {
    // A single reference must name a cell (both column and row).
    if (start.column === undefined || start.row === undefined) return undefined;
    return {
      startRow: start.row,
      endRow: start.row + 1,
      startColumn: start.column,
      endColumn: start.column + 1,
    };
  }
  const end = parseRef(parts[1]!);
  if (!end) return undefined;
  // `A:A` and `1:2` must be pure on both sides; `A5:A` leaves the end row open.
  if (start.row === undefined && start.column === undefined) return undefined;
  if (start.column !== undefined && end.column === undefined && start.row === undefined) return undefined;
  if (start.row !== undefined && start.column === undefined && end.row === undefined) return undefined;
  let startRow = start.row ?? (start.column !== undefined ? 0 : undefined);
  let endRow = end.row === undefined ? undefined : end.row + 1;
  let startColumn = start.column ?? (start.row !== undefined ? 0 : undefined);
  let endColumn = end.column === undefined ? undefined : end.column + 1;
  if (startRow !== undefined && endRow !== undefined && endRow <= startRow) {
    [startRow, endRow] = [endRow - 1, startRow + 1];
  }
  if (startColumn !== undefined && endColumn !== undefined && endColumn <= startColumn) {
    [startColumn, endColumn] = [endColumn - 1, startColumn + 1];
  }
  return { startRow, endRow, startColumn, endColumn };
}

/**
 * Zero-based column index of column letters (`A` → 0, `AA` → 26).
 *
 * @example
 * ```ts
 * columnIndex('AB'); // 27
 * ```
 */
export function columnIndex(letters: string): number {
  let value = 0;
  for (const ch of letters.toUpperCase()) value = value * 26 + (ch.charCodeAt(0) - 64);
  return value - 1;
}

import { columnLetters } from '../../backends/sheets/column-letters.js';

export { columnLetters };

/**
 * A sheet title as it appears in a range: quoted (with `'` doubled) unless it is a
 * plain identifier that cannot be mistaken for a cell.
 *
 * @example
 * ```ts
 * quoteSheetTitle("Bob's data"); // "'Bob''s data'"
 * quoteSheetTitle('Sheet1');     // 'Sheet1'
 * ```
 */
export function quoteSheetTitle(title: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !looksLikeCells(title)) return title;
  return `'${title.replaceAll("'", "''")}'`;
}

/**
 * A fully bounded A1 range (`Sheet1!A1:C3`, or `Sheet1!B2` for one cell).
 *
 * @example
 * ```ts
 * formatA1('Users', { startRow: 0, endRow: 3, startColumn: 0, endColumn: 3 }); // 'Users!A1:C3'
 * ```
 */
export function formatA1(
  title: string,
  range: { startRow: number; endRow: number; startColumn: number; endColumn: number },
): string {
  const start = `${columnLetters(range.startColumn)}${range.startRow + 1}`;
  const end = `${columnLetters(range.endColumn - 1)}${range.endRow}`;
  const cells = start === end ? start : `${start}:${end}`;
  return `${quoteSheetTitle(title)}!${cells}`;
}
