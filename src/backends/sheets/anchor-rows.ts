import { ValidationError } from '../../errors.js';
import { type CellKind, decodeCell } from './cell-codec.js';
import {
  anchorsExist,
  createAnchorRequest,
  deleteAnchorRequest,
  newMetadataId,
  type RowAnchor,
} from './row-anchors.js';
import { idKey } from './sheet-table.js';
import { type SheetsGateway, VERIFIED_APPLIED } from './sheets-gateway.js';
import { StaleAnchorError } from './stale-anchor-error.js';

/** How far (in rows) a row may move between a read and the anchor placement that follows it. */
const ANCHOR_DRIFT = 3;

/**
 * What {@link ensureAnchors} needs: the rows about to be written (id and where the read
 * found them), the anchors the same flush found, and how to read an id cell.
 *
 * @example
 * ```ts
 * const plan: AnchorPlan = { sheetId: 0, entries: [{ key: '42', rowIndex: 7 }], anchors, idColumn: 0, idKind: 'number', firstDataRow: 1, gridRows: 1000 };
 * ```
 */
export interface AnchorPlan {
  readonly sheetId: number;
  readonly entries: readonly { readonly key: string; readonly rowIndex: number }[];
  readonly anchors: readonly RowAnchor[];
  readonly idColumn: number;
  readonly idKind: CellKind;
  /** Zero-based index of the first row below the header. */
  readonly firstDataRow: number;
  /** Rows in the grid when the flush read the tab. */
  readonly gridRows: number;
}

/**
 * Makes sure every row about to be written has exactly one anchor, on the row that holds
 * its id. Rows without one (typed in by a person, or written by an older process) get
 * candidate anchors on the row the read found and its neighbours (the row may move
 * between the read and this request); all are read back, the one on the row holding the
 * id stays and the others go. Existing anchors the flush's two reads disagree about are
 * read back too. Nothing is written through an anchor before it is verified; when a row
 * cannot be anchored yet, {@link StaleAnchorError} asks the caller to plan again.
 *
 * @example
 * ```ts
 * await ensureAnchors(gateway, plan); // throws StaleAnchorError when rows moved too far
 * ```
 */
export async function ensureAnchors(gateway: SheetsGateway, plan: AnchorPlan): Promise<void> {
  const { sheetId, entries, anchors, idColumn, idKind, firstDataRow, gridRows } = plan;
  if (entries.length === 0) return;
  const byKey = new Map<string, RowAnchor[]>();
  for (const anchor of anchors) byKey.set(anchor.key, [...(byKey.get(anchor.key) ?? []), anchor]);
  const requests: object[] = [];
  // Anchors to read back before anything is written through them: candidates for rows
  // that have none, and existing ones the two reads of this flush disagree about.
  const candidates: { key: string; metadataId: number }[] = [];
  const created: number[] = [];
  for (const { key, rowIndex: readAt } of entries) {
    const own = byKey.get(key) ?? [];
    if (own.length === 1) {
      if (own[0]!.rowIndex !== readAt) candidates.push({ key, metadataId: own[0]!.metadataId });
      continue;
    }
    for (const stale of own) requests.push(deleteAnchorRequest(stale.metadataId));
    // Rows inserted or deleted above this one between our read and this request move
    // it a little; one candidate per nearby row, and the read-back keeps the right one.
    for (let drift = -ANCHOR_DRIFT; drift <= ANCHOR_DRIFT; drift += 1) {
      const rowIndex = readAt + drift;
      if (rowIndex < firstDataRow || rowIndex >= gridRows) continue;
      const metadataId = newMetadataId();
      candidates.push({ key, metadataId });
      created.push(metadataId);
      requests.push(createAnchorRequest(sheetId, key, rowIndex, metadataId));
    }
  }
  if (requests.length > 0) {
    try {
      await gateway.call(
        'spreadsheets.batchUpdate',
        'write',
        (o) =>
          gateway.client.spreadsheets.batchUpdate(
            { spreadsheetId: gateway.spreadsheetId, requestBody: { requests } },
            o,
          ),
        { verify: () => anchorsExist(gateway, created) },
      );
    } catch (error) {
      // Rows deleted meanwhile can leave a candidate past the end of the grid.
      if (error instanceof ValidationError) throw new StaleAnchorError();
      throw error;
    }
  }
  if (candidates.length === 0) return;
  const response = await gateway.call('values.batchGetByDataFilter', 'read', (o) =>
    gateway.client.spreadsheets.values.batchGetByDataFilter(
      {
        spreadsheetId: gateway.spreadsheetId,
        requestBody: {
          dataFilters: candidates.map((c) => ({ developerMetadataLookup: { metadataId: c.metadataId } })),
          valueRenderOption: 'UNFORMATTED_VALUE',
          dateTimeRenderOption: 'SERIAL_NUMBER',
        },
      },
      o,
    ),
  );
  const found = new Map<number, unknown>();
  for (const match of response === VERIFIED_APPLIED ? [] : (response.data.valueRanges ?? [])) {
    const filter = match.dataFilters?.[0] as
      | { developerMetadataLookup?: { metadataId?: number } }
      | undefined;
    const metadataId = filter?.developerMetadataLookup?.metadataId;
    if (metadataId !== undefined) found.set(metadataId, match.valueRange?.values?.[0]?.[idColumn]);
  }
  const anchored = new Set<string>();
  const wrong: number[] = [];
  for (const c of candidates) {
    const decoded = decodeCell(found.get(c.metadataId), idKind);
    if (decoded !== undefined && idKey(decoded) === c.key && !anchored.has(c.key)) anchored.add(c.key);
    else wrong.push(c.metadataId);
  }
  if (wrong.length > 0) {
    // Candidates on other rows go; the ones that found their row stay (also for a retry).
    await gateway.call('spreadsheets.batchUpdate', 'write', (o) =>
      gateway.client.spreadsheets.batchUpdate(
        {
          spreadsheetId: gateway.spreadsheetId,
          requestBody: { requests: wrong.map(deleteAnchorRequest) },
        },
        o,
      ),
    );
  }
  if (candidates.some((c) => !anchored.has(c.key))) throw new StaleAnchorError();
}
