import { RepositoryError } from '../../../errors.js';

/**
 * One migration that ran (or was due to run) in a migrator call.
 *
 * @example
 * ```ts
 * const step: MigrationStep = { name: '20240315_093000_create_users', direction: 'up', status: 'done' };
 * ```
 */
export interface MigrationStep {
  readonly name: string;
  readonly direction: 'up' | 'down';
  /** `done`; `failed` (its changes were rolled back); `skipped` (not run because an earlier one failed). */
  readonly status: 'done' | 'failed' | 'skipped';
}

/**
 * A migration run failed. Migrations run in one transaction on PostgreSQL, so a
 * failure leaves the schema as it was before the call; `steps` says which migration
 * failed and which were not run, `cause` holds the database error.
 *
 * @example
 * ```ts
 * try { await migrator.latest(); }
 * catch (e) { if (e instanceof MigrationError) console.error(e.migration, e.message); }
 * // MigrationError: migration 20240315_093000_create_users failed: relation "users" already exists
 * ```
 */
export class MigrationError extends RepositoryError {
  static override readonly kind: string = 'MigrationError';
  /** The migration that failed, when one did (else the run failed before any started). */
  readonly migration: string | undefined;
  /** Every migration the call was about, with what happened to it. */
  readonly steps: readonly MigrationStep[];

  constructor(
    message: string,
    context: { migration?: string; steps?: readonly MigrationStep[]; cause?: unknown } = {},
  ) {
    super(message, 'E_MIGRATION', { cause: context.cause });
    this.migration = context.migration;
    this.steps = context.steps ?? [];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), migration: this.migration, steps: this.steps };
  }
}
