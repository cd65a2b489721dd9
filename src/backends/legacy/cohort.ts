import { currentContext } from '../../context/request-context.js';
import { ValidationError } from '../../errors.js';
import { compareValues, matches } from '../../repository/condition-evaluator.js';
import type { Condition } from '../../repository/query.js';

/**
 * The set of ids a phased migration has moved on: ids inside follow the migration's
 * phase, ids outside stay at the adapter's `outsidePhase`.
 *
 * @example
 * ```ts
 * const cohort: Cohort<Customer, string> = hashPercentageCohort({ percent: 10 });
 * cohort.containsId('c-42'); // the same answer on every call and in every process
 * ```
 */
export interface Cohort<T extends object, ID> {
  /** For logs and reports, e.g. `hash(10%)`. */
  readonly description: string;
  /** True for {@link allCohort}: lets the adapter skip per-id routing. @default false */
  readonly everything?: boolean;
  /** Whether the entity with this id is inside. */
  containsId(id: ID): boolean;
  /** Whether this entity is inside (used on query results). */
  containsEntity(entity: T): boolean;
  /**
   * The cohort as conditions over entity fields, when it can be expressed as one, so a
   * backend can filter instead of the adapter.
   * @default undefined (the adapter filters with `containsEntity`)
   */
  readonly conditions?: { readonly inside: Condition; readonly outside: Condition };
}

/**
 * The cohort of every id: the whole data set moves together.
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., cohort: allCohort() });
 * ```
 */
export function allCohort<T extends object, ID>(): Cohort<T, ID> {
  return { description: 'all', everything: true, containsId: () => true, containsEntity: () => true };
}

/**
 * Options of {@link idRangeCohort}.
 *
 * @example
 * ```ts
 * const options: IdRangeCohortOptions<number> = { idField: 'id', from: 1, to: 50_000 };
 * ```
 */
export interface IdRangeCohortOptions<ID> {
  /** The id field of the entity. */
  readonly idField: string;
  /** Lowest id inside (inclusive). @default undefined (no lower bound) */
  readonly from?: ID;
  /** First id past the range (exclusive). @default undefined (no upper bound) */
  readonly to?: ID;
}

/**
 * The ids in `[from, to)`.
 *
 * @example
 * ```ts
 * idRangeCohort<Order, number>({ idField: 'id', from: 1, to: 100_000 });
 * ```
 */
export function idRangeCohort<T extends object, ID>(options: IdRangeCohortOptions<ID>): Cohort<T, ID> {
  const { idField, from, to } = options;
  if (from === undefined && to === undefined)
    throw new ValidationError('idRangeCohort needs a `from`, a `to` or both; for every id use allCohort()');
  const bounds: Condition[] = [];
  const outside: Condition[] = [];
  if (from !== undefined) {
    bounds.push({ kind: 'field', field: idField, op: 'gte', value: from });
    outside.push({ kind: 'field', field: idField, op: 'lt', value: from });
  }
  if (to !== undefined) {
    bounds.push({ kind: 'field', field: idField, op: 'lt', value: to });
    outside.push({ kind: 'field', field: idField, op: 'gte', value: to });
  }
  const containsId = (id: ID) =>
    (from === undefined || compareValues(id, from) >= 0) && (to === undefined || compareValues(id, to) < 0);
  return {
    description: `ids [${from === undefined ? '' : String(from)}, ${to === undefined ? '' : String(to)})`,
    containsId,
    containsEntity: (entity) => containsId((entity as Record<string, unknown>)[idField] as ID),
    conditions: { inside: { kind: 'and', conditions: bounds }, outside: { kind: 'or', conditions: outside } },
  };
}

/**
 * Options of {@link tenantCohort}.
 *
 * @example
 * ```ts
 * const options: TenantCohortOptions<string> = { field: 'tenantId', tenants: ['acme', 'globex'] };
 * ```
 */
export interface TenantCohortOptions<ID> {
  /** The entity field holding the tenant. */
  readonly field: string;
  /** The tenants inside. */
  readonly tenants: readonly (string | number)[];
  /**
   * The tenant of an id, for reads and writes by id. Without it the tenant comes from the
   * request context (`withContext({ attributes: { tenant } }, ...)`), and an id whose tenant
   * is unknown counts as outside.
   * @default undefined
   */
  readonly tenantOfId?: (id: ID) => string | number | undefined;
}

/**
 * The entities of some tenants.
 *
 * @example
 * ```ts
 * tenantCohort<Invoice, string>({ field: 'tenantId', tenants: ['acme'], tenantOfId: (id) => id.split(':')[0] });
 * ```
 */
export function tenantCohort<T extends object, ID>(options: TenantCohortOptions<ID>): Cohort<T, ID> {
  const tenants = new Set(options.tenants);
  const inside: Condition = { kind: 'field', field: options.field, op: 'in', value: [...tenants] };
  const outside: Condition = { kind: 'field', field: options.field, op: 'notIn', value: [...tenants] };
  return {
    description: `tenants ${[...tenants].join(', ')}`,
    containsId: (id) => {
      const tenant = options.tenantOfId
        ? options.tenantOfId(id)
        : (currentContext()?.attributes?.tenant as string | number | undefined);
      return tenant !== undefined && tenants.has(tenant);
    },
    containsEntity: (entity) => matches(entity, inside),
    conditions: { inside, outside },
  };
}

/**
 * Options of {@link hashPercentageCohort}.
 *
 * @example
 * ```ts
 * const options: HashPercentageCohortOptions = { percent: 10, salt: 'orders-2026' };
 * ```
 */
export interface HashPercentageCohortOptions {
  /** How many ids are inside, 0 to 100 (two decimals). Raising it keeps every id already inside. */
  readonly percent: number;
  /** The id field of the entity. @default 'id' */
  readonly idField?: string;
  /** Mixed into the hash so two migrations pick different ids. @default '' */
  readonly salt?: string;
}

/**
 * A sticky percentage of the ids, chosen by a hash of the id: the same id is always in
 * or out, in every process, and raising the percentage only adds ids.
 *
 * @example
 * ```ts
 * const cohort = hashPercentageCohort<User, number>({ percent: 5, salt: 'users-2026' });
 * ```
 */
export function hashPercentageCohort<T extends object, ID>(
  options: HashPercentageCohortOptions,
): Cohort<T, ID> {
  const { percent, salt = '', idField = 'id' } = options;
  if (!(percent >= 0 && percent <= 100))
    throw new ValidationError(
      `hashPercentageCohort percent must be between 0 and 100, got ${String(percent)}`,
    );
  const limit = Math.round(percent * 100);
  const containsId = (id: ID) => idBucket(id, salt) < limit;
  return {
    description: `hash(${percent}%)`,
    containsId,
    containsEntity: (entity) => containsId((entity as Record<string, unknown>)[idField] as ID),
  };
}

/**
 * The bucket, 0 to 9999, of an id (FNV-1a over its text and the salt).
 *
 * @example
 * ```ts
 * idBucket('c-42', ''); // always the same number
 * ```
 */
export function idBucket(id: unknown, salt: string): number {
  const text = `${salt}:${id instanceof Date ? id.toISOString() : String(id)}`;
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 10_000;
}
