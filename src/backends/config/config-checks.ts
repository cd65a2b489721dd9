import { RepositoryError, ValidationError, type ValidationIssue } from '../../errors.js';
import { jsonEqual } from './object-path.js';

/**
 * Issues for values the database cannot hold as they are (NaN, bigint, Date, class
 * instances, functions): what goes in must come back out equal.
 *
 * @example
 * ```ts
 * jsonIssues({ 'db.pool.max': Number.NaN }); // [{ path: 'db.pool.max', code: 'not_json', … }]
 * ```
 */
export function jsonIssues(values: Readonly<Record<string, unknown>>): ValidationIssue[] {
  return Object.entries(values)
    .filter(([, value]) => !isJson(value))
    .map(([path]) => ({
      path,
      message: 'must be JSON: a string, finite number, boolean, null, array or plain object',
      code: 'not_json',
    }));
}

function isJson(value: unknown): boolean {
  if (value === undefined) return true; // removes the key
  try {
    return jsonEqual(JSON.parse(JSON.stringify(value)), value);
  } catch {
    return false;
  }
}

/**
 * Version numbers and limits are whole numbers from `min` up; anything else is a caller's mistake.
 *
 * @example
 * ```ts
 * checkCount('version', 1.5, 1); // throws ValidationError
 * ```
 */
export function checkCount(name: string, value: number, min: number): void {
  if (Number.isSafeInteger(value) && value >= min) return;
  throw ValidationError.fromIssues(`Invalid ${name}`, [
    {
      path: name,
      message: `must be a whole number of at least ${min}, got ${String(value)}`,
      code: 'invalid_number',
    },
  ]);
}

/**
 * Log fields for an error: a reposit error's own JSON (never its cause), else its message.
 *
 * @example
 * ```ts
 * logger.warn({ err: errorFields(error) }, 'configuration change rejected');
 * ```
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof RepositoryError) return error.toJSON();
  return { message: error instanceof Error ? error.message : String(error) };
}
