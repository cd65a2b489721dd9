import { randomInt } from 'node:crypto';
import { type SheetsGateway, VERIFIED_APPLIED } from './sheets-gateway.js';

/**
 * A row anchor: developer metadata on one row whose value is the row's id. Google moves
 * row metadata with its row when rows above are inserted or deleted, so a write addressed
 * to the anchor (a DataFilter) lands on the row of that id wherever it is now; a row
 * number read a moment earlier might already belong to another entity.
 */
export interface RowAnchor {
  readonly metadataId: number;
  readonly key: string;
  readonly rowIndex: number;
}

/** The metadata key of a tab's anchors (one per tab, so tabs never see each other's). */
export function anchorKey(sheetId: number): string {
  return `reposit.row-id.${sheetId}`;
}

/** A DataFilter that selects the row anchored to an id. */
export function anchorFilter(sheetId: number, key: string): object {
  return {
    developerMetadataLookup: { metadataKey: anchorKey(sheetId), metadataValue: key, locationType: 'ROW' },
  };
}

/** A fresh metadata id (positive int32) so that a retried create can be recognised. */
export function newMetadataId(): number {
  return randomInt(1, 2 ** 31 - 1);
}

/** The request that anchors an id to a row. */
export function createAnchorRequest(
  sheetId: number,
  key: string,
  rowIndex: number,
  metadataId: number,
): object {
  return {
    createDeveloperMetadata: {
      developerMetadata: {
        metadataId,
        metadataKey: anchorKey(sheetId),
        metadataValue: key,
        visibility: 'DOCUMENT',
        location: {
          dimensionRange: { sheetId, dimension: 'ROWS', startIndex: rowIndex, endIndex: rowIndex + 1 },
        },
      },
    },
  };
}

/** The request that removes every anchor of an id. */
export function deleteAnchorsRequest(sheetId: number, key: string): object {
  return {
    deleteDeveloperMetadata: {
      dataFilter: { developerMetadataLookup: { metadataKey: anchorKey(sheetId), metadataValue: key } },
    },
  };
}

/** The request that removes one anchor by its metadata id. */
export function deleteAnchorRequest(metadataId: number): object {
  return { deleteDeveloperMetadata: { dataFilter: { developerMetadataLookup: { metadataId } } } };
}

/** Every anchor of a tab, where it is now (one read request). */
export async function searchAnchors(gateway: SheetsGateway, sheetId: number): Promise<RowAnchor[]> {
  const response = await gateway.call('developerMetadata.search', 'read', (o) =>
    gateway.client.spreadsheets.developerMetadata.search(
      {
        spreadsheetId: gateway.spreadsheetId,
        requestBody: {
          dataFilters: [
            { developerMetadataLookup: { metadataKey: anchorKey(sheetId), locationType: 'ROW' } },
          ],
        },
      },
      o,
    ),
  );
  if (response === VERIFIED_APPLIED) return [];
  const anchors: RowAnchor[] = [];
  for (const match of response.data.matchedDeveloperMetadata ?? []) {
    const meta = match.developerMetadata;
    const start = meta?.location?.dimensionRange?.startIndex;
    if (meta?.metadataId == null || meta.metadataValue == null || start == null) continue;
    anchors.push({ metadataId: meta.metadataId, key: meta.metadataValue, rowIndex: start });
  }
  return anchors;
}

/** Whether any of these metadata ids exists (a non-idempotent write took effect). */
export async function anchorsExist(gateway: SheetsGateway, metadataIds: readonly number[]): Promise<boolean> {
  if (metadataIds.length === 0) return false;
  const response = await gateway.call('developerMetadata.search', 'read', (o) =>
    gateway.client.spreadsheets.developerMetadata.search(
      {
        spreadsheetId: gateway.spreadsheetId,
        requestBody: {
          dataFilters: metadataIds.map((metadataId) => ({ developerMetadataLookup: { metadataId } })),
        },
      },
      o,
    ),
  );
  return response !== VERIFIED_APPLIED && (response.data.matchedDeveloperMetadata?.length ?? 0) > 0;
}
