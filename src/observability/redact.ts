/**
 * Scrubbing of secrets from free text (error messages, log lines). Connection strings
 * keep their shape so a person can still see which host was meant, but lose the
 * password; `key=value` pairs that look like credentials lose the value.
 *
 * @module
 */

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]*)@/gi;
const KEY_VALUE_SECRET =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|sslkey|sslpassword)("?\s*[=:]\s*)(?:(?:bearer|basic)\s+)?("[^"]*"|'[^']*'|[^\s&;,'"]+)/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi;

/**
 * The placeholder that replaces a secret.
 *
 * @example
 * ```ts
 * redactSecrets('password=x').endsWith(REDACTED); // true
 * ```
 */
export const REDACTED = '***';

/**
 * Returns `text` with passwords in URLs, `password=…`-style pairs and bearer tokens
 * replaced by `***`.
 *
 * @example
 * ```ts
 * redactSecrets('connect postgres://app:s3cret@db:5432/app failed');
 * // 'connect postgres://app:***@db:5432/app failed'
 * redactSecrets('host=db password=s3cret'); // 'host=db password=***'
 * ```
 */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`)
    .replace(KEY_VALUE_SECRET, (_match, key: string, separator: string) => `${key}${separator}${REDACTED}`)
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`);
}
