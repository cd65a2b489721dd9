import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../../errors.js';
import type { Backend, BackendUpdateOptions } from '../../repository/backend.js';
import { applyQuery, matches } from '../../repository/condition-evaluator.js';
import type { Entity } from '../../repository/entity.js';
import type { BackendQuery, Condition } from '../../repository/query.js';
import { ensureAnchors } from './anchor-rows.js';
import type { CellKind } from './cell-codec.js';
import { quoteTitle } from './column-letters.js';
import { rangeValuesFromGrid, type UpdatedSpreadsheet } from './grid-data.js';
import {
  anchorFilter,
  anchorsExist,
  createAnchorRequest,
  deleteAnchorsRequest,
  newMetadataId,
  type RowAnchor,
  searchAnchors,
} from './row-anchors.js';
import type { SheetHeader } from './sheet-header.js';
import {
  decodeTable,
  defaultHeader,
  entityCells,
  entityValues,
  fieldKinds,
  idKey,
  type TableLayout,
  type TableSnapshot,
} from './sheet-table.js';
import type { SheetsApiClient } from './sheets-client.js';
import {
  type RangeValues,
  SheetsGateway,
  type SheetsGatewayOptions,
  VERIFIED_APPLIED,
} from './sheets-gateway.js';
import { StaleAnchorError } from './stale-anchor-error.js';
import { type Entry, type QueuedOp, type Row, type WriteOp, WritePlanner } from './write-planner.js';

/**
 * How a {@link SheetsBackend} treats the sheet.
 * - `read-write`: every read and write goes to the sheet.
 * - `read-only`: writes throw `UnavailableError`.
 * - `cache-first`: reads are served from an in-memory snapshot of the tab, refreshed on
 *   an interval (and updated by this process's own writes); writes go to the sheet.
 *
 * @example
 * ```ts
 * new SheetsBackend({ entity: User, client, spreadsheetId, sheet: 'Users', mode: 'cache-first', refreshIntervalMs: 10_000 });
 * ```
 */
export type SheetsMode = 'read-only' | 'read-write' | 'cache-first';

/**
 * Options of {@link SheetsBackend}.
 *
 * @example
 * ```ts
 * const options: SheetsBackendOptions<User> = {
 *   entity: User,
 *   client: sheets({ version: 'v4', auth }),
 *   spreadsheetId: '1AbC...',
 *   sheet: 'Users',
 * };
 * ```
 */
export interface SheetsBackendOptions<T extends object> {
  /** The entity stored in the tab. */
  // biome-ignore lint/suspicious/noExplicitAny: any id and generated-field types are accepted.
  readonly entity: Entity<T, any, any>;
  /** The tab's title. */
  readonly sheet: string;
  /** A gateway shared with other backends of the same spreadsheet (shares quota and batching). @default undefined */
  readonly gateway?: SheetsGateway;
  /** The official client, when no `gateway` is given. @default undefined */
  readonly client?: SheetsApiClient;
  /** The spreadsheet, when no `gateway` is given. @default undefined */
  readonly spreadsheetId?: string;
  /** Limits, retries, timeout and read batching of the backend's own gateway. @default the gateway's defaults */
  readonly gatewayOptions?: Omit<SheetsGatewayOptions, 'client' | 'spreadsheetId'>;
  /** One-based row of the header. @default 1 */
  readonly headerRow?: number;
  /** Header text of fields whose column is not named like the field. @default {} */
  readonly columns?: Partial<Record<keyof T & string, string>>;
  /** @default 'read-write' */
  readonly mode?: SheetsMode;
  /** How often `cache-first` re-reads the tab, in milliseconds. @default 30_000 */
  readonly refreshIntervalMs?: number;
  /** Write the header (field names) when the header row is empty. @default true */
  readonly writeHeader?: boolean;
  /** A data row that is not a valid entity: fail the read, or leave it out. @default 'error' */
  readonly invalidRows?: 'error' | 'skip';
  /** How long concurrent writes are collected into one batch, in milliseconds. @default 2 */
  readonly writeWindowMs?: number;
  /**
   * Unique constraints besides the id, each a list of fields; a clash is a
   * `DuplicateError`. Checked against a fresh read right before each write batch, so a
   * person typing a clashing value into the sheet at the same moment can still slip by.
   * @default []
   */
  readonly unique?: readonly (readonly (keyof T & string)[])[];
}

const MAX_FLUSH_ATTEMPTS = 5;

/** What a write asks back: the tab's values and grid size, nothing of its formats. */
const RESPONSE_FIELDS =
  'replies,updatedSpreadsheet.sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),data(startRow,startColumn,rowData.values.effectiveValue))';

/**
 * A tab of a Google Spreadsheet as a reposit backend. The header row maps columns to
 * the entity's fields; values are typed through the zod schema. A row's identity is its
 * id column, never its row number: writes address rows through developer metadata
 * anchored to the row, which Google moves with the row, so rows inserted or deleted
 * concurrently (by people or other processes) never make a write land on the wrong row.
 * Concurrent reads share one read of the tab; concurrent writes are collected into one
 * `spreadsheets.batchUpdate` plus one `values:batchUpdateByDataFilter`. Every request
 * goes through a {@link SheetsGateway} (rate limits, retries, error mapping).
 *
 * Deleting an entity empties its row (addressed by its anchor) rather than removing the
 * row, because removing a row can only be addressed by row number.
 *
 * @example
 * ```ts
 * import { sheets } from '@googleapis/sheets';
 * import { GoogleAuth } from 'google-auth-library';
 * import { SheetsBackend } from 'reposit/sheets';
 *
 * const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/spreadsheets'] });
 * const backend = new SheetsBackend({
 *   entity: User,
 *   client: sheets({ version: 'v4', auth }),
 *   spreadsheetId: process.env.SHEET_ID!,
 *   sheet: 'Users',
 * });
 * await backend.insertMany([{ id: 1, name: 'Ada' }]);
 * ```
 */
export class SheetsBackend<T extends object, ID = unknown> implements Backend<T, ID> {
  readonly kind = 'sheets';
  readonly gateway: SheetsGateway;
  readonly mode: SheetsMode;
  readonly #ownsGateway: boolean;
  readonly #layout: TableLayout<T>;
  readonly #kinds: Map<string, CellKind>;
  readonly #writeHeader: boolean;
  readonly #writeWindowMs: number;
  readonly #planner: WritePlanner<T>;
  #sheetId: Promise<number> | undefined;
  #load: { epoch: number; promise: Promise<TableSnapshot<T>> } | undefined;
  #epoch = 0;
  #cached: TableSnapshot<T> | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #queue: QueuedOp[] = [];
  #flushing = false;
  #closed = false;

  constructor(options: SheetsBackendOptions<T>) {
    if (options.gateway) {
      this.gateway = options.gateway;
      this.#ownsGateway = false;
    } else {
      if (!options.client || !options.spreadsheetId) {
        throw new ValidationError('SheetsBackend needs either a gateway, or a client and a spreadsheetId');
      }
      this.gateway = new SheetsGateway({
        ...options.gatewayOptions,
        client: options.client,
        spreadsheetId: options.spreadsheetId,
        entity: options.gatewayOptions?.entity ?? options.entity.name,
      });
      this.#ownsGateway = true;
    }
    const headerRow = options.headerRow ?? 1;
    if (!Number.isInteger(headerRow) || headerRow < 1) {
      throw new ValidationError(`headerRow must be a positive integer, got ${headerRow}`);
    }
    const columns = (options.columns ?? {}) as Record<string, string>;
    for (const field of Object.keys(columns)) {
      if (!(options.entity.fields as readonly string[]).includes(field)) {
        throw new ValidationError(`columns names "${field}", which is not a field of ${options.entity.name}`);
      }
    }
    this.#layout = {
      entity: options.entity,
      sheetTitle: options.sheet,
      headerRow,
      columns,
      invalidRows: options.invalidRows ?? 'error',
    };
    this.#kinds = fieldKinds(options.entity);
    this.mode = options.mode ?? 'read-write';
    this.#writeHeader = options.writeHeader ?? true;
    this.#writeWindowMs = options.writeWindowMs ?? 2;
    const unique = (options.unique ?? []) as readonly (readonly string[])[];
    for (const fields of unique) {
      for (const field of fields) {
        if (!(options.entity.fields as readonly string[]).includes(field)) {
          throw new ValidationError(
            `unique names "${field}", which is not a field of ${options.entity.name}`,
          );
        }
      }
    }
    this.#planner = new WritePlanner(options.entity, this.#kinds, unique);
    if (this.mode === 'cache-first') {
      const interval = options.refreshIntervalMs ?? 30_000;
      this.#refreshTimer = setInterval(() => {
        this.refresh().catch(() => {
          // A failed background refresh keeps serving the last snapshot; the next one retries.
        });
      }, interval);
      this.#refreshTimer.unref();
    }
  }

  get #entity() {
    return this.#layout.entity;
  }

  // ---- reads -------------------------------------------------------------------------

  /** Re-reads the tab now (what `cache-first` does on its interval). */
  async refresh(): Promise<void> {
    this.#cached = await this.#readFresh();
  }

  async #snapshot(): Promise<TableSnapshot<T>> {
    this.#assertOpen();
    if (this.mode === 'cache-first') {
      this.#cached ??= await this.#readFresh();
      return this.#cached;
    }
    return this.#readFresh();
  }

  /** A read that started after every write this backend has finished (read-your-writes). */
  #readFresh(): Promise<TableSnapshot<T>> {
    if (this.#load && this.#load.epoch === this.#epoch) return this.#load.promise;
    const load = { epoch: this.#epoch, promise: this.#readTable() };
    this.#load = load;
    load.promise.then(
      () => {
        if (this.#load === load) this.#load = undefined;
      },
      () => {
        if (this.#load === load) this.#load = undefined;
      },
    );
    return load.promise;
  }

  async #readTable(): Promise<TableSnapshot<T>> {
    const range = quoteTitle(this.#layout.sheetTitle);
    let read: RangeValues;
    try {
      [read = { range, values: [] }] = await this.gateway.read([range]);
    } catch (error) {
      throw this.#tabError(error);
    }
    return decodeTable(read, this.#layout, this.#kinds);
  }

  #tabError(error: unknown): unknown {
    if (error instanceof ValidationError && error.message.includes('Unable to parse range')) {
      return new NotFoundError(
        `Sheet tab "${this.#layout.sheetTitle}" does not exist in spreadsheet ${this.gateway.spreadsheetId}`,
        { entity: this.#entity.name, cause: error },
      );
    }
    return error;
  }

  #visible(row: Row): boolean {
    return this.#planner.visible(row);
  }

  /** Never: every read goes to the spreadsheet itself. */
  mayReadFromReplicas(): boolean {
    return false;
  }

  async findByIds(ids: readonly ID[]): Promise<T[]> {
    const snapshot = await this.#snapshot();
    const found: T[] = [];
    for (const id of new Set(ids.map(idKey))) {
      const row = snapshot.byKey.get(id);
      if (row && this.#visible(row.entity as Row)) found.push(row.entity);
    }
    return found;
  }

  async find(query: BackendQuery): Promise<T[]> {
    const snapshot = await this.#snapshot();
    const rows = snapshot.rows.map((r) => r.entity).filter((e) => this.#visible(e as Row));
    return applyQuery(rows, query);
  }

  async count(where: Condition | undefined): Promise<number> {
    const snapshot = await this.#snapshot();
    return snapshot.rows.filter((r) => this.#visible(r.entity as Row) && matches(r.entity as Row, where))
      .length;
  }

  // ---- writes ------------------------------------------------------------------------

  insertMany(rows: readonly Partial<T>[]): Promise<T[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return this.#enqueue({ kind: 'insert', rows: rows as readonly Row[] }) as Promise<T[]>;
  }

  update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T> {
    return this.#enqueue({ kind: 'update', id, patch: patch as Row, options }) as Promise<T>;
  }

  upsert(row: Partial<T>): Promise<T> {
    return this.#enqueue({ kind: 'upsert', row: row as Row }) as Promise<T>;
  }

  delete(id: ID): Promise<boolean> {
    return this.#enqueue({ kind: 'delete', id }) as Promise<boolean>;
  }

  #enqueue(op: WriteOp): Promise<unknown> {
    try {
      this.#assertOpen();
      if (this.mode === 'read-only') {
        throw new UnavailableError(
          `The ${this.#entity.name} sheet "${this.#layout.sheetTitle}" is read-only (mode: 'read-only')`,
          { entity: this.#entity.name },
        );
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject, touched: [] });
      if (!this.#flushing) {
        this.#flushing = true;
        setTimeout(() => void this.#drain(), this.#writeWindowMs);
      }
    });
  }

  async #drain(): Promise<void> {
    // The tab as the previous batch's write left it: writes queued while that batch ran
    // use it instead of a read of their own, so a steady stream of creates costs one
    // request per batch. It is dropped as soon as the queue runs dry.
    let carried: TableSnapshot<T> | undefined;
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      carried = await this.#flush(batch, carried);
      // Callers acknowledged by this batch often write again at once, through a few layers
      // of promises (repository, hooks): let them reach the queue before deciding it is dry.
      if (this.#queue.length === 0 && carried) await new Promise((resolve) => setImmediate(resolve));
    }
    this.#flushing = false;
  }

  /** Reads that start from now on must not reuse a read that began before these writes. */
  #writesSettled(): void {
    this.#epoch += 1;
    this.#load = undefined;
  }

  #sheetIdOnce(): Promise<number> {
    this.#sheetId ??= (async () => {
      const response = await this.gateway.call('spreadsheets.get', 'read', (o) =>
        this.gateway.client.spreadsheets.get(
          { spreadsheetId: this.gateway.spreadsheetId, fields: 'sheets.properties(sheetId,title)' },
          o,
        ),
      );
      const sheets = response === VERIFIED_APPLIED ? [] : (response.data.sheets ?? []);
      const sheet = sheets.find((s) => s.properties?.title === this.#layout.sheetTitle);
      if (sheet?.properties?.sheetId == null) {
        throw new NotFoundError(
          `Sheet tab "${this.#layout.sheetTitle}" does not exist in spreadsheet ${this.gateway.spreadsheetId}`,
          { entity: this.#entity.name },
        );
      }
      return sheet.properties.sheetId;
    })();
    this.#sheetId.catch(() => {
      this.#sheetId = undefined;
    });
    return this.#sheetId;
  }

  async #flush(
    batch: QueuedOp[],
    carried: TableSnapshot<T> | undefined,
    attempt = 1,
  ): Promise<TableSnapshot<T> | undefined> {
    let after: TableSnapshot<T> | undefined;
    try {
      after = await this.#flushOnce(batch, carried);
    } catch (error) {
      this.#writesSettled();
      if (error instanceof StaleAnchorError && attempt < MAX_FLUSH_ATTEMPTS) {
        for (const queued of batch) {
          queued.error = undefined;
          queued.result = undefined;
          queued.touched = [];
        }
        return this.#flush(batch, undefined, attempt + 1);
      }
      const failure =
        error instanceof StaleAnchorError
          ? new ConflictError(
              `Rows of sheet "${this.#layout.sheetTitle}" kept moving while ${this.#entity.name} rows were being written; nothing was written`,
              { entity: this.#entity.name, retryable: true },
            )
          : error;
      for (const queued of batch) queued.reject(failure);
      return undefined;
    }
    this.#writesSettled();
    for (const queued of batch) {
      const failed = queued.error ?? queued.touched.find((entry) => entry.writeError)?.writeError;
      if (failed) queued.reject(failed);
      else queued.resolve(queued.result);
    }
    return after;
  }

  /** Plans and writes one batch; returns the tab as the write left it, when the response told. */
  async #flushOnce(
    batch: QueuedOp[],
    carried: TableSnapshot<T> | undefined,
  ): Promise<TableSnapshot<T> | undefined> {
    const sheetId = await this.#sheetIdOnce();
    const needsAnchors = batch.some((queued) => queued.op.kind !== 'insert');
    let table: TableSnapshot<T>;
    let anchors: RowAnchor[] | undefined;
    try {
      [table, anchors] = await Promise.all([
        carried ?? this.#readTable(),
        needsAnchors ? searchAnchors(this.gateway, sheetId) : Promise.resolve(undefined),
      ]);
    } catch (error) {
      throw this.#tabError(error);
    }
    let header: SheetHeader;
    let headerNames: string[] | undefined;
    if (table.header) header = table.header;
    else if (this.#writeHeader) ({ header, names: headerNames } = defaultHeader(this.#layout));
    else {
      throw new ValidationError(
        `The header row (row ${this.#layout.headerRow}) of sheet "${this.#layout.sheetTitle}" is empty`,
      );
    }

    const state = new Map<string, Entry>();
    for (const row of table.rows) {
      state.set(row.key, { entity: row.entity as Row, rowIndex: row.rowIndex, deleted: false, dirty: false });
    }
    const inserted: Entry[] = [];
    for (const queued of batch) {
      try {
        queued.result = this.#planner.apply(queued, state, inserted);
      } catch (error) {
        queued.error = error;
      }
    }

    const existing = [...state.entries()].filter(
      ([, e]) => e.rowIndex !== undefined && (e.dirty || e.deleted),
    );
    await ensureAnchors(this.gateway, {
      sheetId,
      entries: existing.map(([key, entry]) => ({ key, rowIndex: entry.rowIndex! })),
      anchors: anchors ?? [],
      idColumn: header.columnOf.get(this.#entity.idField)!,
      idKind: this.#kinds.get(this.#entity.idField)!,
      firstDataRow: this.#layout.headerRow,
      gridRows: table.gridRows,
    });
    const clears: string[] = [];
    if (existing.length > 0) {
      const data = existing.map(([key, entry]) => ({
        dataFilter: anchorFilter(sheetId, key),
        majorDimension: 'ROWS',
        values: [
          entry.deleted
            ? Array.from({ length: header.width }, () => '')
            : entityValues(entry.entity, header, this.#kinds),
        ],
      }));
      try {
        await this.gateway.call('values.batchUpdateByDataFilter', 'write', (o) =>
          this.gateway.client.spreadsheets.values.batchUpdateByDataFilter(
            { spreadsheetId: this.gateway.spreadsheetId, requestBody: { valueInputOption: 'RAW', data } },
            o,
          ),
        );
        for (const [key, entry] of existing) if (entry.deleted) clears.push(key);
      } catch (error) {
        for (const [, entry] of existing) entry.writeError = error;
      }
    }

    const fresh = inserted.filter((entry) => !entry.deleted);
    const requests: object[] = [];
    if (headerNames) {
      requests.push({
        updateCells: {
          start: { sheetId, rowIndex: this.#layout.headerRow - 1, columnIndex: 0 },
          rows: [{ values: headerNames.map((name) => ({ userEnteredValue: { stringValue: name } })) }],
          fields: 'userEnteredValue',
        },
      });
    }
    const metadataIds: number[] = [];
    if (fresh.length > 0) {
      const at = table.dataEnd;
      requests.push(
        {
          insertDimension: {
            range: { sheetId, dimension: 'ROWS', startIndex: at, endIndex: at + fresh.length },
            inheritFromBefore: at > 0,
          },
        },
        {
          updateCells: {
            start: { sheetId, rowIndex: at, columnIndex: 0 },
            rows: fresh.map((entry) => ({ values: entityCells(entry.entity, header, this.#kinds) })),
            fields: 'userEnteredValue',
          },
        },
      );
      fresh.forEach((entry, i) => {
        const metadataId = newMetadataId();
        metadataIds.push(metadataId);
        requests.push(createAnchorRequest(sheetId, this.#planner.keyOf(entry.entity), at + i, metadataId));
      });
    }
    for (const key of clears) requests.push(deleteAnchorsRequest(sheetId, key));
    let after: TableSnapshot<T> | undefined;
    if (requests.length > 0) {
      try {
        const response = await this.gateway.call(
          'spreadsheets.batchUpdate',
          'write',
          (o) =>
            this.gateway.client.spreadsheets.batchUpdate(
              {
                spreadsheetId: this.gateway.spreadsheetId,
                requestBody: {
                  requests,
                  includeSpreadsheetInResponse: true,
                  responseRanges: [quoteTitle(this.#layout.sheetTitle)],
                  responseIncludeGridData: true,
                },
                fields: RESPONSE_FIELDS,
              },
              o,
            ),
          metadataIds.length > 0 ? { verify: () => anchorsExist(this.gateway, metadataIds) } : {},
        );
        after = this.#tableAfterWrite(response, existing);
      } catch (error) {
        for (const entry of fresh) entry.writeError = error;
        // The rows were emptied; only their anchors remain, which the next write replaces.
      }
    } else if (existing.length === 0) {
      after = table; // nothing was written: the read still describes the tab
    }
    if (this.mode === 'cache-first') this.#cached = this.#snapshotFrom(state, header);
    return after;
  }

  /**
   * The tab as a successful write's response shows it, for the next batch; undefined when
   * the response was not kept (a retried request confirmed by a lookup) or a write of this
   * batch failed, so that the next batch reads the tab itself.
   */
  #tableAfterWrite(
    response: Awaited<ReturnType<SheetsApiClient['spreadsheets']['batchUpdate']>> | typeof VERIFIED_APPLIED,
    existing: readonly [string, Entry][],
  ): TableSnapshot<T> | undefined {
    if (response === VERIFIED_APPLIED || existing.some(([, entry]) => entry.writeError)) return undefined;
    const read = rangeValuesFromGrid(
      response.data.updatedSpreadsheet as UpdatedSpreadsheet | undefined,
      this.#layout.sheetTitle,
    );
    if (!read) return undefined;
    try {
      return decodeTable(read, this.#layout, this.#kinds);
    } catch {
      return undefined; // something the next batch's own read will report properly
    }
  }

  /** The tab as this flush left it, for `cache-first` reads; undefined when a write failed. */
  #snapshotFrom(state: Map<string, Entry>, header: SheetHeader): TableSnapshot<T> | undefined {
    const entries = [...state.entries()];
    if (entries.some(([, e]) => e.writeError)) return undefined;
    const rows = entries
      .filter(([, e]) => !e.deleted)
      .map(([key, e]) => ({ rowIndex: e.rowIndex ?? -1, key, entity: e.entity as T }));
    return { header, rows, byKey: new Map(rows.map((r) => [r.key, r])), dataEnd: -1, gridRows: -1 };
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new UnavailableError(`The ${this.#entity.name} sheets backend is closed`, {
        entity: this.#entity.name,
      });
    }
  }

  /** Stops the refresh timer and, if the backend made its own gateway, the gateway's timers. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    if (this.#ownsGateway) this.gateway.close();
  }
}
