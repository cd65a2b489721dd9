import { EmulatorApiError } from './emulator-error.js';
import {
  completeGrid,
  type DeveloperMetadata,
  type EmulatedSheet,
  type EmulatedSpreadsheet,
  type GridRange,
  type MetadataLocation,
  resolveA1,
  sheetById,
} from './emulator-store.js';

/** The DataFilter shape of the API (one of the three selectors). */
export interface DataFilter {
  a1Range?: string;
  gridRange?: Partial<GridRange>;
  developerMetadataLookup?: MetadataLookup;
}

/** The DeveloperMetadataLookup shape of the API. */
export interface MetadataLookup {
  metadataId?: number;
  metadataKey?: string;
  metadataValue?: string;
  visibility?: string;
  locationType?: string;
  locationMatchingStrategy?: string;
  metadataLocation?: Partial<MetadataLocation>;
}

/** The metadata a lookup selects (all fields it names must match). */
export function lookupMetadata(book: EmulatedSpreadsheet, lookup: MetadataLookup): DeveloperMetadata[] {
  return book.metadata.filter((meta) => {
    if (lookup.metadataId !== undefined && meta.metadataId !== Number(lookup.metadataId)) return false;
    if (lookup.metadataKey !== undefined && meta.metadataKey !== lookup.metadataKey) return false;
    if (lookup.metadataValue !== undefined && meta.metadataValue !== lookup.metadataValue) return false;
    if (lookup.visibility !== undefined && meta.visibility !== lookup.visibility) return false;
    if (lookup.locationType !== undefined && meta.location.locationType !== lookup.locationType) return false;
    const where = lookup.metadataLocation;
    if (where?.sheetId !== undefined && locationSheetId(meta.location) !== where.sheetId) return false;
    if (where?.dimensionRange) {
      const want = where.dimensionRange;
      const have = meta.location.dimensionRange;
      if (!have || have.sheetId !== want.sheetId || have.dimension !== want.dimension) return false;
      if (have.startIndex !== want.startIndex || have.endIndex !== want.endIndex) return false;
    }
    return true;
  });
}

function locationSheetId(location: MetadataLocation): number | undefined {
  return location.sheetId ?? location.dimensionRange?.sheetId;
}

/** The grid a piece of metadata covers (a whole row, column or sheet), if any. */
export function metadataGrid(
  book: EmulatedSpreadsheet,
  meta: DeveloperMetadata,
): { sheet: EmulatedSheet; grid: GridRange } | undefined {
  const sheetId = locationSheetId(meta.location);
  if (sheetId === undefined) return undefined;
  const sheet = book.sheets.find((s) => s.sheetId === sheetId);
  if (!sheet) return undefined;
  const range = meta.location.dimensionRange;
  if (!range) return { sheet, grid: completeGrid(sheet, {}) };
  const grid =
    range.dimension === 'ROWS'
      ? completeGrid(sheet, { startRowIndex: range.startIndex, endRowIndex: range.endIndex })
      : completeGrid(sheet, { startColumnIndex: range.startIndex, endColumnIndex: range.endIndex });
  return { sheet, grid };
}

/** Every grid a data filter selects (none when a metadata lookup matches nothing). */
export function resolveDataFilter(
  book: EmulatedSpreadsheet,
  filter: DataFilter,
  where: string,
): { sheet: EmulatedSheet; grid: GridRange }[] {
  if (filter.a1Range !== undefined) return [resolveA1(book, filter.a1Range)];
  if (filter.gridRange) {
    const sheet = sheetById(book, filter.gridRange.sheetId ?? 0, where);
    return [{ sheet, grid: completeGrid(sheet, filter.gridRange) }];
  }
  if (filter.developerMetadataLookup) {
    return lookupMetadata(book, filter.developerMetadataLookup)
      .map((meta) => metadataGrid(book, meta))
      .filter((found) => found !== undefined);
  }
  throw new EmulatorApiError(
    400,
    `Invalid ${where}: a data filter needs a1Range, gridRange or developerMetadataLookup`,
  );
}

/** Validates and stores new developer metadata (a `createDeveloperMetadata` request). */
export function createMetadata(
  book: EmulatedSpreadsheet,
  input: Partial<DeveloperMetadata> | undefined,
  where: string,
): DeveloperMetadata {
  if (!input?.metadataKey) throw new EmulatorApiError(400, `Invalid ${where}: metadataKey is required`);
  if (input.visibility !== 'DOCUMENT' && input.visibility !== 'PROJECT') {
    throw new EmulatorApiError(400, `Invalid ${where}: visibility must be DOCUMENT or PROJECT`);
  }
  const location = input.location;
  let stored: MetadataLocation;
  if (location?.dimensionRange) {
    const range = location.dimensionRange;
    const sheet = sheetById(book, range.sheetId, where);
    const size = range.dimension === 'ROWS' ? sheet.rowCount : sheet.columnCount;
    if (range.endIndex - range.startIndex !== 1 || range.startIndex < 0 || range.endIndex > size) {
      throw new EmulatorApiError(
        400,
        `Invalid ${where}: the dimension range must be a single existing row or column`,
      );
    }
    stored = {
      locationType: range.dimension === 'ROWS' ? 'ROW' : 'COLUMN',
      dimensionRange: { ...range },
    };
  } else if (location?.sheetId !== undefined) {
    sheetById(book, location.sheetId, where);
    stored = { locationType: 'SHEET', sheetId: location.sheetId };
  } else if (location?.spreadsheet) {
    stored = { locationType: 'SPREADSHEET', spreadsheet: true };
  } else {
    throw new EmulatorApiError(400, `Invalid ${where}: a metadata location is required`);
  }
  const metadataId = input.metadataId ?? book.nextMetadataId;
  if (book.metadata.some((meta) => meta.metadataId === metadataId)) {
    throw new EmulatorApiError(400, `Invalid ${where}: metadata with id ${metadataId} already exists`);
  }
  book.nextMetadataId = Math.max(book.nextMetadataId, metadataId) + 1;
  const meta: DeveloperMetadata = {
    metadataId,
    metadataKey: input.metadataKey,
    ...(input.metadataValue === undefined ? {} : { metadataValue: input.metadataValue }),
    visibility: input.visibility,
    location: stored,
  };
  book.metadata.push(meta);
  return structuredClone(meta);
}

/** Removes the metadata a filter's lookup selects; returns what was removed. */
export function deleteMetadata(
  book: EmulatedSpreadsheet,
  filter: DataFilter,
  where: string,
): DeveloperMetadata[] {
  if (!filter?.developerMetadataLookup) {
    throw new EmulatorApiError(
      400,
      `Invalid ${where}: only developerMetadataLookup filters can delete metadata`,
    );
  }
  const doomed = new Set(lookupMetadata(book, filter.developerMetadataLookup));
  book.metadata = book.metadata.filter((meta) => !doomed.has(meta));
  return [...doomed].map((meta) => structuredClone(meta));
}
