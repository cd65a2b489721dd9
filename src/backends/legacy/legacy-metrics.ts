/**
 * What a {@link LegacyAdapter} has done so far.
 *
 * @example
 * ```ts
 * const { fallbacks, lazyMigrations, outboxPending } = await adapter.metrics();
 * ```
 */
export interface LegacyMetricsSnapshot {
  /** Reads answered by each side (fallbacks included). */
  readonly reads: { readonly legacy: number; readonly new: number };
  /** Reads served by legacy because new failed or its breaker was open. */
  readonly fallbacks: number;
  /** Of those, the reads that did not even try new because the breaker was open. */
  readonly breakerOpenFallbacks: number;
  /** Records copied to new by the hybrid strategy on a miss. */
  readonly lazyMigrations: number;
  /** Legacy records that failed to convert. */
  readonly deadLetters: number;
  /** Secondary writes that succeeded on the first try. */
  readonly secondaryWrites: number;
  /** Secondary writes that failed on the first try. */
  readonly secondaryFailures: number;
  /** Secondary writes delivered later by the outbox. */
  readonly outboxDelivered: number;
  /** Outbox entries waiting now. */
  readonly outboxPending: number;
  /** The new side's breaker. */
  readonly breaker: 'closed' | 'open' | 'half-open';
}

/**
 * Mutable counters behind {@link LegacyMetricsSnapshot}.
 *
 * @example
 * ```ts
 * const counters = new LegacyCounters();
 * counters.fallbacks++;
 * ```
 */
export class LegacyCounters {
  readonly reads = { legacy: 0, new: 0 };
  fallbacks = 0;
  breakerOpenFallbacks = 0;
  lazyMigrations = 0;
  deadLetters = 0;
  secondaryWrites = 0;
  secondaryFailures = 0;
  outboxDelivered = 0;
}
