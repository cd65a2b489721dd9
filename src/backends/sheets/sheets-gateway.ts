import type { RepositoryError } from '../../errors.js';
import { SPAN_KIND, type TraceSpan, traced } from '../../observability/tracing.js';
import { TokenBucket, type TokenBucketOptions } from './rate-limiter.js';
import type { SheetsApiClient } from './sheets-client.js';
import {
  describeSheetsFailure,
  isOutcomeUnknown,
  isRetryableFailure,
  mapSheetsFailure,
  type SheetsFailure,
} from './sheets-errors.js';
import { backoffDelay, type ResolvedRetry, resolveRetry, type SheetsRetryOptions } from './sheets-retry.js';

/**
 * Options of a {@link SheetsGateway}.
 *
 * @example
 * ```ts
 * const gateway = new SheetsGateway({
 *   client: sheets({ version: 'v4', auth }),
 *   spreadsheetId: '1AbC...',
 *   limits: { read: { limit: 60 }, write: { limit: 60 } },
 * });
 * ```
 */
export interface SheetsGatewayOptions {
  /** The official client (or anything with the same methods). */
  readonly client: SheetsApiClient;
  /** The spreadsheet every call goes to. */
  readonly spreadsheetId: string;
  /**
   * Client-side quotas, per kind of request. Google's documented defaults are 60 read
   * and 60 write requests per minute per user (300 per project).
   * @default { read: { limit: 60, windowMs: 60_000 }, write: { limit: 60, windowMs: 60_000 } }
   */
  readonly limits?: { readonly read?: TokenBucketOptions; readonly write?: TokenBucketOptions };
  /** Retry policy for 429, 5xx and network errors. @default see {@link SheetsRetryOptions} */
  readonly retry?: SheetsRetryOptions;
  /** Per-request timeout in milliseconds. @default 30_000 */
  readonly timeoutMs?: number;
  /** How long concurrent reads are collected into one values:batchGet. @default 2 */
  readonly batchWindowMs?: number;
  /** Entity name for error messages. @default undefined */
  readonly entity?: string;
}

/**
 * One range as read: the range as the API reports it (bounded by the grid, e.g.
 * `Users!A1:Z1000`) and its values, trailing empty rows and cells trimmed.
 *
 * @example
 * ```ts
 * const [{ range, values }] = await gateway.read(["'Users'"]);
 * ```
 */
export interface RangeValues {
  readonly range: string;
  readonly values: unknown[][];
}

/**
 * What the gateway counted, by API method.
 *
 * @example
 * ```ts
 * backend.gateway.stats(); // { 'values.batchGet': 3, 'spreadsheets.batchUpdate': 1 }
 * ```
 */
export type GatewayStats = Record<string, number>;

/**
 * Extra knobs of one {@link SheetsGateway.call}.
 *
 * @example
 * ```ts
 * await gateway.call('spreadsheets.batchUpdate', 'write', send, { verify: () => anchorsExist(gateway, ids) });
 * ```
 */
export interface CallOptions {
  /**
   * For a write that is not idempotent: after a failure that leaves the outcome unknown
   * (5xx, network), ask this whether the write took effect before sending it again.
   * @default undefined (the write is idempotent: just send it again)
   */
  readonly verify?: () => Promise<boolean>;
}

/** Result of a call whose outcome was settled by `verify` rather than by a response. */
export const VERIFIED_APPLIED = Symbol('reposit.sheets.verified-applied');

const MAX_RANGES_PER_BATCH = 100;

interface PendingRead {
  readonly ranges: readonly string[];
  resolve(values: RangeValues[]): void;
  reject(error: unknown): void;
}

/**
 * The one door to a spreadsheet: every call waits for the token bucket of its kind,
 * is retried with truncated exponential backoff and jitter on 429, 5xx and network
 * errors (POSTs included; non-idempotent writes are verified first), honours
 * Retry-After, and fails with a reposit error. Concurrent reads are coalesced into one
 * `values:batchGet`. Share one gateway between the backends of one spreadsheet so that
 * they share the quota and the batching.
 *
 * @example
 * ```ts
 * const gateway = new SheetsGateway({ client, spreadsheetId });
 * const [[users], [orders]] = await Promise.all([gateway.read(['Users']), gateway.read(['Orders'])]); // one batchGet
 * ```
 */
export class SheetsGateway {
  readonly client: SheetsApiClient;
  readonly spreadsheetId: string;
  readonly #buckets: { read: TokenBucket; write: TokenBucket };
  readonly #retry: ResolvedRetry;
  readonly #timeoutMs: number;
  readonly #windowMs: number;
  readonly #entity: string | undefined;
  readonly #stats: GatewayStats = {};
  #pending: PendingRead[] = [];
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(options: SheetsGatewayOptions) {
    this.client = options.client;
    this.spreadsheetId = options.spreadsheetId;
    this.#buckets = {
      read: new TokenBucket(options.limits?.read),
      write: new TokenBucket(options.limits?.write),
    };
    this.#retry = resolveRetry(options.retry);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#windowMs = options.batchWindowMs ?? 2;
    this.#entity = options.entity;
  }

  /** API calls sent, by method (retries included). */
  stats(): GatewayStats {
    return { ...this.#stats };
  }

  /** The options every client call gets: our retries replace the client's own. */
  get requestOptions(): { retry: false; timeout: number } {
    return { retry: false, timeout: this.#timeoutMs };
  }

  /**
   * Runs one API call under the limiter and the retry policy.
   *
   * @example
   * ```ts
   * const { data } = await gateway.call('spreadsheets.get', 'read', (o) =>
   *   gateway.client.spreadsheets.get({ spreadsheetId: gateway.spreadsheetId }, o));
   * ```
   */
  call<R>(
    operation: string,
    kind: 'read' | 'write',
    send: (options: { retry: false; timeout: number }) => Promise<R>,
    options: CallOptions = {},
  ): Promise<R | typeof VERIFIED_APPLIED> {
    return traced(
      `sheets.${operation}`,
      SPAN_KIND.client,
      {
        'reposit.sheets.operation': operation,
        'reposit.sheets.kind': kind,
        'reposit.sheets.entity': this.#entity,
      },
      (span) => this.#call(operation, kind, send, options, span),
    );
  }

  async #call<R>(
    operation: string,
    kind: 'read' | 'write',
    send: (options: { retry: false; timeout: number }) => Promise<R>,
    options: CallOptions,
    span: TraceSpan | undefined,
  ): Promise<R | typeof VERIFIED_APPLIED> {
    const started = performance.now();
    let throttledMs = 0;
    for (let attempt = 0; ; attempt += 1) {
      const queued = performance.now();
      await this.#buckets[kind].take();
      throttledMs += performance.now() - queued;
      span?.setAttribute('reposit.sheets.attempts', attempt + 1);
      span?.setAttribute('reposit.sheets.throttled_ms', Math.round(throttledMs));
      this.#stats[operation] = (this.#stats[operation] ?? 0) + 1;
      let failure: SheetsFailure;
      try {
        return await send(this.requestOptions);
      } catch (error) {
        failure = describeSheetsFailure(error);
      }
      if (failure.httpStatus !== undefined)
        span?.setAttribute('http.response.status_code', failure.httpStatus);
      const mapped = (): RepositoryError =>
        mapSheetsFailure(failure, {
          operation,
          entity: this.#entity,
          write: kind === 'write',
          timeoutMs: this.#timeoutMs,
        });
      if (failure.httpStatus === 429)
        this.#buckets[kind].pause(failure.retryAfterMs ?? this.#retry.baseDelayMs);
      if (!isRetryableFailure(failure) || attempt >= this.#retry.retries) throw mapped();
      const delay = backoffDelay(this.#retry, attempt, failure.retryAfterMs);
      if (performance.now() - started + delay > this.#retry.maxElapsedMs) throw mapped();
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (kind === 'write' && options.verify && isOutcomeUnknown(failure)) {
        if (await options.verify()) return VERIFIED_APPLIED;
      }
    }
  }

  /**
   * Reads A1 ranges (UNFORMATTED values, dates as serial numbers). Reads asked for within
   * the batch window, by any backend sharing this gateway, go out as one values:batchGet.
   *
   * @example
   * ```ts
   * const [{ range, values }] = await gateway.read(["'Users'"]); // range: 'Users!A1:Z1000'
   * ```
   */
  read(ranges: readonly string[]): Promise<RangeValues[]> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ ranges, resolve, reject });
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        void this.#flushReads();
      }, this.#windowMs);
    });
  }

  async #flushReads(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    const distinct = [...new Set(pending.flatMap((p) => p.ranges))];
    const results = new Map<string, RangeValues>();
    try {
      for (let i = 0; i < distinct.length; i += MAX_RANGES_PER_BATCH) {
        const ranges = distinct.slice(i, i + MAX_RANGES_PER_BATCH);
        const response = await this.call('values.batchGet', 'read', (o) =>
          this.client.spreadsheets.values.batchGet(
            {
              spreadsheetId: this.spreadsheetId,
              ranges,
              valueRenderOption: 'UNFORMATTED_VALUE',
              dateTimeRenderOption: 'SERIAL_NUMBER',
              majorDimension: 'ROWS',
            },
            o,
          ),
        );
        const valueRanges = response === VERIFIED_APPLIED ? [] : (response.data.valueRanges ?? []);
        ranges.forEach((range, j) => {
          results.set(range, {
            range: valueRanges[j]?.range ?? range,
            values: (valueRanges[j]?.values ?? []) as unknown[][],
          });
        });
      }
    } catch (error) {
      for (const p of pending) p.reject(error);
      return;
    }
    for (const p of pending) p.resolve(p.ranges.map((range) => results.get(range) ?? { range, values: [] }));
  }

  /** Stops the limiter's timers. */
  close(): void {
    this.#buckets.read.close();
    this.#buckets.write.close();
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
  }
}
