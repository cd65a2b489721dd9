/**
 * Latency percentiles over the most recent statements, in milliseconds.
 *
 * @example
 * ```ts
 * const { p50, p99 }: LatencySummary = db.stats().nodes[0].latencyMs;
 * ```
 */
export interface LatencySummary {
  /** Statements recorded since start (not only those in the window). */
  readonly count: number;
  /** Total time of every statement recorded since start, in milliseconds. */
  readonly sumMs: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * The last `size` latencies in a fixed ring: recording is one array store, so the hot
 * path stays cheap; percentiles are computed only when asked (sorting a copy).
 *
 * @example
 * ```ts
 * const window = new LatencyWindow(1024);
 * window.record(3.2);
 * window.summary(); // { count: 1, sumMs: 3.2, p50: 3.2, p95: 3.2, p99: 3.2 }
 * ```
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #sum = 0;

  /** @param size how many recent samples to keep (@default 1024) */
  constructor(size = 1024) {
    this.#samples = new Float64Array(size);
  }

  /** Records one latency in milliseconds. */
  record(milliseconds: number): void {
    this.#samples[this.#count % this.#samples.length] = milliseconds;
    this.#count++;
    this.#sum += milliseconds;
  }

  /** p50/p95/p99 of the samples in the window (zeros before the first sample). */
  summary(): LatencySummary {
    const filled = Math.min(this.#count, this.#samples.length);
    if (filled === 0) return { count: 0, sumMs: 0, p50: 0, p95: 0, p99: 0 };
    const sorted = this.#samples.slice(0, filled).sort();
    const at = (q: number) => round(sorted[Math.min(filled - 1, Math.ceil(q * filled) - 1)]!);
    return { count: this.#count, sumMs: round(this.#sum), p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
