import type { MappedColumn } from './column-mapping.js';

/**
 * Parameters per statement at most: PostgreSQL's bind protocol allows 65,535; stay
 * clear of the edge.
 *
 * @example
 * ```ts
 * const rowsPerStatement = Math.floor(MAX_PARAMETERS / columnCount); // 8 columns → 8,125 rows
 * ```
 */
export const MAX_PARAMETERS = 65_000;

/**
 * A compiled statement, ready for `SqlExecutor.query`.
 *
 * @example
 * ```ts
 * const statement: CompiledStatement = { sql: 'select 1 where $1', parameters: [true] };
 * ```
 */
export interface CompiledStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * The fixed parts of a multi-row INSERT for one table: the quoted target, the quoted
 * column of every field, and the RETURNING list. Built once per backend with Kysely's
 * identifier quoting.
 *
 * @example
 * ```ts
 * const shape: InsertShape = {
 *   target: '"app"."users"',
 *   columns: mapping.columns,
 *   quotedColumns: ['"id"', '"email"'],
 *   returning: '"id" as "id", "email" as "email"',
 * };
 * ```
 */
export interface InsertShape {
  readonly target: string;
  readonly columns: readonly MappedColumn[];
  readonly quotedColumns: readonly string[];
  readonly returning: string;
}

/**
 * Splits rows into chunks whose statements stay under {@link MAX_PARAMETERS}.
 *
 * @example
 * ```ts
 * chunkRows(rows, 5, undefined); // 20,000 rows of 5 columns → chunks of 13,000 and 7,000
 * ```
 */
export function chunkRows<R>(rows: readonly R[], columnCount: number, maxRows: number | undefined): R[][] {
  const fitting = Math.max(1, Math.floor(MAX_PARAMETERS / Math.max(1, columnCount)));
  const size = Math.max(1, Math.min(fitting, maxRows ?? fitting));
  const chunks: R[][] = [];
  for (let start = 0; start < rows.length; start += size) chunks.push(rows.slice(start, start + size));
  return chunks;
}

/**
 * Compiles one multi-row `INSERT … VALUES … RETURNING`. The column list is the union of
 * the fields the rows define (schema order); a row that leaves one out gets `default`
 * there. Only `$n` placeholders and identifiers from the shape enter the text; every
 * value is a parameter.
 *
 * The VALUES list is written here rather than with Kysely's `.values()`, because
 * compiling 13,000 rows through Kysely's node tree costs about four times as much as
 * this loop, and bulk inserts are where that shows.
 *
 * @example
 * ```ts
 * compileInsert(shape, [{ email: 'a@x' }, { id: 7, email: 'b@x' }]);
 * // insert into "app"."users" ("id", "email") values (default, $1), ($2, $3)
 * //   returning "id" as "id", "email" as "email"
 * // parameters: ['a@x', 7, 'b@x']
 * ```
 */
export function compileInsert(
  shape: InsertShape,
  rows: readonly Readonly<Record<string, unknown>>[],
): CompiledStatement {
  const used: number[] = [];
  shape.columns.forEach((mapped, index) => {
    if (rows.some((row) => row[mapped.field] !== undefined)) used.push(index);
  });
  if (used.length === 0) {
    // `default values` inserts a single row, so name one column and let every row default it.
    const parts = rows.map(() => '(default)');
    return {
      sql: `insert into ${shape.target} (${shape.quotedColumns[0]}) values ${parts.join(', ')} returning ${shape.returning}`,
      parameters: [],
    };
  }
  const parameters: unknown[] = [];
  const tuples: string[] = new Array(rows.length);
  for (let rowIndex = 0; rowIndex < rows.length; rowIndex += 1) {
    const row = rows[rowIndex]!;
    let tuple = '(';
    for (let position = 0; position < used.length; position += 1) {
      const mapped = shape.columns[used[position]!]!;
      const value = row[mapped.field];
      if (position > 0) tuple += ', ';
      if (value === undefined) {
        tuple += 'default';
      } else {
        parameters.push(mapped.codec.encode(value));
        tuple += `$${parameters.length}`;
      }
    }
    tuples[rowIndex] = `${tuple})`;
  }
  const columnList = used.map((index) => shape.quotedColumns[index]).join(', ');
  return {
    sql: `insert into ${shape.target} (${columnList}) values ${tuples.join(', ')} returning ${shape.returning}`,
    parameters,
  };
}

/**
 * Compiles a bulk `INSERT … SELECT * FROM unnest(…)`: one array parameter per column,
 * however many rows, so the statement stays small and PostgreSQL parses it once. Used
 * when every row sets the same columns and none of them is an array column (unnest would
 * flatten it). Returns undefined when the rows do not qualify; the caller then uses
 * {@link compileInsert}.
 *
 * @example
 * ```ts
 * compileUnnestInsert(shape, rows, new Map([['email', 'text'], ['age', 'integer']]));
 * // insert into "app"."users" ("email", "age")
 * //   select * from unnest($1::text[], $2::integer[]) returning ...
 * // parameters: [['a@x', 'b@x'], [30, null]]
 * ```
 */
export function compileUnnestInsert(
  shape: InsertShape,
  rows: readonly Readonly<Record<string, unknown>>[],
  columnTypes: ReadonlyMap<string, string>,
): CompiledStatement | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const used: number[] = [];
  shape.columns.forEach((mapped, index) => {
    if (first[mapped.field] !== undefined) used.push(index);
  });
  if (used.length === 0) return undefined;
  const casts: string[] = [];
  for (const index of used) {
    const type = columnTypes.get(shape.columns[index]!.column);
    if (type === undefined || type.endsWith(']')) return undefined;
    casts.push(type);
  }
  const unused = shape.columns.filter((_, index) => !used.includes(index));
  const arrays: unknown[][] = used.map(() => new Array(rows.length));
  for (let rowIndex = 0; rowIndex < rows.length; rowIndex += 1) {
    const row = rows[rowIndex]!;
    for (const mapped of unused) if (row[mapped.field] !== undefined) return undefined;
    for (let position = 0; position < used.length; position += 1) {
      const mapped = shape.columns[used[position]!]!;
      const value = row[mapped.field];
      if (value === undefined) return undefined;
      arrays[position]![rowIndex] = value === null ? null : mapped.codec.encode(value);
    }
  }
  const columnList = used.map((index) => shape.quotedColumns[index]).join(', ');
  const unnest = casts.map((type, position) => `$${position + 1}::${type}[]`).join(', ');
  return {
    sql: `insert into ${shape.target} (${columnList}) select * from unnest(${unnest}) returning ${shape.returning}`,
    parameters: arrays,
  };
}
