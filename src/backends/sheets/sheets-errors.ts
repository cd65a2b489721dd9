import {
  ConnectionError,
  NotFoundError,
  RateLimitError,
  type RepositoryError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../../errors.js';

/**
 * What reposit keeps of a failed Google API call: status, Google's status name and
 * message, and Retry-After. Deliberately not the client's error object, whose request
 * config carries the `Authorization` header.
 *
 * @example
 * ```ts
 * const failure = describeSheetsFailure(error); // { httpStatus: 429, status: 'RESOURCE_EXHAUSTED', ... }
 * ```
 */
export interface SheetsFailure {
  /** The HTTP status, or undefined when no response arrived (network error, timeout). */
  readonly httpStatus: number | undefined;
  /** Google's status name, e.g. `RESOURCE_EXHAUSTED`. */
  readonly status: string | undefined;
  /** Google's message, or the network error's code. */
  readonly message: string;
  /** Retry-After in milliseconds, when the server sent it. */
  readonly retryAfterMs: number | undefined;
  /** A network error code such as `ECONNRESET`, when there was no response. */
  readonly networkCode: string | undefined;
  /** Whether the request timed out on our side. */
  readonly timedOut: boolean;
}

/**
 * The error reposit attaches as `cause`: the failure's facts and nothing else.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof RateLimitError && e.cause instanceof SheetsApiError) log.warn(e.cause.failure.status); }
 * ```
 */
export class SheetsApiError extends Error {
  constructor(readonly failure: SheetsFailure) {
    super(failure.message);
    this.name = 'SheetsApiError';
  }
}

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

interface ClientErrorShape {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  response?: {
    status?: number;
    data?: unknown;
    headers?: { get?(name: string): string | null } | Record<string, string>;
  };
}

/** Extracts the facts of a failed client call (a GaxiosError or a network error). */
export function describeSheetsFailure(error: unknown): SheetsFailure {
  const shape = (error ?? {}) as ClientErrorShape;
  const response = shape.response;
  if (response && typeof response.status === 'number') {
    const body = (response.data ?? {}) as { error?: { message?: unknown; status?: unknown } };
    const headers = response.headers;
    const retryAfter =
      headers && typeof (headers as { get?: unknown }).get === 'function'
        ? (headers as { get(name: string): string | null }).get('retry-after')
        : (headers as Record<string, string> | undefined)?.['retry-after'];
    return {
      httpStatus: response.status,
      status: typeof body.error?.status === 'string' ? body.error.status : undefined,
      message: typeof body.error?.message === 'string' ? body.error.message : `HTTP ${response.status}`,
      retryAfterMs: parseRetryAfter(retryAfter),
      networkCode: undefined,
      timedOut: false,
    };
  }
  const code = typeof shape.code === 'string' ? shape.code : undefined;
  // The client wraps fetch's AbortError (its timeout) in its own error, as `cause`.
  const names = [shape.name, (shape as { cause?: { name?: unknown } }).cause?.name];
  const timedOut =
    names.some((name) => name === 'AbortError' || name === 'TimeoutError') ||
    code === 'ETIMEDOUT' ||
    code === 'ABORT_ERR';
  return {
    httpStatus: undefined,
    status: undefined,
    message: code ?? (timedOut ? 'request timed out' : 'network error'),
    retryAfterMs: undefined,
    networkCode: code,
    timedOut,
  };
}

/** Whether a failure is worth retrying: quota, server errors, network errors. */
export function isRetryableFailure(failure: SheetsFailure): boolean {
  if (failure.httpStatus === undefined) return true;
  return failure.httpStatus === 429 || failure.httpStatus === 408 || failure.httpStatus >= 500;
}

/** Whether a write that failed this way may nevertheless have been applied. */
export function isOutcomeUnknown(failure: SheetsFailure): boolean {
  return failure.httpStatus === undefined || failure.httpStatus >= 500;
}

/**
 * Maps a failed Sheets call to reposit's errors. Messages name the operation and
 * Google's own words; they never contain credentials.
 *
 * @example
 * ```ts
 * throw mapSheetsFailure(describeSheetsFailure(error), { operation: 'values.batchGet', entity: 'user', write: false });
 * ```
 */
export function mapSheetsFailure(
  failure: SheetsFailure,
  context: { operation: string; entity?: string; write: boolean; timeoutMs?: number },
): RepositoryError {
  const cause = new SheetsApiError(failure);
  const where = `Google Sheets ${context.operation}`;
  const base = { entity: context.entity, cause };
  const status = failure.httpStatus;
  if (status === undefined) {
    if (failure.timedOut) {
      return new TimeoutError(`${where} timed out`, {
        ...base,
        timeoutMs: context.timeoutMs,
        retryable: !context.write,
      });
    }
    return new ConnectionError(`${where} failed: ${failure.message}`, {
      ...base,
      node: 'sheets',
      outcomeUnknown: context.write,
    });
  }
  const detail = `${where} failed (${status}${failure.status ? ` ${failure.status}` : ''}): ${failure.message}`;
  if (status === 429) return new RateLimitError(detail, { ...base, retryAfterMs: failure.retryAfterMs });
  if (status === 404) return new NotFoundError(detail, base);
  if (status === 400) return new ValidationError(detail, [], base);
  if (status === 401 || status === 403) return new UnavailableError(detail, base);
  return new ConnectionError(detail, {
    ...base,
    node: 'sheets',
    outcomeUnknown: context.write && status >= 500,
  });
}
