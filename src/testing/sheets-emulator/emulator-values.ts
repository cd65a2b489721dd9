import { EmulatorApiError } from './emulator-error.js';
import {
  assertInGrid,
  type CellValue,
  type EmulatedSheet,
  type GridRange,
  gridToA1,
  readValues,
  setCell,
  type ValueRenderOption,
} from './emulator-store.js';

/** How written values are interpreted: as given, or as if typed into the UI. */
export type ValueInputOption = 'RAW' | 'USER_ENTERED';

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Interprets one written value; `null` means "leave the cell as it is". */
export function inputValue(value: unknown, option: ValueInputOption): CellValue | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = String(value);
  if (option === 'RAW') return text;
  if (text.startsWith("'")) return text.slice(1);
  if (NUMBER.test(text.trim())) return Number(text.trim());
  if (/^(true|false)$/i.test(text.trim())) return text.trim().toUpperCase() === 'TRUE';
  return text;
}

/** Checks a valueInputOption query/body value the way Google does. */
export function parseInputOption(value: unknown): ValueInputOption {
  if (value === undefined || value === null || value === '') {
    throw new EmulatorApiError(400, "'valueInputOption' is required but not specified");
  }
  if (value !== 'RAW' && value !== 'USER_ENTERED') {
    throw new EmulatorApiError(
      400,
      `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "${String(value)}"`,
    );
  }
  return value;
}

/** Checks a valueRenderOption (defaults to FORMATTED_VALUE). */
export function parseRenderOption(value: unknown): ValueRenderOption {
  if (value === undefined || value === null || value === '') return 'FORMATTED_VALUE';
  if (value === 'FORMATTED_VALUE' || value === 'UNFORMATTED_VALUE' || value === 'FORMULA') return value;
  throw new EmulatorApiError(400, `Invalid value at 'value_render_option', "${String(value)}"`);
}

/** Checks a majorDimension (defaults to ROWS). */
export function parseMajorDimension(value: unknown): 'ROWS' | 'COLUMNS' {
  if (value === undefined || value === null || value === '' || value === 'DIMENSION_UNSPECIFIED')
    return 'ROWS';
  if (value === 'ROWS' || value === 'COLUMNS') return value;
  throw new EmulatorApiError(400, `Invalid value at 'major_dimension', "${String(value)}"`);
}

/** A ValueRange as the API returns it. */
export function valueRange(
  sheet: EmulatedSheet,
  grid: GridRange,
  majorDimension: 'ROWS' | 'COLUMNS',
  render: ValueRenderOption,
): { range: string; majorDimension: string; values?: CellValue[][] } {
  const values = readValues(sheet, grid, majorDimension, render);
  return { range: gridToA1(sheet, grid), majorDimension, ...(values ? { values } : {}) };
}

/** The UpdateValuesResponse fields of one write. */
export interface WriteResult {
  updatedRange: string;
  updatedRows: number;
  updatedColumns: number;
  updatedCells: number;
}

/**
 * Writes a 2-D array into a grid range, starting at its top-left corner. Values must fit
 * the range (Google's "tried writing to row/column" error otherwise) and the sheet.
 */
export function writeValues(
  sheet: EmulatedSheet,
  grid: GridRange,
  rangeText: string,
  values: unknown,
  majorDimension: 'ROWS' | 'COLUMNS',
  option: ValueInputOption,
): WriteResult {
  if (!Array.isArray(values)) {
    throw new EmulatorApiError(400, "Invalid JSON payload received. 'values' must be a list of lists.");
  }
  let height = 0;
  let width = 0;
  let cells = 0;
  const rows = values as unknown[];
  for (let o = 0; o < rows.length; o += 1) {
    const line = rows[o];
    if (!Array.isArray(line)) {
      throw new EmulatorApiError(400, `Invalid values[${o}]: expected a list of values.`);
    }
    for (let i = 0; i < line.length; i += 1) {
      const r = majorDimension === 'ROWS' ? o : i;
      const c = majorDimension === 'ROWS' ? i : o;
      height = Math.max(height, r + 1);
      width = Math.max(width, c + 1);
    }
  }
  const target = {
    ...grid,
    endRowIndex: grid.startRowIndex + height,
    endColumnIndex: grid.startColumnIndex + width,
  };
  if (target.endRowIndex > grid.endRowIndex) {
    throw new EmulatorApiError(
      400,
      `Requested writing within range [${rangeText}], but tried writing to row [${target.endRowIndex}]`,
    );
  }
  if (target.endColumnIndex > grid.endColumnIndex) {
    throw new EmulatorApiError(
      400,
      `Requested writing within range [${rangeText}], but tried writing to column [${target.endColumnIndex}]`,
    );
  }
  assertInGrid(sheet, target, rangeText);
  for (let o = 0; o < rows.length; o += 1) {
    const line = rows[o] as unknown[];
    for (let i = 0; i < line.length; i += 1) {
      const value = inputValue(line[i], option);
      if (value === null) continue;
      const r = grid.startRowIndex + (majorDimension === 'ROWS' ? o : i);
      const c = grid.startColumnIndex + (majorDimension === 'ROWS' ? i : o);
      setCell(sheet, r, c, value);
      cells += 1;
    }
  }
  const written = height > 0 && width > 0;
  return {
    updatedRange: written ? gridToA1(sheet, target) : gridToA1(sheet, grid),
    updatedRows: height,
    updatedColumns: width,
    updatedCells: cells,
  };
}

/** Empties every cell of a grid range. */
export function clearValues(sheet: EmulatedSheet, grid: GridRange): void {
  const endRow = Math.min(grid.endRowIndex, sheet.rowCount);
  for (let r = grid.startRowIndex; r < endRow; r += 1) {
    const cells = sheet.rows[r];
    if (!cells) continue;
    for (let c = grid.startColumnIndex; c < Math.min(grid.endColumnIndex, cells.length); c += 1)
      cells[c] = null;
  }
}
