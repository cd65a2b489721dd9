/**
 * Options of a {@link TokenBucket}: a quota of `limit` requests per `windowMs`.
 *
 * @example
 * ```ts
 * const reads = new TokenBucket({ limit: 60, windowMs: 60_000 });
 * ```
 */
export interface TokenBucketOptions {
  /** Requests allowed in any window. @default 60 */
  readonly limit?: number;
  /** The window, in milliseconds. @default 60_000 */
  readonly windowMs?: number;
  /**
   * Tokens available at once (the bucket's size). The refill rate is
   * `(limit - burst) / windowMs`, so that no window of `windowMs`, however placed,
   * sees more than `limit` requests: a burst plus what refills in one window.
   * @default Math.max(1, Math.floor(limit / 6))
   */
  readonly burst?: number;
}

/**
 * A token bucket that never lets more than `limit` requests start in any sliding window
 * of `windowMs`. Waiters are served first come, first served; `pause` holds everyone back
 * after the server said Retry-After.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ limit: 60, windowMs: 60_000 });
 * await bucket.take(); // resolves when a request may start
 * ```
 */
export class TokenBucket {
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly #ratePerMs: number;
  #tokens: number;
  #updatedAt: number;
  #pausedUntil = 0;
  readonly #waiters: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TokenBucketOptions = {}) {
    this.limit = options.limit ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    if (!(this.limit >= 2) || !Number.isFinite(this.limit)) {
      throw new RangeError(`A rate limit must be a finite number of at least 2 requests, got ${this.limit}`);
    }
    if (!(this.windowMs > 0)) throw new RangeError(`A rate window must be positive, got ${this.windowMs}`);
    this.burst = Math.min(options.burst ?? Math.max(1, Math.floor(this.limit / 6)), this.limit - 1);
    if (!(this.burst >= 1)) throw new RangeError(`A burst must be at least 1, got ${options.burst}`);
    this.#ratePerMs = (this.limit - this.burst) / this.windowMs;
    this.#tokens = this.burst;
    this.#updatedAt = performance.now();
  }

  /** Waits until a request may start, and takes its token. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.#drain();
    });
  }

  /** Holds every request back for `ms` (the server asked us to wait). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
  }

  /** How many requests are waiting for a token. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Stops the refill timer (waiters keep waiting until the next `take`). */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
  }

  #drain(): void {
    if (this.#timer) return;
    const now = performance.now();
    this.#refill(now);
    while (this.#waiters.length > 0 && now >= this.#pausedUntil && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#waiters.shift()!();
    }
    if (this.#waiters.length === 0) return;
    const untilToken = this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.#ratePerMs;
    const wait = Math.max(untilToken, this.#pausedUntil - now, 1);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, Math.ceil(wait));
  }
}
