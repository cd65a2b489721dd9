import type { Backend } from '../../repository/backend.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';
import type { Comparator, FieldDiff, Normaliser } from './comparison.js';
import type { ShadowObservation } from './comparison-recorder.js';
import type { CutOverGateOptions } from './cut-over-gate.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { LegacyMapper } from './legacy-mapper.js';
import type { LegacyStoreOptions, MigrationEntity } from './legacy-store.js';
import type { MigrationSide } from './migration-phase.js';
import type { TransitionGuard } from './migration-state-machine.js';
import type { SecondaryWriteOptions } from './secondary-writer.js';
import type { MigrationStrategy } from './strategies.js';

/**
 * How reads are compared in `shadow-read`.
 *
 * @example
 * ```ts
 * comparison: { normalisers: [ignoreTimestamps(Customer)], timeoutMs: 200, sampleRate: 0.1, ignore: (diffs) => diffs.every((d) => d.path.endsWith('.note')) }
 * ```
 */
export interface ComparisonOptions {
  /** Lists the differing fields of one entity. @default diffEntities */
  readonly comparator?: Comparator;
  /** Applied to both sides before comparing (drop timestamps, generated fields …). @default [] */
  readonly normalisers?: readonly Normaliser[];
  /** Counts a mismatch as ignored (an expected difference) instead. @default undefined */
  readonly ignore?: (diffs: readonly FieldDiff[]) => boolean;
  /** Milliseconds the shadow side may take. @default 1000 */
  readonly timeoutMs?: number;
  /** Share of reads that are also run on the shadow side, 0 to 1. @default 1 */
  readonly sampleRate?: number;
  /** How many recent mismatches the report keeps. @default 50 */
  readonly sampleSize?: number;
}

/**
 * Options of {@link LegacyAdapter}.
 *
 * @example
 * ```ts
 * const options: LegacyAdapterOptions<LegacyCustomer, Customer, string, string> = { entity: Customer, legacy, target, mapper, strategy: hybrid() };
 * ```
 */
export interface LegacyAdapterOptions<L extends object, T extends object, ID, LID> {
  /** The new entity, from `defineEntity`; its schema validates every converted record. */
  readonly entity: MigrationEntity<T>;
  /** The old store, holding legacy records. */
  readonly legacy: Backend<L, LID>;
  /** The new store, holding entities. */
  readonly target: Backend<T, ID>;
  /** Converts between the two. */
  readonly mapper: LegacyMapper<L, T, ID, LID>;
  /** The strategy: which phase, which ids, lazy migration. @default { name: 'custom', initialPhase: 'legacy-only' } */
  readonly strategy?: MigrationStrategy<NoInfer<T>, NoInfer<ID>>;
  /** Refuses phase moves. @default undefined */
  readonly guard?: TransitionGuard;
  /** Refuse `shadow-read` → `new-primary` until the cut-over gate is open. @default false */
  readonly requireGate?: boolean;
  /** Where records that fail to convert go. @default new MemoryDeadLetterStore() */
  readonly deadLetters?: DeadLetterStore;
  /** Shadow comparison. @default {} */
  readonly comparison?: ComparisonOptions;
  /** The cut-over gate. @default {} (window 1000, under 0.1%) */
  readonly gate?: CutOverGateOptions;
  /** Secondary writes. @default { policy: 'fail' } */
  readonly secondaryWrites?: SecondaryWriteOptions;
  /** The new side's breaker, used for legacy fallback in `new-primary`. @default {} */
  readonly breaker?: CircuitBreakerOptions;
  /** How the legacy side is read. @default {} */
  readonly legacyStore?: LegacyStoreOptions;
}

/**
 * Events of a {@link LegacyAdapter}; all are emitted off the caller's path or after the fact.
 *
 * @example
 * ```ts
 * adapter.events.on('fallback', ({ operation, error }) => log.warn({ operation, err: error }, 'served from legacy'));
 * ```
 */
export interface LegacyAdapterEvents {
  /** A shadow read was compared. */
  observation: ShadowObservation;
  /** A read was served by legacy because new failed or its breaker was open. */
  fallback: { readonly operation: string; readonly error: unknown };
  /** A secondary write failed and was queued. */
  queued: { readonly side: MigrationSide; readonly id: unknown; readonly error: unknown };
}
