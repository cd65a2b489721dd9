import { sheetProperties } from './emulator-batch-update.js';
import { EmulatorApiError } from './emulator-error.js';
import { type CellValue, type EmulatedSheet, type EmulatedSpreadsheet, resolveA1 } from './emulator-store.js';

type Json = Record<string, unknown>;

/** A cell as `GridData` carries it: what was entered and what it evaluates to (the same here: no formulas). */
function cellData(value: CellValue | null | undefined): Json {
  if (value === null || value === undefined || value === '') return {};
  const typed =
    typeof value === 'number'
      ? { numberValue: value }
      : typeof value === 'boolean'
        ? { boolValue: value }
        : { stringValue: value };
  return { userEnteredValue: typed, effectiveValue: typed };
}

/**
 * The `updatedSpreadsheet` of a `spreadsheets.batchUpdate` asked for with
 * `includeSpreadsheetInResponse`: the sheets named by `responseRanges` (every sheet when
 * none), with their grid data when `responseIncludeGridData` is set. Like the API, rows
 * after the last one holding a value are left out and empty cells are `{}`.
 *
 * @example
 * ```ts
 * updatedSpreadsheet(book, ["'Users'"], true); // { spreadsheetId, sheets: [{ properties, data: [{ rowData }] }] }
 * ```
 */
export function updatedSpreadsheet(
  book: EmulatedSpreadsheet,
  responseRanges: unknown,
  withGridData: boolean,
): Json {
  if (responseRanges !== undefined && !Array.isArray(responseRanges)) {
    throw new EmulatorApiError(400, 'Invalid value at responseRanges: expected a list of A1 ranges');
  }
  const ranges = (responseRanges as unknown[] | undefined) ?? [];
  const wanted = new Map<EmulatedSheet, Json[]>();
  if (ranges.length === 0) for (const sheet of book.sheets) wanted.set(sheet, []);
  for (const text of ranges) {
    if (typeof text !== 'string')
      throw new EmulatorApiError(400, 'Invalid value at responseRanges: expected strings');
    const { sheet, grid } = resolveA1(book, text);
    const data = wanted.get(sheet) ?? [];
    wanted.set(sheet, data);
    const rowData: Json[] = [];
    const endRow = Math.min(grid.endRowIndex, sheet.rowCount);
    const endColumn = Math.min(grid.endColumnIndex, sheet.columnCount);
    for (let r = grid.startRowIndex; r < endRow; r += 1) {
      const cells: Json[] = [];
      for (let c = grid.startColumnIndex; c < endColumn; c += 1) cells.push(cellData(sheet.rows[r]?.[c]));
      while (cells.length > 0 && Object.keys(cells[cells.length - 1]!).length === 0) cells.pop();
      rowData.push(cells.length > 0 ? { values: cells } : {});
    }
    while (rowData.length > 0 && rowData[rowData.length - 1]!.values === undefined) rowData.pop();
    data.push({ startRow: grid.startRowIndex, startColumn: grid.startColumnIndex, rowData });
  }
  return {
    spreadsheetId: book.spreadsheetId,
    sheets: [...wanted].map(([sheet, data]) => ({
      properties: sheetProperties(sheet),
      ...(withGridData ? { data } : {}),
    })),
  };
}
