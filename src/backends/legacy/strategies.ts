import { allCohort, type Cohort } from './cohort.js';
import type { MigrationPhase, MigrationSide } from './migration-phase.js';

/**
 * A migration strategy: a configuration of the one phase machine. Build one with
 * {@link bigBang}, {@link phased}, {@link parallel} or {@link hybrid}, or write your own.
 *
 * @example
 * ```ts
 * const strategy: MigrationStrategy<Customer, string> = { name: 'custom', initialPhase: 'dual-write' };
 * ```
 */
export interface MigrationStrategy<T extends object, ID> {
  /** For logs and reports. */
  readonly name: string;
  /** The phase the machine starts in. */
  readonly initialPhase: MigrationPhase;
  /** The ids the machine's phase applies to. @default allCohort() */
  readonly cohort?: Cohort<T, ID>;
  /** The phase of the ids outside the cohort. @default 'dual-write' */
  readonly outsidePhase?: MigrationPhase;
  /** In `new-primary`, read a miss from legacy and copy it to new. @default false */
  readonly lazyMigration?: boolean;
  /** The primary side of `dual-write` and `shadow-read`. @default 'legacy' */
  readonly primary?: MigrationSide;
}

/**
 * Big-bang: stay on legacy, backfill everything, check the reconciliation report, then
 * switch every read and write at once (`machine.moveTo('new-only')`).
 *
 * @example
 * ```ts
 * const adapter = new LegacyAdapter({ ..., strategy: bigBang() });
 * await new BackfillJob({ ... }).run();
 * adapter.machine.moveTo('new-only', 'backfill reconciled');
 * ```
 */
export function bigBang<T extends object, ID>(): MigrationStrategy<T, ID> {
  return { name: 'big-bang', initialPhase: 'legacy-only' };
}

/**
 * Options of {@link phased}.
 *
 * @example
 * ```ts
 * phased<Order, number>({ cohort: idRangeCohort({ idField: 'id', to: 100_000 }), outsidePhase: 'legacy-only' });
 * ```
 */
export interface PhasedOptions<T extends object, ID> {
  /** The ids that move first (an id range, tenants, or a sticky hash percentage). */
  readonly cohort: Cohort<T, ID>;
  /** Where the cohort starts. @default 'dual-write' */
  readonly initialPhase?: MigrationPhase;
  /** Where every other id stays. @default 'dual-write' */
  readonly outsidePhase?: MigrationPhase;
}

/**
 * Phased: a cohort of ids walks the phases while the rest stays behind; widen the
 * cohort (`adapter.setCohort(...)`) as confidence grows.
 *
 * @example
 * ```ts
 * const adapter = new LegacyAdapter({ ..., strategy: phased({ cohort: hashPercentageCohort({ percent: 10 }) }) });
 * adapter.machine.moveTo('new-primary');
 * ```
 */
export function phased<T extends object, ID>(options: PhasedOptions<T, ID>): MigrationStrategy<T, ID> {
  return {
    name: 'phased',
    initialPhase: options.initialPhase ?? 'dual-write',
    cohort: options.cohort,
    outsidePhase: options.outsidePhase ?? 'dual-write',
  };
}

/**
 * Parallel: write both sides and read both, comparing every read, while the primary
 * side answers; advance when the cut-over gate opens.
 *
 * @example
 * ```ts
 * const adapter = new LegacyAdapter({ ..., strategy: parallel() });
 * if (adapter.gate.status().open) adapter.machine.advance('gate open');
 * ```
 */
export function parallel<T extends object, ID>(
  options: { readonly primary?: MigrationSide } = {},
): MigrationStrategy<T, ID> {
  return {
    name: 'parallel',
    initialPhase: 'shadow-read',
    primary: options.primary ?? 'legacy',
    cohort: allCohort(),
  };
}

/**
 * Hybrid (strangler fig): reads go to new; a miss is read from legacy and copied to new
 * on the way, so the data moves as it is used (a backfill can sweep the rest).
 *
 * @example
 * ```ts
 * const adapter = new LegacyAdapter({ ..., strategy: hybrid() });
 * ```
 */
export function hybrid<T extends object, ID>(): MigrationStrategy<T, ID> {
  return { name: 'hybrid', initialPhase: 'new-primary', lazyMigration: true };
}
