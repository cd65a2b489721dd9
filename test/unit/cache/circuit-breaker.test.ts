import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../../src/cache/circuit-breaker.js';

function openBreaker(at: number): { breaker: CircuitBreaker; states: BreakerState[] } {
  const states: BreakerState[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 2,
    resetTimeoutMs: 60_000,
    onStateChange: (state) => states.push(state),
  });
  breaker.failure(at);
  breaker.failure(at);
  return { breaker, states };
}

describe('CircuitBreaker.allowProbe (the dependency says it is back)', () => {
  it('lets the next request probe at once, and only that one', () => {
    const { breaker, states } = openBreaker(0);
    expect(breaker.allow(1)).toBe(false);
    breaker.allowProbe();
    expect(breaker.allow(2)).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow(3)).toBe(false);
    breaker.success();
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(breaker.allow(4)).toBe(true);
  });

  it('grants one early probe per call: a failed one waits for the timeout again', () => {
    const { breaker } = openBreaker(0);
    breaker.allowProbe();
    expect(breaker.allow(1)).toBe(true);
    breaker.failure(2);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(3)).toBe(false);
    expect(breaker.allow(60_001)).toBe(false);
    expect(breaker.allow(60_002)).toBe(true);
  });

  it('after a probe in flight fails, the early probe still follows', () => {
    const { breaker } = openBreaker(0);
    expect(breaker.allow(60_000)).toBe(true); // the timed probe, sent while the dependency was away
    breaker.allowProbe(); // …which comes back while the probe is out
    expect(breaker.allow(60_001)).toBe(false);
    breaker.failure(60_002);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(60_003)).toBe(true);
  });

  it('is ignored while closed, and forgotten once a probe succeeded', () => {
    const states: BreakerState[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      resetTimeoutMs: 60_000,
      onStateChange: (state) => states.push(state),
    });
    breaker.allowProbe();
    breaker.failure(0);
    expect(breaker.allow(1)).toBe(false);
    breaker.allowProbe();
    breaker.allowProbe();
    expect(breaker.allow(2)).toBe(true);
    breaker.success();
    breaker.failure(3);
    expect(breaker.allow(4)).toBe(false);
    expect(states).toEqual(['open', 'half-open', 'closed', 'open']);
  });
});
