import { A1ParseError, type A1Range, formatA1, parseA1 } from './a1-range.js';
import { EmulatorApiError } from './emulator-error.js';

/**
 * What a cell holds: Google's three scalar kinds. Formulas are kept as their text.
 *
 * @example
 * ```ts
 * const row: CellValue[] = [1, 'Ada', true];
 * ```
 */
export type CellValue = string | number | boolean;

/** A zero-based, end-exclusive grid range on one sheet, as the API's GridRange. */
export interface GridRange {
  sheetId: number;
  startRowIndex: number;
  endRowIndex: number;
  startColumnIndex: number;
  endColumnIndex: number;
}

/** Where developer metadata is attached. */
export interface MetadataLocation {
  locationType: 'ROW' | 'COLUMN' | 'SHEET' | 'SPREADSHEET';
  sheetId?: number;
  spreadsheet?: boolean;
  dimensionRange?: { sheetId: number; dimension: 'ROWS' | 'COLUMNS'; startIndex: number; endIndex: number };
}

/** One piece of developer metadata, as the API returns it. */
export interface DeveloperMetadata {
  metadataId: number;
  metadataKey: string;
  metadataValue?: string;
  visibility: string;
  location: MetadataLocation;
}

/** One tab of an emulated spreadsheet. */
export interface EmulatedSheet {
  sheetId: number;
  title: string;
  index: number;
  rowCount: number;
  columnCount: number;
  /** Cells by row then column; missing entries are empty. */
  rows: (CellValue | null | undefined)[][];
}

/** One emulated spreadsheet. */
export interface EmulatedSpreadsheet {
  spreadsheetId: string;
  title: string;
  sheets: EmulatedSheet[];
  metadata: DeveloperMetadata[];
  nextSheetId: number;
  nextMetadataId: number;
}

/** Default grid of a new sheet, as Google creates it. */
export const DEFAULT_ROWS = 1000;
export const DEFAULT_COLUMNS = 26;

/**
 * Creates an empty spreadsheet with the given tab titles.
 *
 * @example
 * ```ts
 * const book = newSpreadsheet('id1', 'Book', ['Users']);
 * ```
 */
export function newSpreadsheet(
  spreadsheetId: string,
  title: string,
  tabs: readonly string[],
): EmulatedSpreadsheet {
  const book: EmulatedSpreadsheet = {
    spreadsheetId,
    title,
    sheets: [],
    metadata: [],
    nextSheetId: 0,
    nextMetadataId: 1,
  };
  for (const tab of tabs.length > 0 ? tabs : ['Sheet1']) addSheet(book, { title: tab });
  return book;
}

/**
 * Adds a tab; Google's duplicate-title rule applies.
 *
 * @example
 * ```ts
 * addSheet(book, { title: 'Orders', rowCount: 100 });
 * ```
 */
export function addSheet(
  book: EmulatedSpreadsheet,
  props: { title?: string; sheetId?: number; index?: number; rowCount?: number; columnCount?: number },
): EmulatedSheet {
  const title = props.title ?? `Sheet${book.sheets.length + 1}`;
  if (book.sheets.some((sheet) => sheet.title.toLowerCase() === title.toLowerCase())) {
    throw new EmulatorApiError(
      400,
      `Invalid requests[0].addSheet: A sheet with the name "${title}" already exists. Please enter another name.`,
    );
  }
  const sheetId = props.sheetId ?? book.nextSheetId;
  if (book.sheets.some((sheet) => sheet.sheetId === sheetId)) {
    throw new EmulatorApiError(400, `Invalid requests[0].addSheet: Sheet with id ${sheetId} already exists.`);
  }
  book.nextSheetId = Math.max(book.nextSheetId, sheetId) + 1;
  const sheet: EmulatedSheet = {
    sheetId,
    title,
    index: 0,
    rowCount: props.rowCount ?? DEFAULT_ROWS,
    columnCount: props.columnCount ?? DEFAULT_COLUMNS,
    rows: [],
  };
  const at = Math.min(props.index ?? book.sheets.length, book.sheets.length);
  book.sheets.splice(at, 0, sheet);
  book.sheets.forEach((s, i) => {
    s.index = i;
  });
  return sheet;
}

/** The tab with this id, or a 400 as Google sends it. */
export function sheetById(book: EmulatedSpreadsheet, sheetId: number, where: string): EmulatedSheet {
  const sheet = book.sheets.find((s) => s.sheetId === sheetId);
  if (!sheet) throw new EmulatorApiError(400, `Invalid ${where}: No grid with id: ${sheetId}`);
  return sheet;
}

/**
 * Resolves an A1 range against a spreadsheet: the sheet it names (or the first), and the
 * grid bounds with open sides clamped to the sheet's size.
 *
 * @example
 * ```ts
 * const { sheet, grid } = resolveA1(book, 'Users!A2:C');
 * ```
 */
export function resolveA1(
  book: EmulatedSpreadsheet,
  text: string,
): { sheet: EmulatedSheet; grid: GridRange } {
  let parsed: A1Range;
  try {
    parsed = parseA1(text);
  } catch (error) {
    if (error instanceof A1ParseError) throw new EmulatorApiError(400, error.message);
    throw error;
  }
  const sheet =
    parsed.sheet === undefined
      ? book.sheets[0]
      : book.sheets.find((s) => s.title.toLowerCase() === parsed.sheet!.toLowerCase());
  if (!sheet) throw new EmulatorApiError(400, `Unable to parse range: ${text}`);
  const grid: GridRange = {
    sheetId: sheet.sheetId,
    startRowIndex: parsed.startRow ?? 0,
    endRowIndex: parsed.endRow ?? sheet.rowCount,
    startColumnIndex: parsed.startColumn ?? 0,
    endColumnIndex: parsed.endColumn ?? sheet.columnCount,
  };
  return { sheet, grid };
}

/** The grid range with unset sides filled in from the sheet. */
export function completeGrid(sheet: EmulatedSheet, range: Partial<GridRange>): GridRange {
  return {
    sheetId: sheet.sheetId,
    startRowIndex: range.startRowIndex ?? 0,
    endRowIndex: range.endRowIndex ?? sheet.rowCount,
    startColumnIndex: range.startColumnIndex ?? 0,
    endColumnIndex: range.endColumnIndex ?? sheet.columnCount,
  };
}

/** A1 text of a grid range, clamped to the sheet (what Google reports back). */
export function gridToA1(sheet: EmulatedSheet, grid: GridRange): string {
  return formatA1(sheet.title, {
    startRow: grid.startRowIndex,
    endRow: Math.max(grid.startRowIndex + 1, Math.min(grid.endRowIndex, sheet.rowCount)),
    startColumn: grid.startColumnIndex,
    endColumn: Math.max(grid.startColumnIndex + 1, Math.min(grid.endColumnIndex, sheet.columnCount)),
  });
}

/** Throws Google's grid-limit error when a write would fall outside the sheet. */
export function assertInGrid(sheet: EmulatedSheet, grid: GridRange, text: string): void {
  if (grid.endRowIndex > sheet.rowCount || grid.endColumnIndex > sheet.columnCount) {
    throw new EmulatorApiError(
      400,
      `Range (${text}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
    );
  }
}

/** How values are rendered on reads. */
export type ValueRenderOption = 'FORMATTED_VALUE' | 'UNFORMATTED_VALUE' | 'FORMULA';

function render(value: CellValue, option: ValueRenderOption): CellValue {
  if (option !== 'FORMATTED_VALUE') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return String(value);
}

/**
 * Reads a grid range the way the API returns it: rows (or columns) with trailing empty
 * cells and trailing empty rows trimmed; an all-empty range has no `values`.
 *
 * @example
 * ```ts
 * readValues(sheet, grid, 'ROWS', 'UNFORMATTED_VALUE'); // [['id', 'name'], [1, 'Ada']]
 * ```
 */
export function readValues(
  sheet: EmulatedSheet,
  grid: GridRange,
  majorDimension: 'ROWS' | 'COLUMNS',
  option: ValueRenderOption,
): CellValue[][] | undefined {
  const endRow = Math.min(grid.endRowIndex, sheet.rowCount);
  const endColumn = Math.min(grid.endColumnIndex, sheet.columnCount);
  const outer = majorDimension === 'ROWS' ? [grid.startRowIndex, endRow] : [grid.startColumnIndex, endColumn];
  const inner = majorDimension === 'ROWS' ? [grid.startColumnIndex, endColumn] : [grid.startRowIndex, endRow];
  const result: CellValue[][] = [];
  for (let o = outer[0]!; o < outer[1]!; o += 1) {
    const line: CellValue[] = [];
    for (let i = inner[0]!; i < inner[1]!; i += 1) {
      const cell = majorDimension === 'ROWS' ? sheet.rows[o]?.[i] : sheet.rows[i]?.[o];
      line.push(cell === null || cell === undefined ? '' : render(cell, option));
    }
    while (line.length > 0 && line[line.length - 1] === '') line.pop();
    result.push(line);
  }
  while (result.length > 0 && result[result.length - 1]!.length === 0) result.pop();
  return result.length > 0 ? result : undefined;
}

/** Whether a row holds no value in any column. */
export function isEmptyRow(sheet: EmulatedSheet, row: number): boolean {
  const cells = sheet.rows[row];
  return !cells || cells.every((cell) => cell === null || cell === undefined || cell === '');
}

/** Sets one cell; `''` clears it. */
export function setCell(sheet: EmulatedSheet, row: number, column: number, value: CellValue | null): void {
  const cells = sheet.rows[row] ?? [];
  sheet.rows[row] = cells;
  cells[column] = value === '' ? null : value;
}

/**
 * Inserts (`count` > 0) or deletes (`count` < 0) rows or columns at `start`, moving the
 * cells and the developer metadata attached to the moved rows/columns, as Google does.
 *
 * @example
 * ```ts
 * shiftDimension(book, sheet, 'ROWS', 3, -2); // delete rows 4 and 5
 * ```
 */
export function shiftDimension(
  book: EmulatedSpreadsheet,
  sheet: EmulatedSheet,
  dimension: 'ROWS' | 'COLUMNS',
  start: number,
  count: number,
): void {
  if (dimension === 'ROWS') {
    while (sheet.rows.length < start) sheet.rows.push([]);
    if (count > 0) sheet.rows.splice(start, 0, ...Array.from({ length: count }, () => []));
    else sheet.rows.splice(start, -count);
    sheet.rowCount += count;
  } else {
    for (const cells of sheet.rows) {
      if (!cells) continue;
      while (cells.length < start) cells.push(null);
      if (count > 0) cells.splice(start, 0, ...Array.from({ length: count }, () => null));
      else cells.splice(start, -count);
    }
    sheet.columnCount += count;
  }
  const end = start - Math.min(count, 0);
  book.metadata = book.metadata.filter((meta) => {
    const range = meta.location.dimensionRange;
    if (!range || range.sheetId !== sheet.sheetId || range.dimension !== dimension) return true;
    if (count < 0 && range.startIndex >= start && range.startIndex < end) return false;
    if (range.startIndex >= start) {
      range.startIndex += count;
      range.endIndex += count;
    }
    return true;
  });
}
