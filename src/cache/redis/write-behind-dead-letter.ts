import {
  ConnectionError,
  isRepositoryError,
  RateLimitError,
  type RepositoryError,
  TimeoutError,
  UnavailableError,
} from '../../errors.js';
import { redactSecrets } from '../../observability/redact.js';

/**
 * A queued write the flusher gave up on and moved to the dead-letter stream
 * (`WriteBehindQueue.deadLetterStream`), as the `dead-letter` event reports it.
 *
 * @example
 * ```ts
 * queue.events.on('dead-letter', ({ entryId, id, attempts, error }) =>
 *   alert(`write-behind gave up on ${String(id)} (${entryId}) after ${attempts} attempts: ${error.message}`),
 * );
 * ```
 */
export interface WriteBehindDeadLetter<ID> {
  /** The entry's id in the queue's stream (where it was acknowledged and deleted). */
  readonly entryId: string;
  /** The id of its copy in the dead-letter stream. */
  readonly deadEntryId: string;
  /** The entity id of the operation; undefined when the entry could not be decoded. */
  readonly id: ID | undefined;
  /** How many times the backend was asked to write it (1 for an entry that could not be decoded). */
  readonly attempts: number;
  /** Why: the backend's refusal, or a `ValidationError` for an entry that cannot be decoded. */
  readonly error: RepositoryError;
}

/**
 * The events of a `WriteBehindQueue`.
 *
 * @example
 * ```ts
 * queue.events.on('dead-letter', (letter) => metrics.increment('write_behind_dead_letters'));
 * ```
 */
export interface WriteBehindEvents<ID> {
  /** An entry was moved to the dead-letter stream; the rest of the queue flows on. */
  'dead-letter': WriteBehindDeadLetter<ID>;
}

/**
 * Whether the backend refused a write for what it holds (a `ValidationError`,
 * `DuplicateError`, non-retryable `ConflictError`, `NotFoundError` …), so that writing it
 * again cannot succeed. Failures of the backend itself (`ConnectionError`, `TimeoutError`,
 * `RateLimitError`, `UnavailableError`) never are, even when not retryable: a refused
 * password or a commit of unknown outcome says nothing about the entry, and flushes are
 * idempotent. Anything that is not a `RepositoryError` is retried as well.
 *
 * @example
 * ```ts
 * refusesEntry(new DuplicateError('email taken')); // true
 * refusesEntry(new ConnectionError('refused', { retryable: false })); // false
 * ```
 */
export function refusesEntry(error: unknown): error is RepositoryError {
  return (
    isRepositoryError(error) &&
    !error.retryable &&
    !(
      error instanceof ConnectionError ||
      error instanceof TimeoutError ||
      error instanceof RateLimitError ||
      error instanceof UnavailableError
    )
  );
}

/**
 * The fields of a dead-letter stream entry: the operation as it was queued (to inspect or
 * queue again by hand), where it came from, and why it was given up, with the message
 * stripped of anything that looks like a credential.
 *
 * @example
 * ```ts
 * await redis.xadd(deadStream, '*', ...deadLetterFields(text, '1700000000000-0', 5, error));
 * ```
 */
export function deadLetterFields(
  stored: string | undefined,
  entryId: string,
  attempts: number,
  error: RepositoryError,
): string[] {
  return [
    'op',
    stored ?? '',
    'entry',
    entryId,
    'attempts',
    String(attempts),
    'error',
    error.name,
    'code',
    error.code,
    'message',
    redactSecrets(error.message),
  ];
}
