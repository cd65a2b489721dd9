/**
 * Options of {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., breaker: { failureThreshold: 3, resetAfterMs: 5000 } });
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default 5 */
  readonly failureThreshold?: number;
  /** Milliseconds the breaker stays open before letting one trial call through. @default 10000 */
  readonly resetAfterMs?: number;
  /** The clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * The breaker's state.
 *
 * @example
 * ```ts
 * if ((await adapter.metrics()).breaker === 'open') alert('new side is down; legacy serves reads');
 * ```
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A consecutive-failure circuit breaker: after `failureThreshold` failures in a row it
 * opens and callers go elsewhere without waiting on a failing side; after
 * `resetAfterMs` one trial call is let through, and its outcome closes or reopens it.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, resetAfterMs: 5000 });
 * if (breaker.allows()) { try { await call(); breaker.success(); } catch (e) { breaker.failure(); } }
 * ```
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetAfterMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#resetAfterMs = options.resetAfterMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** `closed`, `open`, or `half-open` once `resetAfterMs` has passed since it opened. */
  get state(): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return this.#now() - this.#openedAt >= this.#resetAfterMs ? 'half-open' : 'open';
  }

  /** Whether a call may go through now (in half-open state, only one at a time). */
  allows(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  /** Records a call that succeeded: the breaker closes. */
  success(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#trialInFlight = false;
  }

  /** Records a call that failed: the breaker opens at the threshold, or at once after a failed trial. */
  failure(): void {
    this.#failures++;
    if (this.#trialInFlight || this.#failures >= this.#threshold) this.#openedAt = this.#now();
    this.#trialInFlight = false;
  }
}
