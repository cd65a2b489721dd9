/**
 * `reposit/testing`: what users import for their own tests — the backend conformance
 * suite (vitest) and, from the Sheets work, a local Sheets API emulator.
 *
 * @module reposit/testing
 */

export type { ConformanceInstance, ConformanceTarget, WidgetInput } from './conformance.js';
export { runBackendConformance, Widget, widget, widgetId } from './conformance.js';
export type { PgliteClient, PgliteDatabase, PgliteQueryResult } from './pglite-pool.js';
export { PglitePool } from './pglite-pool.js';
export type { A1Range } from './sheets-emulator/a1-range.js';
export {
  A1ParseError,
  columnIndex,
  columnLetters,
  formatA1,
  parseA1,
  quoteSheetTitle,
} from './sheets-emulator/a1-range.js';
export { EmulatorApiError } from './sheets-emulator/emulator-error.js';
export type { FaultSpec, QuotaKind, QuotaOptions } from './sheets-emulator/emulator-faults.js';
export { EmulatorFaults } from './sheets-emulator/emulator-faults.js';
export type { CellValue } from './sheets-emulator/emulator-store.js';
export type {
  EmulatorSheetSeed,
  SheetsEmulator,
  SheetsEmulatorOptions,
} from './sheets-emulator/sheets-emulator.js';
export { startSheetsEmulator } from './sheets-emulator/sheets-emulator.js';
