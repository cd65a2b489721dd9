import type { BackendQuery, Condition, NormalizedSort } from './query.js';

/**
 * Evaluates normalised conditions and sorts in JavaScript, with the semantics every
 * backend follows (see {@link Condition}). For backends that hold rows in memory or
 * fetch whole ranges (memory, Sheets, legacy files).
 *
 * @example
 * ```ts
 * const rows = applyQuery(allRows, { where: { kind: 'field', field: 'age', op: 'gte', value: 18 }, orderBy: [{ field: 'id', direction: 'asc' }] });
 * ```
 */
export function applyQuery<T extends object>(rows: Iterable<T>, query: BackendQuery): T[] {
  const matching: T[] = [];
  for (const row of rows) if (matches(row, query.where)) matching.push(row);
  matching.sort(comparatorFor(query.orderBy));
  const start = query.offset ?? 0;
  return matching.slice(start, query.limit === undefined ? undefined : start + query.limit);
}

/**
 * Whether one row satisfies a condition (undefined matches everything).
 *
 * @example
 * ```ts
 * matches({ age: 20 }, { kind: 'field', field: 'age', op: 'gt', value: 18 }); // true
 * ```
 */
export function matches(row: object, condition: Condition | undefined): boolean {
  if (condition === undefined) return true;
  if (condition.kind !== 'field') {
    return condition.kind === 'and'
      ? condition.conditions.every((child) => matches(row, child))
      : condition.conditions.some((child) => matches(row, child));
  }
  const actual = (row as Record<string, unknown>)[condition.field];
  const isNull = actual === null || actual === undefined;
  const { op, value } = condition;
  switch (op) {
    case 'isNull':
      return isNull === value;
    case 'eq':
      return !isNull && compareValues(actual, value) === 0;
    case 'ne':
      return isNull || compareValues(actual, value) !== 0;
    case 'in':
      return !isNull && (value as unknown[]).some((item) => compareValues(actual, item) === 0);
    case 'notIn':
      return isNull || !(value as unknown[]).some((item) => compareValues(actual, item) === 0);
    case 'gt':
      return !isNull && compareValues(actual, value) > 0;
    case 'gte':
      return !isNull && compareValues(actual, value) >= 0;
    case 'lt':
      return !isNull && compareValues(actual, value) < 0;
    case 'lte':
      return !isNull && compareValues(actual, value) <= 0;
    case 'like':
      return !isNull && likePattern(value as string, false).test(String(actual));
    case 'ilike':
      return !isNull && likePattern(value as string, true).test(String(actual));
  }
}

/**
 * A comparator for normalised sort keys; nulls sort last ascending and first descending,
 * as PostgreSQL does.
 *
 * @example
 * ```ts
 * rows.sort(comparatorFor([{ field: 'name', direction: 'asc' }, { field: 'id', direction: 'asc' }]));
 * ```
 */
export function comparatorFor(orderBy: readonly NormalizedSort[]): (a: object, b: object) => number {
  return (a, b) => {
    for (const { field, direction } of orderBy) {
      const left = (a as Record<string, unknown>)[field];
      const right = (b as Record<string, unknown>)[field];
      const leftNull = left === null || left === undefined;
      const rightNull = right === null || right === undefined;
      let order: number;
      if (leftNull || rightNull) order = leftNull === rightNull ? 0 : leftNull ? 1 : -1;
      else order = compareValues(left, right);
      if (order !== 0) return direction === 'asc' ? order : -order;
    }
    return 0;
  };
}

/**
 * Compares two non-null scalar values of the same field type. Strings compare by code
 * point (PostgreSQL with the C collation; backends with other collations may differ on
 * non-ASCII text).
 *
 * @example
 * ```ts
 * compareValues(new Date(1), new Date(2)); // -1
 * ```
 */
export function compareValues(left: unknown, right: unknown): number {
  const a = left instanceof Date ? left.getTime() : left;
  const b = right instanceof Date ? right.getTime() : right;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a === b) return 0;
  return (a as number) < (b as number) ? -1 : 1;
}

const patternCache = new Map<string, RegExp>();

function likePattern(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}:${pattern}`;
  let regex = patternCache.get(key);
  if (!regex) {
    let source = '';
    for (let index = 0; index < pattern.length; index++) {
      const char = pattern[index]!;
      if (char === '\\' && index + 1 < pattern.length) source += escapeRegex(pattern[++index]!);
      else if (char === '%') source += '[\\s\\S]*';
      else if (char === '_') source += '[\\s\\S]';
      else source += escapeRegex(char);
    }
    regex = new RegExp(`^${source}$`, caseInsensitive ? 'iu' : 'u');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(key, regex);
  }
  return regex;
}

function escapeRegex(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
