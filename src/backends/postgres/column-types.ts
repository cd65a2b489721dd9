import type { SqlExecutor } from '../../connection/sql-executor.js';

/**
 * The SQL type of every column of a table, as `format_type` spells it
 * (`integer`, `timestamp with time zone`, `text[]` …), read once from the catalog.
 *
 * @example
 * ```ts
 * const types = await readColumnTypes(connections, '"app"."users"');
 * types.get('created_at'); // 'timestamp with time zone'
 * ```
 */
export async function readColumnTypes(
  executor: SqlExecutor,
  quotedTarget: string,
): Promise<Map<string, string>> {
  const { rows } = await executor.query<{ name: string; type: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a
      where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped`,
    [quotedTarget],
    { intent: 'write' },
  );
  return new Map(rows.map((row) => [row.name, row.type]));
}
