/**
 * Retry policy for Sheets calls: truncated exponential backoff with full jitter, and
 * the server's Retry-After honoured when it is longer.
 *
 * @example
 * ```ts
 * const retry: SheetsRetryOptions = { retries: 5, baseDelayMs: 500, maxDelayMs: 32_000 };
 * ```
 */
export interface SheetsRetryOptions {
  /** Retries after the first attempt. @default 5 */
  readonly retries?: number;
  /** The first backoff's upper bound, doubled each retry. @default 500 */
  readonly baseDelayMs?: number;
  /** The cap of one backoff (the "truncation"). @default 32_000 */
  readonly maxDelayMs?: number;
  /**
   * Give up (and throw the last error) rather than wait longer than this in total, even
   * when Retry-After asks for it.
   * @default 120_000
   */
  readonly maxElapsedMs?: number;
}

/** The defaults of {@link SheetsRetryOptions}, resolved. */
export type ResolvedRetry = Required<SheetsRetryOptions>;

/** Fills in the retry defaults. */
export function resolveRetry(options: SheetsRetryOptions = {}): ResolvedRetry {
  return {
    retries: options.retries ?? 5,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 32_000,
    maxElapsedMs: options.maxElapsedMs ?? 120_000,
  };
}

/**
 * The wait before retry number `attempt` (0 for the first retry): a random time up to
 * `min(maxDelayMs, baseDelayMs * 2^attempt)`, but at least Retry-After.
 *
 * @example
 * ```ts
 * backoffDelay(resolveRetry(), 2, undefined); // somewhere in [0, 2000)
 * backoffDelay(resolveRetry(), 0, 5000);      // 5000 plus up to 250 of jitter
 * ```
 */
export function backoffDelay(
  policy: ResolvedRetry,
  attempt: number,
  retryAfterMs: number | undefined,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.random() * ceiling;
  if (retryAfterMs === undefined) return jittered;
  // Jitter on top of Retry-After keeps many clients from returning in the same instant.
  return retryAfterMs + Math.random() * Math.min(policy.baseDelayMs, 250);
}
