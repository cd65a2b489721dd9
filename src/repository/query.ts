/** Values a filter can compare a field with. */
export type FilterScalar = string | number | bigint | boolean | Date;

/** Operators on one field. `like`/`ilike` take SQL LIKE patterns (`%`, `_`). */
export interface FieldOperators<V> {
  eq?: V | null;
  ne?: V | null;
  in?: readonly V[];
  notIn?: readonly V[];
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
  like?: V extends string ? string : never;
  ilike?: V extends string ? string : never;
  isNull?: boolean;
}

/** A field's filter: a plain value means `eq`. */
export type FieldFilter<V> = V | null | FieldOperators<NonNullable<V>>;

type FilterableKeys<T> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends FilterScalar ? K : never;
}[keyof T & string];

/**
 * A typed filter: keys are the entity's scalar fields (checked by the compiler), values
 * are a value (equality) or operators; `and`/`or` combine filters.
 *
 * @example
 * ```ts
 * const adults: Filter<User> = { age: { gte: 18 }, or: [{ name: { ilike: 'a%' } }, { email: { like: '%@corp.com' } }] };
 * // SQL: WHERE age >= $1 AND (name ILIKE $2 OR email LIKE $3)
 * ```
 */
export type Filter<T> = { [K in FilterableKeys<T>]?: FieldFilter<T[K]> } & {
  and?: readonly Filter<T>[];
  or?: readonly Filter<T>[];
};

/** Sort direction. */
export type SortDirection = 'asc' | 'desc';

/** One sort key. */
export interface SortKey<T> {
  readonly field: FilterableKeys<T>;
  readonly direction?: SortDirection;
}

/**
 * Sort order: an object (`{ createdAt: 'desc' }`, keys in order) or a list of keys.
 *
 * @example
 * ```ts
 * const order: OrderBy<User> = [{ field: 'createdAt', direction: 'desc' }, { field: 'id' }];
 * ```
 */
export type OrderBy<T> = { [K in FilterableKeys<T>]?: SortDirection } | readonly SortKey<T>[];

/**
 * A list query.
 *
 * @example
 * ```ts
 * await users.list({ where: { age: { gte: 18 } }, orderBy: { name: 'asc' }, limit: 20, offset: 40 });
 * ```
 */
export interface ListQuery<T> {
  readonly where?: Filter<T>;
  readonly orderBy?: OrderBy<T>;
  /** At most this many rows. */
  readonly limit?: number;
  /** Skip this many rows (prefer keyset pages for deep pagination). */
  readonly offset?: number;
}

/**
 * A keyset page query: pass `cursor: null` for the first page and `nextCursor` of the
 * previous page after that.
 *
 * @example
 * ```ts
 * let page = await users.list({ orderBy: { createdAt: 'desc' }, limit: 50, cursor: null });
 * while (page.nextCursor) page = await users.list({ orderBy: { createdAt: 'desc' }, limit: 50, cursor: page.nextCursor });
 * ```
 */
export interface PageQuery<T> extends Omit<ListQuery<T>, 'offset'> {
  readonly cursor: string | null;
}

/**
 * One page of a keyset-paginated list.
 *
 * @example
 * ```ts
 * const { items, nextCursor } = await users.list({ limit: 10, cursor: null });
 * ```
 */
export interface Page<T> {
  readonly items: T[];
  /** Pass it as `cursor` to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Comparison operators of a normalised {@link Condition}. */
export type ConditionOperator =
  | 'eq'
  | 'ne'
  | 'in'
  | 'notIn'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'like'
  | 'ilike'
  | 'isNull';

/**
 * A validated, normalised filter as backends receive it: field names are known schema
 * fields, values have been checked against the field's type.
 *
 * Semantics every backend follows (the conformance suite checks them):
 * - `eq`/`ne`/`in`/`notIn` compare like JavaScript `===` on the field's type: a null
 *   field equals nothing, so `ne` and `notIn` DO match rows whose field is null
 *   (SQL: `IS DISTINCT FROM`, `(col IS NULL OR NOT col = ANY($1))`). `eq: null` arrives
 *   as `isNull: true`, `ne: null` as `isNull: false`.
 * - `gt`/`gte`/`lt`/`lte`/`like`/`ilike` never match a null field.
 * - `like`/`ilike` take SQL patterns: `%` any run, `_` one character, `\` escapes.
 * - `in: []` matches nothing; `notIn: []` matches everything.
 *
 * @example
 * ```ts
 * const condition: Condition = { kind: 'and', conditions: [{ kind: 'field', field: 'age', op: 'gte', value: 18 }] };
 * ```
 */
export type Condition =
  | {
      readonly kind: 'field';
      readonly field: string;
      readonly op: ConditionOperator;
      readonly value: unknown;
    }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly Condition[] };

/** A normalised sort key as backends receive it. */
export interface NormalizedSort {
  readonly field: string;
  readonly direction: SortDirection;
}

/**
 * A validated query as backends receive it. `orderBy` always ends with the id field, so
 * the order is total.
 *
 * @example
 * ```ts
 * const query: BackendQuery = { where: undefined, orderBy: [{ field: 'id', direction: 'asc' }], limit: 10 };
 * ```
 */
export interface BackendQuery {
  readonly where: Condition | undefined;
  readonly orderBy: readonly NormalizedSort[];
  readonly limit?: number;
  readonly offset?: number;
}
