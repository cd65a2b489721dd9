import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorApiError } from './emulator-error.js';
import { EmulatorFaults, type QuotaOptions } from './emulator-faults.js';
import { HANDLERS } from './emulator-handlers.js';
import {
  type CellValue,
  type EmulatedSpreadsheet,
  newSpreadsheet,
  readValues,
  resolveA1,
  shiftDimension,
} from './emulator-store.js';
import { inputValue, writeValues } from './emulator-values.js';

/**
 * Options of {@link startSheetsEmulator}.
 *
 * @example
 * ```ts
 * const emulator = await startSheetsEmulator({ quota: { reads: 60, writes: 60 }, latencyMs: 5 });
 * ```
 */
export interface SheetsEmulatorOptions {
  /** Enforce per-user quotas from the start (switch later with `faults.setQuota`). @default undefined (no quota) */
  readonly quota?: QuotaOptions;
  /** Delay every response by this many milliseconds, like a network round trip. @default 0 */
  readonly latencyMs?: number;
  /**
   * `required`: like Google, answer 401 to requests without credentials; an API key
   * (`?key=`) is enough to read, writes need a bearer token. Tokens are not checked.
   * @default 'none'
   */
  readonly auth?: 'none' | 'required';
}

/**
 * A tab to create with {@link SheetsEmulator.createSpreadsheet}, optionally with rows.
 *
 * @example
 * ```ts
 * const tab: EmulatorSheetSeed = { title: 'Users', rows: [['id', 'name'], [1, 'Ada']] };
 * ```
 */
export interface EmulatorSheetSeed {
  readonly title: string;
  /** Cell values from A1 on. @default [] */
  readonly rows?: readonly (readonly (CellValue | null)[])[];
  /** @default 1000 */
  readonly rowCount?: number;
  /** @default 26 */
  readonly columnCount?: number;
}

/**
 * A running local Sheets API v4 emulator. Point the official client at it with
 * `sheets({ version: 'v4', rootUrl: emulator.rootUrl })`.
 *
 * @example
 * ```ts
 * import { sheets } from '@googleapis/sheets';
 * import { startSheetsEmulator } from 'reposit/testing';
 *
 * const emulator = await startSheetsEmulator();
 * const id = emulator.createSpreadsheet({ sheets: [{ title: 'Users', rows: [['id', 'name']] }] });
 * const client = sheets({ version: 'v4', rootUrl: emulator.rootUrl });
 * await client.spreadsheets.values.append({
 *   spreadsheetId: id, range: 'Users!A:B', valueInputOption: 'RAW', requestBody: { values: [[1, 'Ada']] },
 * });
 * emulator.requestCounts(); // { 'values.append': 1 }
 * await emulator.close();
 * ```
 */
export interface SheetsEmulator {
  /** The URL to pass as the client's `rootUrl`, e.g. `http://127.0.0.1:41234/`. */
  readonly rootUrl: string;
  /** Quotas and fault injection. */
  readonly faults: EmulatorFaults;
  /** Creates a spreadsheet and returns its id. */
  createSpreadsheet(options?: {
    spreadsheetId?: string;
    title?: string;
    sheets?: readonly (string | EmulatorSheetSeed)[];
  }): string;
  /** The values of a range (UNFORMATTED, trimmed as the API trims), bypassing quotas and counters. */
  values(spreadsheetId: string, range: string): CellValue[][];
  /** Writes values directly (as a person editing the sheet would), bypassing quotas and counters. */
  setValues(spreadsheetId: string, range: string, values: readonly (readonly (CellValue | null)[])[]): void;
  /** Deletes rows directly (zero-based start), moving what is below up, as a person would. */
  deleteRows(spreadsheetId: string, sheetTitle: string, startIndex: number, count: number): void;
  /** Inserts empty rows directly (zero-based start), moving what is below down. */
  insertRows(spreadsheetId: string, sheetTitle: string, startIndex: number, count: number): void;
  /** How many requests each method received (e.g. `values.append`), faulted ones included. */
  requestCounts(): Record<string, number>;
  /** The sum of {@link requestCounts}. */
  totalRequests(): number;
  /** Zeroes the request counters and the quota statistics. */
  resetCounts(): void;
  /** Stops the server. */
  close(): Promise<void>;
}

interface Route {
  readonly method: string;
  readonly spreadsheetId?: string;
  readonly range?: string;
  readonly metadataId?: string;
}

const PREFIX = '/v4/spreadsheets';

function route(httpMethod: string, rawPath: string): Route | undefined {
  if (!rawPath.startsWith(PREFIX)) return undefined;
  const rest = rawPath.slice(PREFIX.length);
  if (rest === '' && httpMethod === 'POST') return { method: 'spreadsheets.create' };
  const match = /^\/([^/:]+)(.*)$/.exec(rest);
  if (!match) return undefined;
  const spreadsheetId = decodeURIComponent(match[1]!);
  const tail = match[2]!;
  const simple: Record<string, [string, string]> = {
    '': ['GET', 'spreadsheets.get'],
    ':batchUpdate': ['POST', 'spreadsheets.batchUpdate'],
    '/values:batchGet': ['GET', 'values.batchGet'],
    '/values:batchUpdate': ['POST', 'values.batchUpdate'],
    '/values:batchClear': ['POST', 'values.batchClear'],
    '/values:batchGetByDataFilter': ['POST', 'values.batchGetByDataFilter'],
    '/values:batchUpdateByDataFilter': ['POST', 'values.batchUpdateByDataFilter'],
    '/values:batchClearByDataFilter': ['POST', 'values.batchClearByDataFilter'],
    '/developerMetadata:search': ['POST', 'developerMetadata.search'],
  };
  const known = simple[tail];
  if (known) return known[0] === httpMethod ? { method: known[1], spreadsheetId } : undefined;
  const meta = /^\/developerMetadata\/(\d+)$/.exec(tail);
  if (meta && httpMethod === 'GET')
    return { method: 'developerMetadata.get', spreadsheetId, metadataId: meta[1]! };
  const values = /^\/values\/([^/]+?)(:append|:clear)?$/.exec(tail);
  if (!values) return undefined;
  const range = decodeURIComponent(values[1]!);
  const verb = values[2];
  if (verb === ':append' && httpMethod === 'POST') return { method: 'values.append', spreadsheetId, range };
  if (verb === ':clear' && httpMethod === 'POST') return { method: 'values.clear', spreadsheetId, range };
  if (!verb && httpMethod === 'GET') return { method: 'values.get', spreadsheetId, range };
  if (!verb && httpMethod === 'PUT') return { method: 'values.update', spreadsheetId, range };
  return undefined;
}

function checkCredentials(request: http.IncomingMessage, url: URL, kind: 'read' | 'write'): void {
  const bearer = /^Bearer \S+/i.test(request.headers.authorization ?? '');
  if (bearer) return;
  if (url.searchParams.has('key')) {
    if (kind === 'read') return;
    throw new EmulatorApiError(
      401,
      'API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that assert a principal.',
    );
  }
  throw new EmulatorApiError(
    401,
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  );
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/**
 * Starts a Sheets API v4 emulator on 127.0.0.1 (a free port). It serves
 * spreadsheets.get/create/batchUpdate, values get/batchGet/update/append/clear/
 * batchUpdate/batchClear and their ByDataFilter forms, and developerMetadata
 * search/get, with Google's A1 ranges, trimming, error bodies, all-or-nothing batches,
 * switchable quotas and injectable faults. Formulas are stored as text, not evaluated.
 *
 * @example
 * ```ts
 * const emulator = await startSheetsEmulator();
 * const spreadsheetId = emulator.createSpreadsheet({ sheets: ['Users'] });
 * emulator.faults.inject({ status: 429, retryAfterSeconds: 1 });
 * ```
 */
export async function startSheetsEmulator(options: SheetsEmulatorOptions = {}): Promise<SheetsEmulator> {
  const books = new Map<string, EmulatedSpreadsheet>();
  const counts: Record<string, number> = {};
  const faults = new EmulatorFaults();
  faults.setQuota(options.quota);

  const book = (spreadsheetId: string): EmulatedSpreadsheet => {
    const found = books.get(spreadsheetId);
    if (!found) throw new EmulatorApiError(404, 'Requested entity was not found.');
    return found;
  };

  const serve = async (
    request: http.IncomingMessage,
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const found = route(request.method ?? 'GET', url.pathname);
    if (!found) throw new EmulatorApiError(404, `Method not found: ${request.method} ${url.pathname}`);
    counts[found.method] = (counts[found.method] ?? 0) + 1;
    const text = await readBody(request);
    let body: Record<string, unknown> = {};
    if (text.length > 0) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new EmulatorApiError(400, 'Invalid JSON payload received.');
      }
    }
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    if (options.auth === 'required') {
      checkCredentials(request, url, HANDLERS[found.method]?.kind ?? 'write');
    }
    if (found.method === 'spreadsheets.create') {
      await faults.admit(found.method, 'write');
      const props = (body.properties as { title?: string } | undefined) ?? {};
      const tabs = ((body.sheets as { properties?: { title?: string } }[] | undefined) ?? []).map(
        (s) => s.properties?.title ?? 'Sheet1',
      );
      const created = newSpreadsheet(
        randomUUID().replaceAll('-', ''),
        props.title ?? 'Untitled spreadsheet',
        tabs,
      );
      books.set(created.spreadsheetId, created);
      return {
        status: 200,
        body: HANDLERS['spreadsheets.get']!.handle({ book: created, query: url.searchParams, body: {} }),
      };
    }
    const handler = HANDLERS[found.method]!;
    const lostResponse = await faults.admit(found.method, handler.kind);
    const current = book(found.spreadsheetId!);
    // Writes run on a copy that replaces the original only when every part succeeded.
    const target = handler.mutates ? structuredClone(current) : current;
    const result = handler.handle({
      book: target,
      query: url.searchParams,
      body,
      range: found.range,
      metadataId: found.metadataId,
    });
    if (handler.mutates) books.set(target.spreadsheetId, target);
    if (lostResponse) throw lostResponse;
    return { status: 200, body: result };
  };

  const server = http.createServer((request, response) => {
    serve(request).then(
      ({ status, body, headers }) => send(response, status, body, headers),
      (error: unknown) => {
        if (error instanceof EmulatorApiError) send(response, error.code, error.body(), error.headers);
        else send(response, 500, new EmulatorApiError(500, 'Internal error encountered.').body());
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    faults,
    createSpreadsheet(create = {}) {
      const spreadsheetId = create.spreadsheetId ?? randomUUID().replaceAll('-', '');
      const seeds = (create.sheets ?? ['Sheet1']).map((s) => (typeof s === 'string' ? { title: s } : s));
      const created = newSpreadsheet(
        spreadsheetId,
        create.title ?? 'Untitled spreadsheet',
        seeds.map((s) => s.title),
      );
      seeds.forEach((seed, i) => {
        const sheet = created.sheets[i]!;
        sheet.rowCount = Math.max(seed.rowCount ?? sheet.rowCount, seed.rows?.length ?? 0);
        sheet.columnCount = Math.max(
          seed.columnCount ?? sheet.columnCount,
          ...(seed.rows ?? []).map((r) => r.length),
        );
        seed.rows?.forEach((row, r) => {
          sheet.rows[r] = row.map((cell) => (cell === '' ? null : inputValue(cell, 'RAW')));
        });
      });
      books.set(spreadsheetId, created);
      return spreadsheetId;
    },
    values(spreadsheetId, range) {
      const { sheet, grid } = resolveA1(book(spreadsheetId), range);
      return readValues(sheet, grid, 'ROWS', 'UNFORMATTED_VALUE') ?? [];
    },
    setValues(spreadsheetId, range, values) {
      const { sheet, grid } = resolveA1(book(spreadsheetId), range);
      writeValues(sheet, grid, range, values, 'ROWS', 'RAW');
    },
    deleteRows(spreadsheetId, sheetTitle, startIndex, count) {
      const target = book(spreadsheetId);
      const { sheet } = resolveA1(target, `'${sheetTitle.replaceAll("'", "''")}'`);
      shiftDimension(target, sheet, 'ROWS', startIndex, -count);
    },
    insertRows(spreadsheetId, sheetTitle, startIndex, count) {
      const target = book(spreadsheetId);
      const { sheet } = resolveA1(target, `'${sheetTitle.replaceAll("'", "''")}'`);
      shiftDimension(target, sheet, 'ROWS', startIndex, count);
    },
    requestCounts: () => ({ ...counts }),
    totalRequests: () => Object.values(counts).reduce((a, b) => a + b, 0),
    resetCounts() {
      for (const key of Object.keys(counts)) delete counts[key];
      faults.resetCounters();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
