import { ValidationError } from '../../errors.js';

/**
 * Options of {@link CutOverGate}.
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., gate: { window: 5000, maxMismatchRate: 0.0005 } });
 * ```
 */
export interface CutOverGateOptions {
  /** How many of the most recent compared reads count. @default 1000 */
  readonly window?: number;
  /** The gate opens when the mismatch rate over the window is below this (0 to 1; 0 means none at all). @default 0.001 */
  readonly maxMismatchRate?: number;
}

/**
 * What the gate says now.
 *
 * @example
 * ```ts
 * const { open, mismatchRate, samples } = adapter.gate.status();
 * ```
 */
export interface CutOverStatus {
  /** True when the window is full and its mismatch rate is under the threshold. */
  readonly open: boolean;
  readonly mismatchRate: number;
  /** Compared reads in the window so far. */
  readonly samples: number;
  /** Reads the window needs before it can open. */
  readonly window: number;
  readonly maxMismatchRate: number;
  /** Why it is closed, in words; undefined when open. */
  readonly reason: string | undefined;
}

/**
 * The cut-over gate: tells when the new side has agreed with the old one often enough,
 * over the last N compared reads, to make it primary. A shadow read that failed or timed
 * out counts as a mismatch: an unknown answer is not evidence of agreement.
 *
 * @example
 * ```ts
 * const gate = new CutOverGate({ window: 500, maxMismatchRate: 0.001 });
 * gate.record(true);
 * if (gate.status().open) machine.advance('gate open');
 * ```
 */
export class CutOverGate {
  readonly #window: number;
  readonly #maxRate: number;
  readonly #ring: Uint8Array;
  #size = 0;
  #next = 0;
  #mismatches = 0;

  constructor(options: CutOverGateOptions = {}) {
    this.#window = options.window ?? 1000;
    this.#maxRate = options.maxMismatchRate ?? 0.001;
    if (!Number.isSafeInteger(this.#window) || this.#window < 1)
      throw new ValidationError(
        `CutOverGate window must be a whole number of at least 1, got ${String(this.#window)}`,
      );
    if (!(this.#maxRate >= 0 && this.#maxRate <= 1))
      throw new ValidationError(
        `CutOverGate maxMismatchRate must be between 0 and 1, got ${String(this.#maxRate)}`,
      );
    this.#ring = new Uint8Array(this.#window);
  }

  /** Records one compared read: `matched` false for a mismatch, error or timeout. */
  record(matched: boolean): void {
    const value = matched ? 0 : 1;
    if (this.#size === this.#window) this.#mismatches -= this.#ring[this.#next]!;
    else this.#size++;
    this.#ring[this.#next] = value;
    this.#mismatches += value;
    this.#next = (this.#next + 1) % this.#window;
  }

  /** Forgets every sample (after a fix, so old mismatches stop counting). */
  reset(): void {
    this.#ring.fill(0);
    this.#size = 0;
    this.#next = 0;
    this.#mismatches = 0;
  }

  /** Whether cutting over is allowed now, with the mismatch rate over the window and the reason when not. */
  status(): CutOverStatus {
    const mismatchRate = this.#size === 0 ? 0 : this.#mismatches / this.#size;
    let reason: string | undefined;
    if (this.#size < this.#window) reason = `only ${this.#size} of ${this.#window} reads compared yet`;
    else if (mismatchRate >= this.#maxRate && !(this.#maxRate === 0 && mismatchRate === 0))
      reason = `mismatch rate ${(mismatchRate * 100).toFixed(3)}% over the last ${this.#window} reads is not under ${(this.#maxRate * 100).toFixed(3)}%`;
    return {
      open: reason === undefined,
      mismatchRate,
      samples: this.#size,
      window: this.#window,
      maxMismatchRate: this.#maxRate,
      reason,
    };
  }
}
