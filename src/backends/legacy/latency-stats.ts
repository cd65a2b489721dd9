/**
 * Durations of one kind of call: count, mean, max and percentiles over the most recent
 * samples.
 *
 * @example
 * ```ts
 * const snapshot: LatencySnapshot = metrics.snapshot().timings.legacy;
 * console.log(snapshot.p95Ms);
 * ```
 */
export interface LatencySnapshot {
  readonly count: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

/**
 * Records durations in a fixed-size ring, so memory stays flat however long it runs.
 *
 * @example
 * ```ts
 * const stats = new LatencyStats(1000);
 * stats.record(4.2);
 * stats.snapshot().p50Ms;
 * ```
 */
export class LatencyStats {
  readonly #samples: number[] = [];
  readonly #capacity: number;
  #next = 0;
  #count = 0;
  #total = 0;
  #max = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  record(ms: number): void {
    this.#count++;
    this.#total += ms;
    if (ms > this.#max) this.#max = ms;
    if (this.#samples.length < this.#capacity) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  snapshot(): LatencySnapshot {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      count: this.#count,
      meanMs: this.#count === 0 ? 0 : this.#total / this.#count,
      maxMs: this.#max,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
    };
  }
}
