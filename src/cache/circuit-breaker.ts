/**
 * The states of a {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * cache.events.on('breaker', ({ state }) => { if (state === 'open') alert('Redis unreachable'); });
 * ```
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Options of {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 500 });
 * ```
 */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failures that open the breaker.
   * @default 5
   */
  readonly failureThreshold?: number;
  /**
   * How long the breaker stays open before it lets one probe through (sooner when the
   * dependency reports it is back: {@link CircuitBreaker.allowProbe}).
   * @default 1000
   */
  readonly resetTimeoutMs?: number;
  /**
   * Told about every change of state.
   * @default undefined
   */
  readonly onStateChange?: (state: BreakerState) => void;
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens and every
 * request is refused at once; after `resetTimeoutMs` it half-opens and lets a single
 * probe through, which closes it on success or opens it again on failure. So a dead
 * dependency costs callers nothing, and a recovered one is found without anyone's help.
 * A dependency that can tell when it is back (a client's `ready` event) calls
 * {@link CircuitBreaker.allowProbe} so the next request probes at once.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 500 });
 * if (breaker.allow()) {
 *   try { await call(); breaker.success(); } catch { breaker.failure(); }
 * }
 * ```
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #onStateChange: ((state: BreakerState) => void) | undefined;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  /** The dependency said it is back: the next request probes without waiting out the reset timeout. */
  #probeEarly = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#resetMs = options.resetTimeoutMs ?? 1000;
    this.#onStateChange = options.onStateChange;
  }

  /** The current state. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a request may go through now (in half-open, only the one probe). */
  allow(now = Date.now()): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open') {
      if (!this.#probeEarly && now - this.#openedAt < this.#resetMs) return false;
      this.#probeEarly = false;
      this.#set('half-open');
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /**
   * Lets the next request probe now (half-open) instead of after `resetTimeoutMs`: the
   * dependency reported it is back. Once per call: if that probe fails, the breaker waits
   * out its timeout again (or the next call of this method). A probe already in flight,
   * sent before the dependency came back, may still fail; the early probe then follows it.
   *
   * @example
   * ```ts
   * client.on('ready', () => breaker.allowProbe());
   * ```
   */
  allowProbe(): void {
    if (this.#state !== 'closed') this.#probeEarly = true;
  }

  /** Reports a request that succeeded. */
  success(): void {
    this.#failures = 0;
    this.#probing = false;
    this.#probeEarly = false;
    if (this.#state !== 'closed') this.#set('closed');
  }

  /** Reports a request that failed. */
  failure(now = Date.now()): void {
    this.#probing = false;
    this.#failures++;
    if (this.#state === 'half-open' || (this.#state === 'closed' && this.#failures >= this.#threshold)) {
      this.#openedAt = now;
      this.#set('open');
    }
  }

  #set(state: BreakerState): void {
    this.#state = state;
    this.#onStateChange?.(state);
  }
}
