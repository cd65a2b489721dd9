import { RepositoryError } from '../../errors.js';

/**
 * An anchor turned out to sit on another row: the write batch is read and planned again.
 * Internal to the Sheets backend; callers see a `ConflictError` if it persists.
 *
 * @example
 * ```ts
 * if (error instanceof StaleAnchorError) return flush(batch, attempt + 1);
 * ```
 */
export class StaleAnchorError extends RepositoryError {
  // Brands are how reposit errors answer instanceof; without its own, every
  // RepositoryError would pass for this one.
  static override readonly kind: string = 'SheetsStaleAnchorError';
  constructor() {
    super('A row anchor moved before it could be verified', 'E_SHEETS_STALE_ANCHOR', { retryable: true });
  }
}
