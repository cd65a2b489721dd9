/**
 * `reposit/sheets`: the Google Sheets backend on the official client, its gateway (quota,
 * retries, batching), and two-way sync with another repository. `@googleapis/sheets` and
 * `google-auth-library` are optional peers of this subpath.
 *
 * @module reposit/sheets
 */
export type { CellKind } from './cell-codec.js';
export { TokenBucket, type TokenBucketOptions } from './rate-limiter.js';
export { SheetsBackend, type SheetsBackendOptions, type SheetsMode } from './sheets-backend.js';
export type { MetadataData, SheetsApiClient, SpreadsheetData } from './sheets-client.js';
export { SheetsApiError, type SheetsFailure } from './sheets-errors.js';
export {
  type CallOptions,
  type GatewayStats,
  SheetsGateway,
  type SheetsGatewayOptions,
} from './sheets-gateway.js';
export type { SheetsRetryOptions } from './sheets-retry.js';
export {
  type ConflictRule,
  type SyncOptions,
  type SyncProgress,
  type SyncSide,
  syncRepositories,
} from './sheets-sync.js';
export { fileSyncState, memorySyncState, type SyncState, type SyncStateStore } from './sync-state.js';
