import type { FieldDiff } from './comparison.js';
import { type LatencySnapshot, LatencyStats } from './latency-stats.js';
import type { MigrationPhase, MigrationSide } from './migration-phase.js';

/**
 * How one shadow comparison ended.
 *
 * @example
 * ```ts
 * const bad: ShadowOutcome[] = ['mismatched', 'error', 'timeout'];
 * ```
 */
export type ShadowOutcome = 'matched' | 'mismatched' | 'ignored' | 'error' | 'timeout';

/**
 * One shadow read: what was asked, what each side took and what differed.
 *
 * @example
 * ```ts
 * adapter.events.on('observation', (o) => { if (o.outcome === 'mismatched') log.warn(o, 'legacy and new disagree'); });
 * ```
 */
export interface ShadowObservation {
  readonly operation: 'findByIds' | 'find' | 'count';
  /** The ids or the query, for context. */
  readonly input: unknown;
  readonly phase: MigrationPhase;
  /** The side whose answer the caller got. */
  readonly primary: MigrationSide;
  readonly outcome: ShadowOutcome;
  readonly diffs: readonly FieldDiff[];
  /** Milliseconds each side took; undefined for a shadow that timed out or failed. */
  readonly legacyMs: number | undefined;
  readonly newMs: number | undefined;
  /** The shadow's error message, for `error` outcomes. */
  readonly error: string | undefined;
  readonly at: Date;
}

/**
 * The comparison counters, timings and a sample of mismatches.
 *
 * @example
 * ```ts
 * const report = adapter.comparisonReport();
 * console.log(report.mismatched, report.sample[0]?.diffs);
 * ```
 */
export interface ComparisonReport {
  readonly matched: number;
  readonly mismatched: number;
  readonly ignored: number;
  readonly errors: number;
  readonly timeouts: number;
  /** The most recent mismatches, at most `sampleSize`, oldest first. */
  readonly sample: readonly ShadowObservation[];
  readonly timings: { readonly legacy: LatencySnapshot; readonly new: LatencySnapshot };
}

/**
 * Accumulates shadow observations: counters, per-side timings and a capped ring of the
 * latest mismatches, so memory stays flat.
 *
 * @example
 * ```ts
 * const recorder = new ComparisonRecorder(50);
 * recorder.record(observation);
 * recorder.report().mismatched;
 * ```
 */
export class ComparisonRecorder {
  readonly #sampleSize: number;
  readonly #sample: ShadowObservation[] = [];
  readonly #counts: Record<ShadowOutcome, number> = {
    matched: 0,
    mismatched: 0,
    ignored: 0,
    error: 0,
    timeout: 0,
  };
  readonly #legacy = new LatencyStats();
  readonly #new = new LatencyStats();

  constructor(sampleSize = 50) {
    this.#sampleSize = sampleSize;
  }

  /** Counts one shadow comparison (and keeps it in the sample when it mismatched). */
  record(observation: ShadowObservation): void {
    this.#counts[observation.outcome]++;
    if (observation.legacyMs !== undefined) this.#legacy.record(observation.legacyMs);
    if (observation.newMs !== undefined) this.#new.record(observation.newMs);
    if (observation.outcome === 'mismatched' && this.#sampleSize > 0) {
      if (this.#sample.length === this.#sampleSize) this.#sample.shift();
      this.#sample.push(observation);
    }
  }

  /** The counts, latencies and the sample of mismatches so far. */
  report(): ComparisonReport {
    return {
      matched: this.#counts.matched,
      mismatched: this.#counts.mismatched,
      ignored: this.#counts.ignored,
      errors: this.#counts.error,
      timeouts: this.#counts.timeout,
      sample: [...this.#sample],
      timings: { legacy: this.#legacy.snapshot(), new: this.#new.snapshot() },
    };
  }
}
