import { applyBatchUpdate, sheetProperties } from './emulator-batch-update.js';
import { EmulatorApiError } from './emulator-error.js';
import type { QuotaKind } from './emulator-faults.js';
import { updatedSpreadsheet } from './emulator-grid-data.js';
import { type DataFilter, lookupMetadata, resolveDataFilter } from './emulator-metadata.js';
import { type EmulatedSpreadsheet, gridToA1, resolveA1, shiftDimension } from './emulator-store.js';
import {
  clearValues,
  parseInputOption,
  parseMajorDimension,
  parseRenderOption,
  valueRange,
  type WriteResult,
  writeValues,
} from './emulator-values.js';

type Json = Record<string, unknown>;

/** What a handler gets: the spreadsheet (a private copy for writes) and the request. */
export interface HandlerRequest {
  readonly book: EmulatedSpreadsheet;
  readonly query: URLSearchParams;
  readonly body: Json;
  /** The decoded `{range}` path segment, for values methods that have one. */
  readonly range?: string;
  /** The `{metadataId}` path segment of developerMetadata.get. */
  readonly metadataId?: string;
}

/** One API method the emulator serves. */
export interface MethodHandler {
  /** Which per-minute quota the method counts against. */
  readonly kind: QuotaKind;
  /** Whether it changes the spreadsheet (and so runs on a copy, committed on success). */
  readonly mutates: boolean;
  handle(request: HandlerRequest): Json;
}

function totals(results: WriteResult[]): Json {
  const sheets = new Set(results.map((r) => r.updatedRange.split('!')[0]));
  return {
    totalUpdatedRows: results.reduce((n, r) => n + r.updatedRows, 0),
    totalUpdatedColumns: results.reduce((n, r) => n + r.updatedColumns, 0),
    totalUpdatedCells: results.reduce((n, r) => n + r.updatedCells, 0),
    totalUpdatedSheets: results.length === 0 ? 0 : sheets.size,
  };
}

function requireRange(range: string | undefined): string {
  if (range === undefined || range === '') throw new EmulatorApiError(400, 'Missing range');
  return range;
}

/** The methods by name, e.g. `values.append`. */
export const HANDLERS: Record<string, MethodHandler> = {
  'spreadsheets.get': {
    kind: 'read',
    mutates: false,
    handle: ({ book }) => ({
      spreadsheetId: book.spreadsheetId,
      properties: { title: book.title, locale: 'en_US', timeZone: 'Etc/GMT' },
      sheets: book.sheets.map((sheet) => ({ properties: sheetProperties(sheet) })),
      spreadsheetUrl: `http://127.0.0.1/spreadsheets/d/${book.spreadsheetId}/edit`,
    }),
  },
  'spreadsheets.batchUpdate': {
    kind: 'write',
    mutates: true,
    handle: ({ book, body }) => {
      const replies = applyBatchUpdate(book, body.requests);
      if (body.includeSpreadsheetInResponse !== true) return { spreadsheetId: book.spreadsheetId, replies };
      return {
        spreadsheetId: book.spreadsheetId,
        replies,
        updatedSpreadsheet: updatedSpreadsheet(
          book,
          body.responseRanges,
          body.responseIncludeGridData === true,
        ),
      };
    },
  },
  'values.get': {
    kind: 'read',
    mutates: false,
    handle: ({ book, query, range }) => {
      const { sheet, grid } = resolveA1(book, requireRange(range));
      return valueRange(
        sheet,
        grid,
        parseMajorDimension(query.get('majorDimension')),
        parseRenderOption(query.get('valueRenderOption')),
      );
    },
  },
  'values.batchGet': {
    kind: 'read',
    mutates: false,
    handle: ({ book, query }) => {
      const major = parseMajorDimension(query.get('majorDimension'));
      const render = parseRenderOption(query.get('valueRenderOption'));
      const valueRanges = query.getAll('ranges').map((text) => {
        const { sheet, grid } = resolveA1(book, text);
        return valueRange(sheet, grid, major, render);
      });
      return { spreadsheetId: book.spreadsheetId, valueRanges };
    },
  },
  'values.update': {
    kind: 'write',
    mutates: true,
    handle: ({ book, query, body, range }) => {
      const text = requireRange(range);
      const option = parseInputOption(query.get('valueInputOption'));
      if (typeof body.range === 'string' && body.range !== text) {
        throw new EmulatorApiError(
          400,
          `Requested writing within range [${text}], but tried writing to [${body.range}]`,
        );
      }
      const { sheet, grid } = resolveA1(book, text);
      const major = parseMajorDimension(body.majorDimension);
      const result = writeValues(sheet, grid, text, body.values ?? [], major, option);
      const updatedData =
        query.get('includeValuesInResponse') === 'true'
          ? {
              updatedData: valueRange(
                sheet,
                resolveA1(book, result.updatedRange).grid,
                major,
                parseRenderOption(query.get('responseValueRenderOption')),
              ),
            }
          : {};
      return { spreadsheetId: book.spreadsheetId, ...result, ...updatedData };
    },
  },
  'values.append': {
    kind: 'write',
    mutates: true,
    handle: ({ book, query, body, range }) => {
      const text = requireRange(range);
      const option = parseInputOption(query.get('valueInputOption'));
      const insert = query.get('insertDataOption') ?? 'OVERWRITE';
      if (insert !== 'OVERWRITE' && insert !== 'INSERT_ROWS') {
        throw new EmulatorApiError(400, `Invalid value at 'insert_data_option', "${insert}"`);
      }
      const resolved = resolveA1(book, text);
      const { sheet } = resolved;
      // The range is where the search for a "table" starts: its rows extend down to the
      // end of the sheet (and a single cell's columns to the right); the new rows go right
      // after the table's last row.
      const single =
        resolved.grid.endRowIndex - resolved.grid.startRowIndex === 1 &&
        resolved.grid.endColumnIndex - resolved.grid.startColumnIndex === 1;
      const grid = {
        ...resolved.grid,
        endRowIndex: sheet.rowCount,
        endColumnIndex: single ? sheet.columnCount : resolved.grid.endColumnIndex,
      };
      let first = -1;
      let last = -1;
      let width = 0;
      for (let r = grid.startRowIndex; r < Math.min(grid.endRowIndex, sheet.rowCount); r += 1) {
        const cells = sheet.rows[r] ?? [];
        for (let c = grid.startColumnIndex; c < Math.min(grid.endColumnIndex, cells.length); c += 1) {
          const cell = cells[c];
          if (cell !== null && cell !== undefined && cell !== '') {
            if (first < 0) first = r;
            last = r;
            width = Math.max(width, c + 1);
          }
        }
      }
      const values = Array.isArray(body.values) ? (body.values as unknown[][]) : [];
      const major = parseMajorDimension(body.majorDimension);
      const height = major === 'ROWS' ? values.length : Math.max(0, ...values.map((v) => v.length));
      const columns = major === 'ROWS' ? Math.max(0, ...values.map((v) => v.length)) : values.length;
      const at = last < 0 ? grid.startRowIndex : last + 1;
      if (insert === 'INSERT_ROWS' && at < sheet.rowCount) shiftDimension(book, sheet, 'ROWS', at, height);
      if (at + height > sheet.rowCount)
        shiftDimension(book, sheet, 'ROWS', sheet.rowCount, at + height - sheet.rowCount);
      const needColumns = grid.startColumnIndex + columns;
      if (needColumns > sheet.columnCount)
        shiftDimension(book, sheet, 'COLUMNS', sheet.columnCount, needColumns - sheet.columnCount);
      const target = {
        sheetId: sheet.sheetId,
        startRowIndex: at,
        endRowIndex: at + Math.max(height, 1),
        startColumnIndex: grid.startColumnIndex,
        endColumnIndex: grid.startColumnIndex + Math.max(columns, 1),
      };
      const updates = writeValues(sheet, target, gridToA1(sheet, target), values, major, option);
      const tableRange =
        first < 0
          ? {}
          : {
              tableRange: gridToA1(sheet, {
                sheetId: sheet.sheetId,
                startRowIndex: first,
                endRowIndex: last + 1,
                startColumnIndex: grid.startColumnIndex,
                endColumnIndex: Math.max(width, grid.startColumnIndex + 1),
              }),
            };
      return {
        spreadsheetId: book.spreadsheetId,
        ...tableRange,
        updates: { spreadsheetId: book.spreadsheetId, ...updates },
      };
    },
  },
  'values.clear': {
    kind: 'write',
    mutates: true,
    handle: ({ book, range }) => {
      const { sheet, grid } = resolveA1(book, requireRange(range));
      clearValues(sheet, grid);
      return { spreadsheetId: book.spreadsheetId, clearedRange: gridToA1(sheet, grid) };
    },
  },
  'values.batchUpdate': {
    kind: 'write',
    mutates: true,
    handle: ({ book, body }) => {
      const option = parseInputOption(body.valueInputOption);
      const data = Array.isArray(body.data) ? (body.data as Json[]) : [];
      const responses = data.map((item) => {
        const text = String(item.range ?? '');
        const { sheet, grid } = resolveA1(book, text);
        const result = writeValues(
          sheet,
          grid,
          text,
          item.values ?? [],
          parseMajorDimension(item.majorDimension),
          option,
        );
        return { spreadsheetId: book.spreadsheetId, ...result };
      });
      return { spreadsheetId: book.spreadsheetId, ...totals(responses), responses };
    },
  },
  'values.batchClear': {
    kind: 'write',
    mutates: true,
    handle: ({ book, body }) => {
      const ranges = Array.isArray(body.ranges) ? (body.ranges as string[]) : [];
      const clearedRanges = ranges.map((text) => {
        const { sheet, grid } = resolveA1(book, text);
        clearValues(sheet, grid);
        return gridToA1(sheet, grid);
      });
      return { spreadsheetId: book.spreadsheetId, clearedRanges };
    },
  },
  'values.batchGetByDataFilter': {
    kind: 'read',
    mutates: false,
    handle: ({ book, body }) => {
      const major = parseMajorDimension(body.majorDimension);
      const render = parseRenderOption(body.valueRenderOption);
      const filters = Array.isArray(body.dataFilters) ? (body.dataFilters as DataFilter[]) : [];
      const valueRanges = filters.flatMap((filter, i) =>
        resolveDataFilter(book, filter, `dataFilters[${i}]`).map(({ sheet, grid }) => ({
          valueRange: valueRange(sheet, grid, major, render),
          dataFilters: [filter],
        })),
      );
      return { spreadsheetId: book.spreadsheetId, valueRanges };
    },
  },
  'values.batchUpdateByDataFilter': {
    kind: 'write',
    mutates: true,
    handle: ({ book, body }) => {
      const option = parseInputOption(body.valueInputOption);
      const data = Array.isArray(body.data) ? (body.data as Json[]) : [];
      const responses = data.flatMap((item, i) =>
        resolveDataFilter(book, item.dataFilter as DataFilter, `data[${i}].dataFilter`).map(
          ({ sheet, grid }) => {
            const result = writeValues(
              sheet,
              grid,
              gridToA1(sheet, grid),
              item.values ?? [],
              parseMajorDimension(item.majorDimension),
              option,
            );
            return { ...result, dataFilter: item.dataFilter };
          },
        ),
      );
      return { spreadsheetId: book.spreadsheetId, ...totals(responses), responses };
    },
  },
  'values.batchClearByDataFilter': {
    kind: 'write',
    mutates: true,
    handle: ({ book, body }) => {
      const filters = Array.isArray(body.dataFilters) ? (body.dataFilters as DataFilter[]) : [];
      const clearedRanges = filters.flatMap((filter, i) =>
        resolveDataFilter(book, filter, `dataFilters[${i}]`).map(({ sheet, grid }) => {
          clearValues(sheet, grid);
          return gridToA1(sheet, grid);
        }),
      );
      return { spreadsheetId: book.spreadsheetId, clearedRanges };
    },
  },
  'developerMetadata.search': {
    kind: 'read',
    mutates: false,
    handle: ({ book, body }) => {
      const filters = Array.isArray(body.dataFilters) ? (body.dataFilters as DataFilter[]) : [];
      const matched = new Map<number, { developerMetadata: unknown; dataFilters: DataFilter[] }>();
      for (const filter of filters) {
        if (!filter.developerMetadataLookup) continue;
        for (const meta of lookupMetadata(book, filter.developerMetadataLookup)) {
          const entry = matched.get(meta.metadataId) ?? {
            developerMetadata: structuredClone(meta),
            dataFilters: [],
          };
          entry.dataFilters.push(filter);
          matched.set(meta.metadataId, entry);
        }
      }
      return matched.size === 0 ? {} : { matchedDeveloperMetadata: [...matched.values()] };
    },
  },
  'developerMetadata.get': {
    kind: 'read',
    mutates: false,
    handle: ({ book, metadataId }) => {
      const meta = book.metadata.find((m) => String(m.metadataId) === metadataId);
      if (!meta) throw new EmulatorApiError(404, `No developer metadata with id ${metadataId}`);
      return structuredClone(meta) as unknown as Json;
    },
  },
};
