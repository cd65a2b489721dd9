import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { ValidationError } from '../../errors.js';
import type { Condition } from '../../repository/query.js';
import type { ColumnMapping } from './column-mapping.js';

// biome-ignore lint/suspicious/noExplicitAny: tables are configured at run time, not typed
type AnyExpressionBuilder = ExpressionBuilder<any, any>;

/**
 * Compiles a normalised {@link Condition} into a Kysely boolean expression. Columns come
 * from the entity's {@link ColumnMapping} (an unknown field is a `ValidationError`, never
 * an identifier), and every value is a parameter.
 *
 * Semantics follow JavaScript rather than SQL's three-valued logic, so that every
 * backend answers alike: `ne` and `notIn` keep rows whose column is NULL
 * (`is distinct from`), `eq: null` / `ne: null` mean `is null` / `is not null`.
 * `in` / `notIn` send the whole list as one array parameter (`= any($1)`), so the
 * statement text does not depend on the list's length.
 *
 * @example
 * ```ts
 * db.selectFrom('users').selectAll().where((eb) =>
 *   compileCondition(eb, mapping, {
 *     kind: 'or',
 *     conditions: [
 *       { kind: 'field', field: 'age', op: 'gte', value: 18 },
 *       { kind: 'field', field: 'name', op: 'in', value: ['Ada', 'Grace'] },
 *     ],
 *   }),
 * );
 * // select * from "users" where ("age" >= $1 or "name" = any($2))
 * ```
 */
export function compileCondition(
  eb: AnyExpressionBuilder,
  mapping: ColumnMapping,
  condition: Condition,
): Expression<SqlBool> {
  switch (condition.kind) {
    case 'and':
    case 'or': {
      const parts = condition.conditions.map((part) => compileCondition(eb, mapping, part));
      if (parts.length === 0) return condition.kind === 'and' ? sql<SqlBool>`true` : sql<SqlBool>`false`;
      return condition.kind === 'and' ? eb.and(parts) : eb.or(parts);
    }
    case 'field':
      return compileField(mapping, condition.field, condition.op, condition.value);
    default:
      throw new ValidationError(`Unknown condition kind ${JSON.stringify((condition as Condition).kind)}`);
  }
}

function compileField(
  mapping: ColumnMapping,
  field: string,
  op: string,
  value: unknown,
): Expression<SqlBool> {
  const mapped = mapping.get(field);
  const column = sql.id(mapped.column);
  const encode = mapped.codec.encode;
  switch (op) {
    case 'eq':
      return value === null ? sql<SqlBool>`${column} is null` : sql<SqlBool>`${column} = ${encode(value)}`;
    case 'ne':
      return value === null
        ? sql<SqlBool>`${column} is not null`
        : sql<SqlBool>`${column} is distinct from ${encode(value)}`;
    case 'gt':
      return sql<SqlBool>`${column} > ${encode(value)}`;
    case 'gte':
      return sql<SqlBool>`${column} >= ${encode(value)}`;
    case 'lt':
      return sql<SqlBool>`${column} < ${encode(value)}`;
    case 'lte':
      return sql<SqlBool>`${column} <= ${encode(value)}`;
    case 'like':
      return sql<SqlBool>`${column} like ${requireString(field, op, value)}`;
    case 'ilike':
      return sql<SqlBool>`${column} ilike ${requireString(field, op, value)}`;
    case 'isNull':
      return value ? sql<SqlBool>`${column} is null` : sql<SqlBool>`${column} is not null`;
    case 'in':
      return sql<SqlBool>`${column} = any(${requireList(field, op, value).map(encode)})`;
    case 'notIn':
      return sql<SqlBool>`not (${column} = any(${requireList(field, op, value).map(encode)}) is true)`;
    default:
      throw new ValidationError(`Unknown filter operator ${JSON.stringify(op)} on field "${field}"`, [
        { path: field, message: `unknown operator ${JSON.stringify(op)}`, code: 'unknown_operator' },
      ]);
  }
}

function requireString(field: string, op: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`Filter "${field}.${op}" needs a string pattern`, [
      { path: field, message: `${op} needs a string pattern`, code: 'invalid_type' },
    ]);
  }
  return value;
}

function requireList(field: string, op: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new ValidationError(`Filter "${field}.${op}" needs a list of values`, [
      { path: field, message: `${op} needs a list of values`, code: 'invalid_type' },
    ]);
  }
  return value;
}
