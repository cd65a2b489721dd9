import { ValidationError } from '../../errors.js';

/** PostgreSQL truncates longer identifiers silently, which would make two names collide. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Converts a camelCase field name to the snake_case column name PostgreSQL code
 * usually uses. Runs of capitals count as one word (`userID` → `user_id`).
 *
 * @example
 * ```ts
 * toSnakeCase('createdAt'); // 'created_at'
 * toSnakeCase('htmlURLPath'); // 'html_url_path'
 * ```
 */
export function toSnakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Checks a table, schema or column name taken from configuration. Identifiers are
 * always quoted in SQL (so any character is safe), but an empty name, a NUL byte or a
 * name longer than PostgreSQL keeps is a configuration mistake worth a clear message.
 * Table and schema names may not contain a dot: `schema.table` must be given as the
 * separate `schema` option, so that one string never means two things.
 *
 * @example
 * ```ts
 * assertIdentifier('table', 'users'); // ok
 * assertIdentifier('table', 'app.users'); // ValidationError: use the `schema` option
 * ```
 */
export function assertIdentifier(role: string, name: string, options: { allowDot?: boolean } = {}): string {
  const problem =
    typeof name !== 'string' || name.length === 0
      ? 'must be a non-empty string'
      : name.includes('\0')
        ? 'must not contain a NUL character'
        : Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES
          ? `is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte identifier limit`
          : !options.allowDot && name.includes('.')
            ? 'must not contain "." (give the schema with the `schema` option)'
            : undefined;
  if (problem) {
    throw new ValidationError(`PostgreSQL ${role} name ${JSON.stringify(name)} ${problem}`, [
      { path: role, message: problem, code: 'invalid_identifier' },
    ]);
  }
  return name;
}
