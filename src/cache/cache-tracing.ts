import { activeTracer, SPAN_KIND, type SpanAttributeValue, traced } from '../observability/tracing.js';
import type { CacheCore, KeyLoader, ReadOutcome } from './cache-core.js';

type Timing = ReturnType<CacheCore['timing']>;

/**
 * Whether cache calls are traced now: when they are not, callers keep their
 * allocation-free L1 fast paths.
 *
 * @example
 * ```ts
 * if (!cacheTracing()) return core.freshInL1(key);
 * ```
 */
export function cacheTracing(): boolean {
  return activeTracer() !== undefined;
}

/**
 * {@link CacheCore.read} inside a `cache.*` span that says how the keys were served:
 * `reposit.cache.hit_level` (`l1`, `l2`, `stale`, `loader` or `miss`) for one key, and
 * the counts per level (`reposit.cache.l1_hits` …) for several. Keys are not recorded:
 * they may carry data (an e-mail address as a key).
 *
 * @example
 * ```ts
 * const [value] = await tracedRead(core, 'cache.getOrLoad', { 'reposit.cache.namespace': 'shop' }, [key], load, timing);
 * ```
 */
export function tracedRead(
  core: CacheCore,
  name: string,
  attributes: Record<string, SpanAttributeValue | undefined>,
  keys: readonly string[],
  load: KeyLoader | undefined,
  timing: Timing,
  coalesce?: boolean,
): Promise<unknown[]> {
  if (!cacheTracing()) return core.read(keys, load, timing, coalesce);
  return traced(
    name,
    SPAN_KIND.internal,
    { ...attributes, 'reposit.cache.keys': keys.length },
    async (span) => {
      if (span === undefined) return core.read(keys, load, timing, coalesce);
      const outcome: ReadOutcome = { l1: 0, l2: 0, stale: 0, loaded: 0, missed: 0 };
      try {
        return await core.read(keys, load, timing, coalesce, outcome);
      } finally {
        if (keys.length === 1) span.setAttribute('reposit.cache.hit_level', hitLevel(outcome));
        span.setAttribute('reposit.cache.l1_hits', outcome.l1);
        span.setAttribute('reposit.cache.l2_hits', outcome.l2);
        span.setAttribute('reposit.cache.stale', outcome.stale);
        span.setAttribute('reposit.cache.loaded', outcome.loaded);
        span.setAttribute('reposit.cache.missed', outcome.missed);
      }
    },
  );
}

/**
 * A cache write or invalidation inside a `cache.*` span.
 *
 * @example
 * ```ts
 * await tracedWrite('cache.set', { 'reposit.cache.keys': 1 }, () => core.write(writes, timing));
 * ```
 */
export function tracedWrite(
  name: string,
  attributes: Record<string, SpanAttributeValue | undefined>,
  work: () => Promise<void>,
): Promise<void> {
  return traced(name, SPAN_KIND.internal, attributes, () => work());
}

function hitLevel(outcome: ReadOutcome): string {
  if (outcome.l1 > 0) return 'l1';
  if (outcome.l2 > 0) return 'l2';
  if (outcome.stale > 0) return 'stale';
  if (outcome.loaded > 0) return 'loader';
  return 'miss';
}
