import { formatPrometheus, type MetricFamily } from '../observability/prometheus-format.js';
import type { CacheCounters } from './cache-counters.js';
import type { BreakerState } from './circuit-breaker.js';

/**
 * A snapshot of a CacheManager's counters (see `CacheManager.stats()`).
 *
 * @example
 * ```ts
 * const { l1, l2, bus } = cache.stats();
 * log.info({ hitRatio: l1.hits / (l1.hits + l1.misses), breaker: l2.breaker, busP99: bus.delayMs.p99 });
 * ```
 */
export interface CacheStats {
  readonly l1: {
    readonly hits: number;
    readonly misses: number;
    readonly size: number;
    readonly bytes: number;
  };
  readonly l2: {
    readonly enabled: boolean;
    readonly hits: number;
    readonly misses: number;
    readonly errors: number;
    /** Calls not made because the breaker was open. */
    readonly skipped: number;
    /** Values refused because their signature did not verify (each also counts as a miss). */
    readonly rejected: number;
    readonly breaker: BreakerState | 'none';
  };
  readonly staleServed: number;
  readonly loads: number;
  readonly loadErrors: number;
  /** Write-backs refused because a write landed while the value loaded (the race, closed). */
  readonly writeBacksRefused: number;
  readonly invalidations: number;
  /** L2 invalidations waiting for a retry. */
  readonly pendingRetries: number;
  readonly bus: {
    readonly received: number;
    readonly reconnects: number;
    /** Delivery delay percentiles of received messages, milliseconds (NaN before any). */
    readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  };
}

/** Builds a {@link CacheStats} snapshot. */
export function snapshotStats(
  counters: CacheCounters,
  l1: { size: number; bytes: number },
  breaker: BreakerState | undefined,
): CacheStats {
  const delays = [...counters.busDelays].sort((a, b) => a - b);
  return {
    l1: { hits: counters.l1Hits, misses: counters.l1Misses, size: l1.size, bytes: l1.bytes },
    l2: {
      enabled: breaker !== undefined,
      hits: counters.l2Hits,
      misses: counters.l2Misses,
      errors: counters.l2Errors,
      skipped: counters.l2Skipped,
      rejected: counters.l2Rejected,
      breaker: breaker ?? 'none',
    },
    staleServed: counters.staleServed,
    loads: counters.loads,
    loadErrors: counters.loadErrors,
    writeBacksRefused: counters.writeBacksRefused,
    invalidations: counters.invalidations,
    pendingRetries: counters.pendingRetries,
    bus: {
      received: counters.busReceived,
      reconnects: counters.busReconnects,
      delayMs: {
        p50: percentile(delays, 0.5),
        p99: percentile(delays, 0.99),
        max: delays.at(-1) ?? Number.NaN,
      },
    },
  };
}

/**
 * The value at quantile `q` of sorted numbers (nearest rank); NaN when empty.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 0.5); // 2
 * ```
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Renders stats in the Prometheus text exposition format (version 0.0.4). For every
 * component of an application at once (connections, caches, Sheets), see
 * `renderPrometheusMetrics`.
 *
 * @example
 * ```ts
 * app.get('/metrics', (_req, res) => res.type('text/plain').send(renderPrometheus(cache.stats())));
 * ```
 */
export function renderPrometheus(stats: CacheStats, prefix = 'reposit_cache'): string {
  return formatPrometheus(cacheMetricFamilies(stats), prefix);
}

/**
 * The metric families of a cache's stats (names without a prefix, e.g. `hits_total`),
 * every sample carrying `labels` too.
 *
 * @example
 * ```ts
 * const families = cacheMetricFamilies(cache.stats(), { cache: 'shop' });
 * ```
 */
export function cacheMetricFamilies(
  stats: CacheStats,
  labels: Readonly<Record<string, string>> = {},
): MetricFamily[] {
  const families: MetricFamily[] = [];
  const metric = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: [Record<string, string>, number][],
  ) => {
    families.push({
      name,
      type,
      help,
      samples: samples.map(([own, value]) => ({ labels: { ...labels, ...own }, value })),
    });
  };
  metric('hits_total', 'counter', 'Cache hits per tier.', [
    [{ tier: 'l1' }, stats.l1.hits],
    [{ tier: 'l2' }, stats.l2.hits],
  ]);
  metric('misses_total', 'counter', 'Cache misses per tier.', [
    [{ tier: 'l1' }, stats.l1.misses],
    [{ tier: 'l2' }, stats.l2.misses],
  ]);
  metric('errors_total', 'counter', 'Failed tier operations (callers were not failed).', [
    [{ tier: 'l2' }, stats.l2.errors],
  ]);
  metric('skipped_total', 'counter', 'Tier calls skipped while the breaker was open.', [
    [{ tier: 'l2' }, stats.l2.skipped],
  ]);
  metric('rejected_total', 'counter', 'Values refused because their signature did not verify.', [
    [{ tier: 'l2' }, stats.l2.rejected],
  ]);
  metric(
    'breaker_state',
    'gauge',
    'Circuit breaker state per tier (0 closed, 1 half-open, 2 open).',
    stats.l2.enabled
      ? [[{ tier: 'l2' }, { closed: 0, 'half-open': 1, open: 2, none: 0 }[stats.l2.breaker]]]
      : [],
  );
  metric('stale_served_total', 'counter', 'Stale values served during grace.', [[{}, stats.staleServed]]);
  metric('loads_total', 'counter', 'Loader runs.', [
    [{ result: 'ok' }, stats.loads],
    [{ result: 'error' }, stats.loadErrors],
  ]);
  metric('write_backs_refused_total', 'counter', 'Write-backs refused because a write landed meanwhile.', [
    [{}, stats.writeBacksRefused],
  ]);
  metric('invalidations_total', 'counter', 'Keys invalidated by this process.', [[{}, stats.invalidations]]);
  metric('pending_retries', 'gauge', 'L2 invalidations waiting for a retry.', [[{}, stats.pendingRetries]]);
  metric('l1_entries', 'gauge', 'Entries held in L1.', [[{}, stats.l1.size]]);
  metric('l1_bytes', 'gauge', 'Bytes held in L1.', [[{}, stats.l1.bytes]]);
  metric('bus_received_total', 'counter', 'Invalidation messages received.', [[{}, stats.bus.received]]);
  metric('bus_reconnects_total', 'counter', 'Bus reconnections (each cleared L1).', [
    [{}, stats.bus.reconnects],
  ]);
  metric('bus_delay_ms', 'gauge', 'Bus delivery delay percentiles in milliseconds.', [
    [{ quantile: '0.5' }, stats.bus.delayMs.p50],
    [{ quantile: '0.99' }, stats.bus.delayMs.p99],
    [{ quantile: '1' }, stats.bus.delayMs.max],
  ]);
  return families;
}
