/**
 * Maps reposit's typed errors onto HTTP: the class decides the status, the error's own
 * `toJSON()` (code, message, issues; never the cause) is the body.
 */
import {
  ConflictError,
  ConnectionError,
  DuplicateError,
  NotFoundError,
  RateLimitError,
  RepositoryError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from '../../src/index.js';

/** A status code and a JSON body. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const STATUS_BY_CLASS: readonly (readonly [abstract new (...args: never[]) => RepositoryError, number])[] = [
  [ValidationError, 400],
  [NotFoundError, 404],
  [DuplicateError, 409],
  [ConflictError, 409],
  [RateLimitError, 429],
  [TimeoutError, 504],
  [ConnectionError, 503],
  [UnavailableError, 503],
];

/** The response for an error thrown while handling a request. */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof RepositoryError) {
    const status = STATUS_BY_CLASS.find(([type]) => error instanceof type)?.[1] ?? 500;
    return { status, body: { error: error.toJSON() } };
  }
  // Anything else is a bug: its message may say too much, so it stays in the log.
  return {
    status: 500,
    body: { error: { name: 'InternalError', code: 'E_INTERNAL', message: 'Internal error' } },
  };
}
