import type { UpdatedSpreadsheet } from './grid-data.js';

/**
 * The few methods of the official Sheets v4 client (`@googleapis/sheets`, or `googleapis`)
 * that reposit calls, described locally so that the client stays an optional peer
 * dependency. A `sheets_v4.Sheets` instance satisfies it.
 *
 * @example
 * ```ts
 * import { sheets } from '@googleapis/sheets';
 * const client: SheetsApiClient = sheets({ version: 'v4', auth });
 * ```
 */
export interface SheetsApiClient {
  readonly spreadsheets: {
    /** `spreadsheets.get`: the spreadsheet's properties and tabs. */
    get(
      params: { spreadsheetId: string; fields?: string },
      options?: object,
    ): Promise<{ data: SpreadsheetData }>;
    /** `spreadsheets.batchUpdate`: structural changes and cell writes. */
    batchUpdate(
      params: {
        spreadsheetId: string;
        fields?: string;
        requestBody: {
          requests: object[];
          includeSpreadsheetInResponse?: boolean;
          responseRanges?: string[];
          responseIncludeGridData?: boolean;
        };
      },
      options?: object,
    ): Promise<{ data: { replies?: object[] | null; updatedSpreadsheet?: UpdatedSpreadsheet | null } }>;
    readonly values: {
      /** `spreadsheets.values.batchGet`: the values of several ranges. */
      batchGet(
        params: {
          spreadsheetId: string;
          ranges: string[];
          valueRenderOption?: string;
          dateTimeRenderOption?: string;
          majorDimension?: string;
        },
        options?: object,
      ): Promise<{ data: { valueRanges?: { range?: string | null; values?: unknown[][] | null }[] | null } }>;
      /** `spreadsheets.values.batchGetByDataFilter`: values selected by developer metadata. */
      batchGetByDataFilter(
        params: { spreadsheetId: string; requestBody: object },
        options?: object,
      ): Promise<{
        data: {
          valueRanges?:
            | {
                valueRange?: { range?: string | null; values?: unknown[][] | null } | null;
                dataFilters?: object[] | null;
              }[]
            | null;
        };
      }>;
      /** `spreadsheets.values.batchUpdateByDataFilter`: writes located by developer metadata. */
      batchUpdateByDataFilter(
        params: { spreadsheetId: string; requestBody: object },
        options?: object,
      ): Promise<{ data: { totalUpdatedCells?: number | null } }>;
    };
    readonly developerMetadata: {
      /** `spreadsheets.developerMetadata.search`: finds developer metadata. */
      search(
        params: { spreadsheetId: string; requestBody: object },
        options?: object,
      ): Promise<{
        data: { matchedDeveloperMetadata?: { developerMetadata?: MetadataData | null }[] | null };
      }>;
    };
  };
}

/**
 * The parts of a Spreadsheet resource reposit reads.
 *
 * @example
 * ```ts
 * const { data }: { data: SpreadsheetData } = await client.spreadsheets.get({ spreadsheetId });
 * ```
 */
export interface SpreadsheetData {
  sheets?:
    | {
        properties?: {
          sheetId?: number | null;
          title?: string | null;
          gridProperties?: { rowCount?: number | null; columnCount?: number | null } | null;
        } | null;
      }[]
    | null;
}

/**
 * The parts of a DeveloperMetadata resource reposit reads.
 *
 * @example
 * ```ts
 * const anchor: MetadataData = { metadataId: 7, metadataValue: '42', location: { dimensionRange: { startIndex: 3 } } };
 * ```
 */
export interface MetadataData {
  metadataId?: number | null;
  metadataKey?: string | null;
  metadataValue?: string | null;
  location?: {
    dimensionRange?: {
      sheetId?: number | null;
      dimension?: string | null;
      startIndex?: number | null;
      endIndex?: number | null;
    } | null;
  } | null;
}
