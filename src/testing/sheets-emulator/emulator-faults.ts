import { EmulatorApiError } from './emulator-error.js';

/**
 * Whether a method counts against the read or the write quota.
 *
 * @example
 * ```ts
 * emulator.faults.maxInWindow('write' satisfies QuotaKind, 60_000);
 * ```
 */
export type QuotaKind = 'read' | 'write';

/**
 * Per-user quotas, as Google applies them: requests per window, reads and writes
 * counted apart, over a sliding window.
 *
 * @example
 * ```ts
 * emulator.faults.setQuota({ reads: 60, writes: 60, windowMs: 60_000 });
 * ```
 */
export interface QuotaOptions {
  /** Read requests allowed per window. @default 60 */
  readonly reads?: number;
  /** Write requests allowed per window. @default 60 */
  readonly writes?: number;
  /** The window in milliseconds. @default 60_000 */
  readonly windowMs?: number;
}

/**
 * A fault to inject into the next matching requests.
 *
 * @example
 * ```ts
 * emulator.faults.inject({ status: 429, times: 2, retryAfterSeconds: 1, methods: ['values.append'] });
 * emulator.faults.inject({ delayMs: 500, times: 1 });
 * ```
 */
export interface FaultSpec {
  /** Answer with this HTTP status (429, 500, 503 …) instead of serving the request. */
  readonly status?: number;
  /** Wait this long before answering (or before failing, with `status`). */
  readonly delayMs?: number;
  /** Send a `Retry-After` header with this many seconds (with `status`). */
  readonly retryAfterSeconds?: number;
  /** How many requests the fault applies to. @default 1 */
  readonly times?: number;
  /** Only these methods, e.g. `['values.append']`. @default every method */
  readonly methods?: readonly string[];
  /**
   * `after`: serve the request (the change is made) and then answer with the fault, as
   * when a response is lost; a client cannot tell whether its write took effect.
   * @default 'before'
   */
  readonly phase?: 'before' | 'after';
}

const MESSAGES: Record<number, string> = {
  429: 'Quota exceeded for quota metric',
  500: 'Internal error encountered.',
  502: 'Bad Gateway',
  503: 'The service is currently unavailable.',
  504: 'Deadline exceeded.',
};

function quotaMessage(kind: QuotaKind): string {
  const metric = kind === 'read' ? 'Read requests' : 'Write requests';
  return `Quota exceeded for quota metric '${metric}' and limit '${metric} per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.`;
}

/**
 * The emulator's switchable quotas and injected faults. Every served request passes
 * through {@link EmulatorFaults.admit} before it touches the data.
 *
 * @example
 * ```ts
 * emulator.faults.setQuota({ reads: 5, writes: 5, windowMs: 1000 });
 * emulator.faults.inject({ status: 500 });
 * emulator.faults.clear();
 * ```
 */
export class EmulatorFaults {
  #quota: Required<QuotaOptions> | undefined;
  #faults: { spec: FaultSpec; left: number }[] = [];
  readonly #served: Record<QuotaKind, number[]> = { read: [], write: [] };
  #throttled = 0;

  /** Turns quota enforcement on (with these limits) or off (`undefined`). */
  setQuota(options: QuotaOptions | undefined): void {
    this.#quota = options
      ? { reads: options.reads ?? 60, writes: options.writes ?? 60, windowMs: options.windowMs ?? 60_000 }
      : undefined;
  }

  /** Queues a fault for the next matching requests. */
  inject(spec: FaultSpec): void {
    this.#faults.push({ spec, left: spec.times ?? 1 });
  }

  /** Removes every queued fault and the quota. */
  clear(): void {
    this.#faults = [];
    this.#quota = undefined;
  }

  /** How many requests were refused by the quota. */
  get throttled(): number {
    return this.#throttled;
  }

  /**
   * The largest number of requests of a kind that were admitted inside any window of
   * `windowMs` (sliding), over the emulator's life or since {@link resetCounters}.
   */
  maxInWindow(kind: QuotaKind, windowMs: number): number {
    const times = this.#served[kind];
    let max = 0;
    let from = 0;
    for (let to = 0; to < times.length; to += 1) {
      while (times[to]! - times[from]! >= windowMs) from += 1;
      max = Math.max(max, to - from + 1);
    }
    return max;
  }

  /** Forgets admission times and the throttled count. */
  resetCounters(): void {
    this.#served.read = [];
    this.#served.write = [];
    this.#throttled = 0;
  }

  /**
   * Applies faults and quotas to one request: resolves to let it through (with the
   * error to answer after serving it, for `phase: 'after'` faults), rejects with the
   * error to answer instead.
   */
  async admit(method: string, kind: QuotaKind): Promise<EmulatorApiError | undefined> {
    const index = this.#faults.findIndex((f) => !f.spec.methods || f.spec.methods.includes(method));
    let after: EmulatorApiError | undefined;
    if (index >= 0) {
      const fault = this.#faults[index]!;
      fault.left -= 1;
      if (fault.left <= 0) this.#faults.splice(index, 1);
      if (fault.spec.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.spec.delayMs));
      const status = fault.spec.status;
      if (status !== undefined) {
        const headers: Record<string, string> =
          fault.spec.retryAfterSeconds === undefined
            ? {}
            : { 'retry-after': String(fault.spec.retryAfterSeconds) };
        const error = new EmulatorApiError(
          status,
          status === 429 ? quotaMessage(kind) : (MESSAGES[status] ?? 'Error'),
          headers,
        );
        if (fault.spec.phase !== 'after') throw error;
        after = error;
      }
    }
    const now = performance.now();
    if (this.#quota) {
      const limit = kind === 'read' ? this.#quota.reads : this.#quota.writes;
      const windowMs = this.#quota.windowMs;
      const times = this.#served[kind];
      let inWindow = 0;
      for (let i = times.length - 1; i >= 0 && now - times[i]! < windowMs; i -= 1) inWindow += 1;
      if (inWindow >= limit) {
        this.#throttled += 1;
        throw new EmulatorApiError(429, quotaMessage(kind));
      }
    }
    this.#served[kind].push(now);
    return after;
  }
}
