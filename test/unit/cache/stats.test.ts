import { describe, expect, it } from 'vitest';
import { CacheManager } from '../../../src/cache/cache-manager.js';
import { percentile, renderPrometheus } from '../../../src/cache/cache-stats.js';
import { CircuitBreaker } from '../../../src/cache/circuit-breaker.js';

describe('stats, events and the Prometheus renderer', () => {
  it('counts hits, misses, loads, load errors and stale values, and emits typed events', async () => {
    const cache = new CacheManager({ namespace: 'stats', ttl: 20, grace: 10_000, jitter: 0 });
    const seen: string[] = [];
    cache.events.on('hit', ({ tier }) => seen.push(`hit:${tier}`));
    cache.events.on('load', ({ ok }) => seen.push(`load:${ok}`));
    const off = cache.events.on('stale', () => seen.push('stale'));
    await cache.getOrLoad('a', async () => 1);
    await cache.getOrLoad('a', async () => 2);
    await expect(
      cache.getOrLoad('b', async () => {
        throw new Error('backend down');
      }),
    ).rejects.toThrow('backend down');
    await new Promise((r) => setTimeout(r, 30));
    expect(await cache.getOrLoad('a', async () => 3)).toBe(1);
    off();
    const stats = cache.stats();
    expect(stats.l1).toMatchObject({ hits: 1, misses: 3, size: 1 });
    expect(stats.loads).toBe(2);
    expect(stats.loadErrors).toBe(1);
    expect(stats.staleServed).toBe(1);
    expect(stats.l2).toMatchObject({ enabled: false, breaker: 'none' });
    expect(seen).toEqual(['load:true', 'hit:l1', 'load:false', 'stale', 'load:true']);
  });

  it('renders the Prometheus text format', async () => {
    const cache = new CacheManager({ namespace: 'prom' });
    await cache.getOrLoad('x', async () => 1);
    await cache.get('x');
    const text = renderPrometheus(cache.stats());
    expect(text).toContain('# TYPE reposit_cache_hits_total counter');
    expect(text).toContain('reposit_cache_hits_total{tier="l1"} 1');
    expect(text).toContain('reposit_cache_loads_total{result="ok"} 1');
    expect(text).toContain('reposit_cache_bus_delay_ms{quantile="0.99"} NaN');
    expect(text).toContain('reposit_cache_rejected_total{tier="l2"} 0');
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? (NaN|[+-]?Inf|-?\d+(\.\d+)?(e[+-]?\d+)?))$/,
      );
    }
  });

  it('percentile uses the nearest rank', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('the circuit breaker opens on errors, half-opens for one probe and closes on success', () => {
    const states: string[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      resetTimeoutMs: 100,
      onStateChange: (s) => states.push(s),
    });
    breaker.failure(0);
    expect(breaker.allow(0)).toBe(true);
    breaker.failure(0);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(50)).toBe(false);
    expect(breaker.allow(150)).toBe(true);
    expect(breaker.allow(151)).toBe(false);
    breaker.failure(160);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(300)).toBe(true);
    breaker.success();
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});
