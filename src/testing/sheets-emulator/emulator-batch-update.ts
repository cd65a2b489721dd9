import { EmulatorApiError } from './emulator-error.js';
import { createMetadata, type DataFilter, deleteMetadata } from './emulator-metadata.js';
import {
  addSheet,
  type CellValue,
  completeGrid,
  type EmulatedSheet,
  type EmulatedSpreadsheet,
  type GridRange,
  setCell,
  sheetById,
  shiftDimension,
} from './emulator-store.js';

type Json = Record<string, unknown>;
type DimensionRange = {
  sheetId: number;
  dimension: 'ROWS' | 'COLUMNS';
  startIndex?: number;
  endIndex?: number;
};

/**
 * Applies the requests of one `spreadsheets.batchUpdate` to a spreadsheet, in order, and
 * returns the replies. The caller runs this on a copy and keeps it only if every request
 * succeeded, which makes the batch all-or-nothing as in Google's API.
 */
export function applyBatchUpdate(book: EmulatedSpreadsheet, requests: unknown): Json[] {
  if (!Array.isArray(requests) || requests.length === 0) {
    throw new EmulatorApiError(400, 'Must specify at least one request.');
  }
  return requests.map((request: Json, i) => {
    const kinds = Object.keys(request ?? {});
    if (kinds.length !== 1)
      throw new EmulatorApiError(400, `Invalid requests[${i}]: exactly one kind of request is required`);
    const kind = kinds[0]!;
    const where = `requests[${i}].${kind}`;
    const body = request[kind] as Json;
    const apply = HANDLERS[kind];
    if (!apply)
      throw new EmulatorApiError(400, `Invalid ${where}: the emulator does not support this request`);
    return apply(book, body ?? {}, where);
  });
}

function dimensionSheet(book: EmulatedSpreadsheet, range: DimensionRange | undefined, where: string) {
  if (!range || (range.dimension !== 'ROWS' && range.dimension !== 'COLUMNS')) {
    throw new EmulatorApiError(400, `Invalid ${where}: range.dimension must be ROWS or COLUMNS`);
  }
  const sheet = sheetById(book, range.sheetId ?? 0, where);
  const size = range.dimension === 'ROWS' ? sheet.rowCount : sheet.columnCount;
  return { sheet, size };
}

function userEntered(cell: Json | undefined): CellValue | null {
  const value = cell?.userEnteredValue as Json | undefined;
  if (!value) return '';
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.numberValue === 'number') return value.numberValue;
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (typeof value.formulaValue === 'string') return value.formulaValue;
  return '';
}

function writeCells(sheet: EmulatedSheet, start: GridRange, rows: unknown, where: string): void {
  if (!Array.isArray(rows)) return;
  rows.forEach((row: Json, r) => {
    const values = (row?.values as Json[] | undefined) ?? [];
    values.forEach((cell, c) => {
      const rowIndex = start.startRowIndex + r;
      const columnIndex = start.startColumnIndex + c;
      if (rowIndex >= start.endRowIndex || columnIndex >= start.endColumnIndex) return;
      if (rowIndex >= sheet.rowCount || columnIndex >= sheet.columnCount) {
        throw new EmulatorApiError(
          400,
          `Invalid ${where}: row ${rowIndex} / column ${columnIndex} is outside the grid (${sheet.rowCount} rows, ${sheet.columnCount} columns)`,
        );
      }
      setCell(sheet, rowIndex, columnIndex, userEntered(cell));
    });
  });
}

const HANDLERS: Record<string, (book: EmulatedSpreadsheet, body: Json, where: string) => Json> = {
  addSheet(book, body) {
    const props = (body.properties as Json | undefined) ?? {};
    const grid = (props.gridProperties as Json | undefined) ?? {};
    const sheet = addSheet(book, {
      title: props.title as string | undefined,
      sheetId: props.sheetId as number | undefined,
      index: props.index as number | undefined,
      rowCount: grid.rowCount as number | undefined,
      columnCount: grid.columnCount as number | undefined,
    });
    return { addSheet: { properties: sheetProperties(sheet) } };
  },
  deleteSheet(book, body, where) {
    const sheet = sheetById(book, body.sheetId as number, where);
    if (book.sheets.length === 1)
      throw new EmulatorApiError(400, `Invalid ${where}: You can't remove all the sheets in a document.`);
    book.sheets = book.sheets.filter((s) => s !== sheet);
    book.sheets.forEach((s, i) => {
      s.index = i;
    });
    book.metadata = book.metadata.filter(
      (meta) => (meta.location.sheetId ?? meta.location.dimensionRange?.sheetId) !== sheet.sheetId,
    );
    return {};
  },
  insertDimension(book, body, where) {
    const range = body.range as DimensionRange | undefined;
    const { sheet, size } = dimensionSheet(book, range, where);
    const start = range!.startIndex ?? 0;
    const end = range!.endIndex ?? start;
    if (start < 0 || end <= start || start > size) {
      throw new EmulatorApiError(
        400,
        `Invalid ${where}: range [${start}, ${end}) cannot be inserted into ${size} ${range!.dimension.toLowerCase()}`,
      );
    }
    shiftDimension(book, sheet, range!.dimension, start, end - start);
    return {};
  },
  appendDimension(book, body, where) {
    const dimension = body.dimension as 'ROWS' | 'COLUMNS';
    const { sheet, size } = dimensionSheet(book, { sheetId: body.sheetId as number, dimension }, where);
    const length = Number(body.length);
    if (!(length > 0)) throw new EmulatorApiError(400, `Invalid ${where}: length must be positive`);
    shiftDimension(book, sheet, dimension, size, length);
    return {};
  },
  deleteDimension(book, body, where) {
    const range = body.range as DimensionRange | undefined;
    const { sheet, size } = dimensionSheet(book, range, where);
    const start = range!.startIndex ?? 0;
    const end = range!.endIndex ?? size;
    if (start < 0 || end <= start || end > size) {
      throw new EmulatorApiError(
        400,
        `Invalid ${where}: Cannot delete ${range!.dimension.toLowerCase()} [${start}, ${end}); the sheet has ${size}.`,
      );
    }
    if (start === 0 && end === size) {
      throw new EmulatorApiError(
        400,
        `Invalid ${where}: You can't delete all the ${range!.dimension.toLowerCase()} on the sheet.`,
      );
    }
    shiftDimension(book, sheet, range!.dimension, start, start - end);
    return {};
  },
  deleteRange(book, body, where) {
    const partial = (body.range as Partial<GridRange> | undefined) ?? {};
    const sheet = sheetById(book, partial.sheetId ?? 0, where);
    const grid = completeGrid(sheet, partial);
    const shift = body.shiftDimension;
    if (shift !== 'ROWS' && shift !== 'COLUMNS')
      throw new EmulatorApiError(400, `Invalid ${where}: shiftDimension must be ROWS or COLUMNS`);
    if (shift === 'ROWS') {
      const height = grid.endRowIndex - grid.startRowIndex;
      for (let c = grid.startColumnIndex; c < grid.endColumnIndex; c += 1) {
        for (let r = grid.startRowIndex; r < sheet.rowCount; r += 1) {
          const from = sheet.rows[r + height]?.[c];
          setCell(sheet, r, c, from ?? '');
        }
      }
    } else {
      const width = grid.endColumnIndex - grid.startColumnIndex;
      for (let r = grid.startRowIndex; r < Math.min(grid.endRowIndex, sheet.rows.length); r += 1) {
        for (let c = grid.startColumnIndex; c < sheet.columnCount; c += 1) {
          setCell(sheet, r, c, sheet.rows[r]?.[c + width] ?? '');
        }
      }
    }
    return {};
  },
  updateCells(book, body, where) {
    const fields = String(body.fields ?? '');
    if (fields !== '*' && !fields.split(',').some((field) => field.trim().startsWith('userEnteredValue'))) {
      throw new EmulatorApiError(400, `Invalid ${where}: fields must include userEnteredValue`);
    }
    const startCell = body.start as { sheetId?: number; rowIndex?: number; columnIndex?: number } | undefined;
    const range = body.range as Partial<GridRange> | undefined;
    const sheet = sheetById(book, startCell?.sheetId ?? range?.sheetId ?? 0, where);
    const start = startCell
      ? completeGrid(sheet, {
          startRowIndex: startCell.rowIndex ?? 0,
          startColumnIndex: startCell.columnIndex ?? 0,
          endRowIndex: Number.MAX_SAFE_INTEGER,
          endColumnIndex: Number.MAX_SAFE_INTEGER,
        })
      : completeGrid(sheet, range ?? {});
    writeCells(sheet, start, body.rows, where);
    return {};
  },
  createDeveloperMetadata(book, body, where) {
    const developerMetadata = createMetadata(book, body.developerMetadata as never, where);
    return { createDeveloperMetadata: { developerMetadata } };
  },
  deleteDeveloperMetadata(book, body, where) {
    const deletedDeveloperMetadata = deleteMetadata(book, body.dataFilter as DataFilter, where);
    return { deleteDeveloperMetadata: { deletedDeveloperMetadata } };
  },
};

/** A sheet's properties as the API returns them. */
export function sheetProperties(sheet: EmulatedSheet): Json {
  return {
    sheetId: sheet.sheetId,
    title: sheet.title,
    index: sheet.index,
    sheetType: 'GRID',
    gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
  };
}
