import { ValidationError, type ValidationIssue } from '../errors.js';
import type { Entity } from './entity.js';
import { type FieldKind, fieldKind } from './field-kind.js';
import type { Condition, ConditionOperator, NormalizedSort, SortDirection } from './query.js';

/** Bounds on what a caller may ask for, so hostile input cannot make a query explode. */
export interface QueryLimits {
  /** @default 10_000 */
  readonly maxLimit: number;
  /** @default 10_000 */
  readonly maxInList: number;
  /** @default 8 */
  readonly maxDepth: number;
  /** @default 256 */
  readonly maxConditions: number;
  /** @default 8 */
  readonly maxSortKeys: number;
}

/** The default {@link QueryLimits}. */
export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxLimit: 10_000,
  maxInList: 10_000,
  maxDepth: 8,
  maxConditions: 256,
  maxSortKeys: 8,
};

const OPERATORS = new Set<string>([
  'eq',
  'ne',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'isNull',
]);
const ORDERED_KINDS = new Set<FieldKind>(['string', 'number', 'bigint', 'date', 'enum']);

/**
 * Turns caller-supplied filters, sort keys and bounds into the validated, normalised
 * form backends receive. Every field name is checked against the entity, every value
 * against the field's type; nothing the caller sends becomes an identifier.
 */
export class QueryNormalizer {
  readonly #entity: Entity;
  readonly #limits: QueryLimits;
  readonly #kinds = new Map<string, FieldKind>();

  constructor(entity: Entity, limits: Partial<QueryLimits> = {}) {
    this.#entity = entity;
    this.#limits = { ...DEFAULT_QUERY_LIMITS, ...limits };
    for (const field of entity.fields) this.#kinds.set(field, fieldKind(entity.fieldSchema(field)));
  }

  /** The kind of a filterable field, or undefined for unknown and non-scalar fields. */
  kindOf(field: string): FieldKind | undefined {
    const kind = this.#kinds.get(field);
    return kind === 'other' ? undefined : kind;
  }

  /** Validates a filter; undefined for "everything". */
  filter(filter: unknown): Condition | undefined {
    if (filter === undefined || filter === null) return undefined;
    const issues: ValidationIssue[] = [];
    const budget = { conditions: 0 };
    const condition = this.#filter(filter, 'where', 0, issues, budget);
    if (issues.length > 0)
      throw ValidationError.fromIssues(`Invalid ${this.#entity.name} filter`, issues, {
        entity: this.#entity.name,
      });
    return condition;
  }

  /** Validates sort keys and appends the id, so the order is total. */
  orderBy(orderBy: unknown): NormalizedSort[] {
    const issues: ValidationIssue[] = [];
    const keys: NormalizedSort[] = [];
    const entries = this.#sortEntries(orderBy, issues);
    if (entries.length > this.#limits.maxSortKeys) {
      issues.push({
        path: 'orderBy',
        message: `at most ${this.#limits.maxSortKeys} sort keys are allowed`,
        code: 'too_big',
      });
    }
    for (const [index, [field, direction]] of entries.entries()) {
      const path = Array.isArray(orderBy) ? `orderBy.${index}` : `orderBy.${field}`;
      if (typeof field !== 'string' || !this.#kinds.has(field)) {
        issues.push({
          path,
          message: `unknown field ${describe(field)}; sortable fields: ${this.#scalarFields().join(', ')}`,
          code: 'unknown_field',
        });
        continue;
      }
      const kind = this.#kinds.get(field)!;
      if (!ORDERED_KINDS.has(kind) && kind !== 'boolean') {
        issues.push({
          path,
          message: `field "${field}" is not sortable (it holds ${kind === 'other' ? 'a non-scalar value' : kind})`,
          code: 'invalid_field',
        });
        continue;
      }
      if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
        issues.push({
          path,
          message: `sort direction must be "asc" or "desc", got ${describe(direction)}`,
          code: 'invalid_value',
        });
        continue;
      }
      if (keys.some((key) => key.field === field)) {
        issues.push({ path, message: `field "${field}" appears twice in the sort`, code: 'duplicate' });
        continue;
      }
      keys.push({ field, direction: (direction as SortDirection | undefined) ?? 'asc' });
    }
    if (issues.length > 0)
      throw ValidationError.fromIssues(`Invalid ${this.#entity.name} sort`, issues, {
        entity: this.#entity.name,
      });
    const idField = this.#entity.idField;
    if (!keys.some((key) => key.field === idField))
      keys.push({ field: idField, direction: keys.at(-1)?.direction ?? 'asc' });
    return keys;
  }

  /** Validates limit and offset. */
  bounds(limit: unknown, offset: unknown): { limit?: number; offset?: number } {
    const issues: ValidationIssue[] = [];
    if (
      limit !== undefined &&
      (!Number.isInteger(limit) || (limit as number) < 0 || (limit as number) > this.#limits.maxLimit)
    ) {
      issues.push({
        path: 'limit',
        message: `limit must be a whole number from 0 to ${this.#limits.maxLimit}, got ${describe(limit)}`,
        code: 'invalid_value',
      });
    }
    if (offset !== undefined && (!Number.isInteger(offset) || (offset as number) < 0)) {
      issues.push({
        path: 'offset',
        message: `offset must be a whole number of at least 0, got ${describe(offset)}`,
        code: 'invalid_value',
      });
    }
    if (issues.length > 0)
      throw ValidationError.fromIssues(`Invalid ${this.#entity.name} query`, issues, {
        entity: this.#entity.name,
      });
    return {
      ...(limit === undefined ? {} : { limit: limit as number }),
      ...(offset === undefined ? {} : { offset: offset as number }),
    };
  }

  /** Checks one value against a field's kind; returns the issue message or undefined. */
  checkValue(field: string, value: unknown): string | undefined {
    const kind = this.#kinds.get(field);
    switch (kind) {
      case 'string':
        return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value)
          ? undefined
          : `expected a finite number, got ${describe(value)}`;
      case 'bigint':
        return typeof value === 'bigint' || Number.isSafeInteger(value)
          ? undefined
          : `expected a bigint, got ${describe(value)}`;
      case 'boolean':
        return typeof value === 'boolean' ? undefined : `expected a boolean, got ${describe(value)}`;
      case 'date':
        return value instanceof Date && !Number.isNaN(value.getTime())
          ? undefined
          : `expected a valid Date, got ${describe(value)}`;
      case 'enum': {
        const result = this.#entity.fieldSchema(field)!.safeParse(value);
        return result.success && value !== null && value !== undefined
          ? undefined
          : `expected one of the field's values, got ${describe(value)}`;
      }
      default:
        return `field "${field}" cannot be filtered`;
    }
  }

  #filter(
    filter: unknown,
    path: string,
    depth: number,
    issues: ValidationIssue[],
    budget: { conditions: number },
  ): Condition | undefined {
    if (!isPlainObject(filter)) {
      issues.push({
        path,
        message: `a filter must be an object of field conditions, got ${describe(filter)}`,
        code: 'invalid_type',
      });
      return undefined;
    }
    if (depth > this.#limits.maxDepth) {
      issues.push({
        path,
        message: `filters may nest at most ${this.#limits.maxDepth} levels deep`,
        code: 'too_deep',
      });
      return undefined;
    }
    const conditions: Condition[] = [];
    for (const [key, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      const here = `${path}.${key}`;
      if (key === 'and' || key === 'or') {
        if (!Array.isArray(value)) {
          issues.push({ path: here, message: `"${key}" takes an array of filters`, code: 'invalid_type' });
          continue;
        }
        const children = value
          .map((child, index) => this.#filter(child, `${here}.${index}`, depth + 1, issues, budget))
          .filter((child): child is Condition => child !== undefined);
        if (key === 'or' && value.length === 0) conditions.push({ kind: 'or', conditions: [] });
        else if (children.length > 0) conditions.push({ kind: key, conditions: children });
        continue;
      }
      if (!this.#kinds.has(key)) {
        issues.push({
          path: here,
          message: `unknown field "${truncate(key)}"; filterable fields: ${this.#scalarFields().join(', ')}`,
          code: 'unknown_field',
        });
        continue;
      }
      if (this.#kinds.get(key) === 'other') {
        issues.push({
          path: here,
          message: `field "${key}" holds a non-scalar value and cannot be filtered`,
          code: 'invalid_field',
        });
        continue;
      }
      for (const condition of this.#fieldConditions(key, value, here, issues)) {
        if (++budget.conditions > this.#limits.maxConditions) {
          issues.push({
            path,
            message: `a filter may hold at most ${this.#limits.maxConditions} conditions`,
            code: 'too_big',
          });
          return undefined;
        }
        conditions.push(condition);
      }
    }
    if (conditions.length === 1) return conditions[0];
    return conditions.length === 0 ? undefined : { kind: 'and', conditions };
  }

  #fieldConditions(field: string, value: unknown, path: string, issues: ValidationIssue[]): Condition[] {
    if (value === null) return [{ kind: 'field', field, op: 'isNull', value: true }];
    if (!isPlainObject(value)) return this.#operator(field, 'eq', value, path, issues);
    const operators = Object.entries(value).filter(([, operand]) => operand !== undefined);
    if (operators.length === 0) {
      issues.push({ path, message: 'an operator object needs at least one operator', code: 'invalid_value' });
      return [];
    }
    return operators.flatMap(([op, operand]) => {
      if (!OPERATORS.has(op)) {
        issues.push({
          path: `${path}.${truncate(op)}`,
          message: `unknown operator "${truncate(op)}"; use one of ${[...OPERATORS].join(', ')}`,
          code: 'unknown_operator',
        });
        return [];
      }
      return this.#operator(field, op as ConditionOperator, operand, `${path}.${op}`, issues);
    });
  }

  #operator(
    field: string,
    op: ConditionOperator,
    operand: unknown,
    path: string,
    issues: ValidationIssue[],
  ): Condition[] {
    const condition = (normalizedOp: ConditionOperator, value: unknown): Condition[] => [
      { kind: 'field', field, op: normalizedOp, value },
    ];
    const fail = (message: string): Condition[] => {
      issues.push({ path, message, code: 'invalid_value' });
      return [];
    };
    switch (op) {
      case 'isNull':
        return typeof operand === 'boolean'
          ? condition('isNull', operand)
          : fail(`isNull takes true or false, got ${describe(operand)}`);
      case 'eq':
      case 'ne':
        if (operand === null) return condition('isNull', op === 'eq');
        return this.#scalar(field, operand, fail, (value) => condition(op, value));
      case 'in':
      case 'notIn': {
        if (!Array.isArray(operand)) return fail(`${op} takes an array, got ${describe(operand)}`);
        if (operand.length > this.#limits.maxInList)
          return fail(`${op} takes at most ${this.#limits.maxInList} values`);
        const values: unknown[] = [];
        for (const [index, item] of operand.entries()) {
          const problem = this.checkValue(field, item);
          if (problem) return fail(`value ${index}: ${problem}`);
          values.push(this.#coerce(field, item));
        }
        return condition(op, values);
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (!ORDERED_KINDS.has(this.#kinds.get(field)!))
          return fail(
            `${op} needs a string, number, bigint, date or enum field; "${field}" is ${this.#kinds.get(field)}`,
          );
        return this.#scalar(field, operand, fail, (value) => condition(op, value));
      case 'like':
      case 'ilike':
        if (this.#kinds.get(field) !== 'string')
          return fail(`${op} needs a string field; "${field}" is ${this.#kinds.get(field)}`);
        return typeof operand === 'string'
          ? condition(op, operand)
          : fail(`${op} takes a pattern string, got ${describe(operand)}`);
    }
  }

  #scalar(
    field: string,
    operand: unknown,
    fail: (message: string) => Condition[],
    build: (value: unknown) => Condition[],
  ): Condition[] {
    const problem = this.checkValue(field, operand);
    return problem ? fail(problem) : build(this.#coerce(field, operand));
  }

  #coerce(field: string, value: unknown): unknown {
    return this.#kinds.get(field) === 'bigint' && typeof value === 'number' ? BigInt(value) : value;
  }

  #sortEntries(orderBy: unknown, issues: ValidationIssue[]): [unknown, unknown][] {
    if (orderBy === undefined || orderBy === null) return [];
    if (Array.isArray(orderBy)) {
      return orderBy.map((key, index) => {
        if (!isPlainObject(key)) {
          issues.push({
            path: `orderBy.${index}`,
            message: 'a sort key is { field, direction? }',
            code: 'invalid_type',
          });
          return [undefined, undefined];
        }
        return [key.field, key.direction];
      });
    }
    if (isPlainObject(orderBy))
      return Object.entries(orderBy).filter(([, direction]) => direction !== undefined);
    issues.push({
      path: 'orderBy',
      message: `orderBy must be an object or an array of sort keys, got ${describe(orderBy)}`,
      code: 'invalid_type',
    });
    return [];
  }

  #scalarFields(): string[] {
    return [...this.#kinds].filter(([, kind]) => kind !== 'other').map(([field]) => field);
  }
}

/** Whether a value is a plain object (not an array, Date, Buffer, class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(truncate(value))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${truncate(String(value))}`;
}
