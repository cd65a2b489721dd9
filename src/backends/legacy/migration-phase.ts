/**
 * The steps of a migration, in order. Every step keeps the legacy side written except
 * `new-only`, which is what makes each step reversible: stepping back never finds the
 * legacy side behind.
 *
 * - `legacy-only`: reads and writes go to legacy.
 * - `dual-write`: reads from the primary side (legacy by default); writes go to both.
 * - `shadow-read`: as dual-write, and every read also reads the other side and compares.
 * - `new-primary`: reads from new (legacy serves them when new fails); writes go to both.
 * - `new-only`: reads and writes go to new.
 *
 * @example
 * ```ts
 * const phase: MigrationPhase = 'shadow-read';
 * ```
 */
export type MigrationPhase = 'legacy-only' | 'dual-write' | 'shadow-read' | 'new-primary' | 'new-only';

/**
 * The phases in migration order.
 *
 * @example
 * ```ts
 * MIGRATION_PHASES.indexOf('dual-write'); // 1
 * ```
 */
export const MIGRATION_PHASES: readonly MigrationPhase[] = Object.freeze([
  'legacy-only',
  'dual-write',
  'shadow-read',
  'new-primary',
  'new-only',
]);

/**
 * One side of a migration.
 *
 * @example
 * ```ts
 * const primary: MigrationSide = adapter.phaseOf(id) === 'new-primary' ? 'new' : 'legacy';
 * ```
 */
export type MigrationSide = 'legacy' | 'new';

/**
 * What a phase does, as the adapter executes it.
 *
 * @example
 * ```ts
 * phaseBehaviour('shadow-read', 'legacy'); // { read: 'legacy', shadow: 'new', writePrimary: 'legacy', writeSecondary: 'new', fallback: undefined }
 * ```
 */
export interface PhaseBehaviour {
  /** The side whose answer a read returns. */
  readonly read: MigrationSide;
  /** The side read in the background and compared, if any. */
  readonly shadow: MigrationSide | undefined;
  /** The side a write goes to first; its result is returned. */
  readonly writePrimary: MigrationSide;
  /** The side a write is copied to afterwards, if any. */
  readonly writeSecondary: MigrationSide | undefined;
  /** The side a read falls back to when the read side fails or its breaker is open. */
  readonly fallback: MigrationSide | undefined;
}

/**
 * The behaviour of a phase. `primary` chooses the primary side of the two phases where
 * both sides are written and legacy is still read (`dual-write`, `shadow-read`).
 *
 * @example
 * ```ts
 * phaseBehaviour('new-primary'); // reads new, falls back to legacy, writes new then legacy
 * ```
 */
export function phaseBehaviour(phase: MigrationPhase, primary: MigrationSide = 'legacy'): PhaseBehaviour {
  const other: MigrationSide = primary === 'legacy' ? 'new' : 'legacy';
  switch (phase) {
    case 'legacy-only':
      return {
        read: 'legacy',
        shadow: undefined,
        writePrimary: 'legacy',
        writeSecondary: undefined,
        fallback: undefined,
      };
    case 'dual-write':
      return {
        read: primary,
        shadow: undefined,
        writePrimary: primary,
        writeSecondary: other,
        fallback: undefined,
      };
    case 'shadow-read':
      return {
        read: primary,
        shadow: other,
        writePrimary: primary,
        writeSecondary: other,
        fallback: undefined,
      };
    case 'new-primary':
      return {
        read: 'new',
        shadow: undefined,
        writePrimary: 'new',
        writeSecondary: 'legacy',
        fallback: 'legacy',
      };
    case 'new-only':
      return {
        read: 'new',
        shadow: undefined,
        writePrimary: 'new',
        writeSecondary: undefined,
        fallback: undefined,
      };
  }
}
