import { isTlsFailureCode } from '../connection/tls-failure.js';
import { ConnectionError, isRepositoryError, type RepositoryError, UnavailableError } from '../errors.js';
import { redactSecrets } from '../observability/redact.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

/**
 * Turns whatever an L2 tier or bus threw into a typed error that is safe to log.
 *
 * Drivers attach the failed command to their errors, arguments included: an AUTH or
 * HELLO carries the password, a SET the cached value. Nothing of the original object
 * is kept but its name, code and redacted message (the `cause` is a fresh Error built
 * from those), so no logger, serializer or `JSON.stringify` can reach the arguments.
 *
 * @example
 * ```ts
 * remoteError(wrongPassError, 'redis', 'get');
 * // ConnectionError: redis refused the credentials (get): WRONGPASS invalid username-password pair ...
 * ```
 */
export function remoteError(
  error: unknown,
  tier: string,
  operation: string,
  connectionError?: unknown,
): RepositoryError {
  if (isRepositoryError(error)) return error;
  const cause = sanitized(error);
  const message = cause.message;
  if (/^(WRONGPASS|NOAUTH)\b|invalid (username-)?password/i.test(message)) {
    return new ConnectionError(
      `${tier} refused the credentials (${operation}): ${message}. Check the username and password of the connection`,
      { cause, retryable: false },
    );
  }
  if (/^NOPERM\b/.test(message)) {
    return new ConnectionError(
      `${tier} does not allow this user to run ${operation}: ${message}. Grant the user the cache's key pattern, channels and commands (ACL)`,
      { cause, retryable: false },
    );
  }
  // A command given up while the client reconnects says nothing of why; the client's
  // last connection error (a refused certificate, a closed port) does.
  const reason =
    cause.name === 'MaxRetriesPerRequestError' && connectionError ? sanitized(connectionError) : cause;
  const code = (reason as { code?: unknown }).code;
  if (isTlsFailureCode(code)) {
    return new ConnectionError(
      `${tier} TLS handshake failed (${operation}): ${reason.message}. Check the CA, the server name and the certificates`,
      { cause: reason, retryable: false },
    );
  }
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    reason.name === 'MaxRetriesPerRequestError' ||
    /connection is closed|stream isn't writeable/i.test(reason.message)
  ) {
    return new ConnectionError(`${tier} is unreachable (${operation}): ${reason.message}`, {
      cause: reason,
      retryable: true,
    });
  }
  return new UnavailableError(`${tier} ${operation} failed: ${message}`, { cause, retryable: true });
}

/** A plain Error with the original's name, code and redacted message, and nothing else. */
function sanitized(error: unknown): Error & { code?: string } {
  const original = error instanceof Error ? error : undefined;
  const copy: Error & { code?: string } = new Error(
    redactSecrets(original ? original.message : describe(error)),
  );
  if (original) copy.name = original.name;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') copy.code = code;
  // The stack names the driver's frames only, never arguments; drop it all the same so
  // nothing of the original message survives unredacted.
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** `String(value)`, or a fixed text for values whose conversion throws (a null-prototype object). */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'unknown error';
  }
}
