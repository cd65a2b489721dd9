import type { FieldDiff } from './comparison.js';
import type { ShadowObservation } from './comparison-recorder.js';
import type { MigrationPhase, MigrationSide } from './migration-phase.js';

/**
 * One read to run on both sides.
 *
 * @example
 * ```ts
 * const read: ShadowRead<Customer[]> = { operation: 'findByIds', input: ids, phase: 'shadow-read', primarySide: 'legacy', primary, shadow, compare };
 * ```
 */
export interface ShadowRead<R> {
  readonly operation: ShadowObservation['operation'];
  readonly input: unknown;
  readonly phase: MigrationPhase;
  readonly primarySide: MigrationSide;
  readonly primary: () => Promise<R>;
  readonly shadow: () => Promise<R>;
  /** Lists the differences; arguments are (legacy answer, new answer). */
  readonly compare: (legacy: R, next: R) => FieldDiff[];
  /** Whether a mismatch is expected and should be counted as ignored. @default undefined (none is) */
  readonly ignore?: (diffs: readonly FieldDiff[]) => boolean;
}

/**
 * Options of {@link ShadowRunner}.
 *
 * @example
 * ```ts
 * new ShadowRunner({ timeoutMs: 250, publish: (observation) => recorder.record(observation) });
 * ```
 */
export interface ShadowRunnerOptions {
  /** Milliseconds the shadow side may take before its answer is dropped. @default 1000 */
  readonly timeoutMs?: number;
  /** Receives each observation, off the caller's path (after a `setImmediate`). */
  readonly publish: (observation: ShadowObservation) => void;
}

/**
 * Runs a read on the primary side for the caller and on the other side in the
 * background, GitHub-Scientist style: the caller always gets the primary's answer (or
 * error), exactly as if there were no shadow. The shadow has a timeout, its errors are
 * swallowed into the observation, and comparing and publishing happen after the caller
 * has been answered.
 *
 * @example
 * ```ts
 * const runner = new ShadowRunner({ timeoutMs: 200, publish: (o) => recorder.record(o) });
 * const rows = await runner.run({ operation: 'findByIds', input: ids, phase, primarySide: 'legacy', primary, shadow, compare });
 * ```
 */
export class ShadowRunner {
  readonly #timeoutMs: number;
  readonly #publish: (observation: ShadowObservation) => void;

  constructor(options: ShadowRunnerOptions) {
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#publish = options.publish;
  }

  async run<R>(read: ShadowRead<R>): Promise<R> {
    const shadowResult = this.#runShadow(read.shadow);
    const started = performance.now();
    const result = await read.primary();
    const primaryMs = performance.now() - started;
    // A snapshot, taken before the caller can touch the value, so neither a caller that
    // mutates its result nor a comparator that mutates its input can affect the other.
    const primaryCopy = snapshot(result);
    void shadowResult.then((shadow) => {
      setImmediate(() => this.#observe(read, primaryCopy, primaryMs, shadow));
    });
    return result;
  }

  #runShadow<R>(shadow: () => Promise<R>): Promise<ShadowAnswer<R>> {
    const started = performance.now();
    return new Promise<ShadowAnswer<R>>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), this.#timeoutMs);
      timer.unref?.();
      let promise: Promise<R>;
      try {
        promise = shadow();
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve({ kind: 'value', value, ms: performance.now() - started });
        },
        (error: unknown) => {
          clearTimeout(timer);
          resolve({ kind: 'error', error });
        },
      );
    });
  }

  #observe<R>(read: ShadowRead<R>, primary: R, primaryMs: number, shadow: ShadowAnswer<R>): void {
    const legacyIsPrimary = read.primarySide === 'legacy';
    let outcome: ShadowObservation['outcome'];
    let diffs: FieldDiff[] = [];
    let error: string | undefined;
    let shadowMs: number | undefined;
    if (shadow.kind === 'timeout') outcome = 'timeout';
    else if (shadow.kind === 'error') {
      outcome = 'error';
      error = shadow.error instanceof Error ? shadow.error.message : String(shadow.error);
    } else {
      shadowMs = shadow.ms;
      try {
        diffs = legacyIsPrimary ? read.compare(primary, shadow.value) : read.compare(shadow.value, primary);
        outcome = diffs.length === 0 ? 'matched' : read.ignore?.(diffs) ? 'ignored' : 'mismatched';
      } catch (compareError) {
        outcome = 'error';
        error = `the comparator threw: ${compareError instanceof Error ? compareError.message : String(compareError)}`;
      }
    }
    try {
      this.#publish({
        operation: read.operation,
        input: read.input,
        phase: read.phase,
        primary: read.primarySide,
        outcome,
        diffs,
        legacyMs: legacyIsPrimary ? primaryMs : shadowMs,
        newMs: legacyIsPrimary ? shadowMs : primaryMs,
        error,
        at: new Date(),
      });
    } catch {
      // Publishing is best effort: a failing subscriber must not surface anywhere.
    }
  }
}

// A value that cannot be cloned (class instances with functions …) is compared as it is,
// rather than failing a read that has already succeeded.
function snapshot<R>(value: R): R {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

type ShadowAnswer<R> =
  | { readonly kind: 'value'; readonly value: R; readonly ms: number }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' };
