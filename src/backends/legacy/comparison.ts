/**
 * One field that differs between the two sides. `path` is dotted (`address.zip`); for
 * list reads it starts with the entity id (`[c-42].email`), and `$row` marks an entity
 * one side has and the other does not.
 *
 * @example
 * ```ts
 * const diff: FieldDiff = { path: 'email', legacy: 'ADA@EXAMPLE.COM', new: 'ada@example.com' };
 * ```
 */
export interface FieldDiff {
  readonly path: string;
  readonly legacy: unknown;
  readonly new: unknown;
}

/**
 * Rewrites a value before comparison, on both sides alike (drop fields that differ by
 * design, round dates, lower-case text …).
 *
 * @example
 * ```ts
 * const lowerEmail: Normaliser = (row) => ({ ...row, email: String(row.email).toLowerCase() });
 * ```
 */
export type Normaliser = (value: Record<string, unknown>) => Record<string, unknown>;

/**
 * Compares the two sides' answers for one entity (null = absent) and lists the differing
 * fields; an empty list is a match.
 *
 * @example
 * ```ts
 * const byEmailOnly: Comparator = (legacy, next) => (legacy?.email === next?.email ? [] : [{ path: 'email', legacy: legacy?.email, new: next?.email }]);
 * ```
 */
export type Comparator = (
  legacy: Record<string, unknown> | null,
  next: Record<string, unknown> | null,
) => FieldDiff[];

/**
 * The default comparator: a deep, field-level comparison that treats equal dates,
 * bigints and nested objects as equal.
 *
 * @example
 * ```ts
 * diffEntities({ a: 1, b: new Date(0) }, { a: 2, b: new Date(0) }); // [{ path: 'a', legacy: 1, new: 2 }]
 * ```
 */
export const diffEntities: Comparator = (legacy, next) => {
  if (legacy === null || next === null)
    return legacy === next
      ? []
      : [{ path: '$row', legacy: legacy === null ? null : 'present', new: next === null ? null : 'present' }];
  const diffs: FieldDiff[] = [];
  diffValues(legacy, next, '', diffs);
  return diffs;
};

function diffValues(left: unknown, right: unknown, path: string, out: FieldDiff[]): void {
  if (sameScalar(left, right)) return;
  if (isRecord(left) && isRecord(right)) {
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)]))
      diffValues(left[key], right[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (Array.isArray(left) && Array.isArray(right) && left.length === right.length) {
    for (const [index, item] of left.entries()) diffValues(item, right[index], `${path}[${index}]`, out);
    return;
  }
  out.push({ path, legacy: left, new: right });
}

function sameScalar(left: unknown, right: unknown): boolean {
  if (left instanceof Date && right instanceof Date) return left.getTime() === right.getTime();
  // undefined and null both mean "no value" to a store.
  if ((left === null || left === undefined) && (right === null || right === undefined)) return true;
  return Object.is(left, right);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * A normaliser that drops fields (generated ids, timestamps, versions …).
 *
 * @example
 * ```ts
 * new LegacyAdapter({ ..., comparison: { normalisers: [ignoreFields('updatedAt', 'version')] } });
 * ```
 */
export function ignoreFields(...fields: readonly string[]): Normaliser {
  return (value) => {
    const copy = { ...value };
    for (const field of fields) delete copy[field];
    return copy;
  };
}

/**
 * A normaliser that drops the entity's timestamp fields (`timestamps` of `defineEntity`).
 *
 * @example
 * ```ts
 * comparison: { normalisers: [ignoreTimestamps(Customer)] }
 * ```
 */
export function ignoreTimestamps(entity: {
  readonly createdAtField: string | undefined;
  readonly updatedAtField: string | undefined;
}): Normaliser {
  return ignoreFields(...[entity.createdAtField, entity.updatedAtField].filter((f): f is string => !!f));
}

/**
 * A normaliser that drops the fields the store generates (`generated`, the version,
 * timestamps), keeping the id.
 *
 * @example
 * ```ts
 * comparison: { normalisers: [ignoreGenerated(Customer)] }
 * ```
 */
export function ignoreGenerated(entity: {
  readonly idField: string;
  readonly generated: ReadonlySet<string>;
}): Normaliser {
  return ignoreFields(...[...entity.generated].filter((field) => field !== entity.idField));
}

/**
 * Compares two lists of entities by id (and their order), with field paths prefixed by
 * the id.
 *
 * @example
 * ```ts
 * compareLists(legacyRows, newRows, 'id', diffEntities, []); // [] when both hold the same rows in the same order
 * ```
 */
export function compareLists(
  legacy: readonly object[],
  next: readonly object[],
  idField: string,
  comparator: Comparator,
  normalisers: readonly Normaliser[],
): FieldDiff[] {
  const key = (row: object) => String((row as Record<string, unknown>)[idField]);
  const byId = new Map(next.map((row) => [key(row), row]));
  const diffs: FieldDiff[] = [];
  for (const row of legacy) {
    const id = key(row);
    const other = byId.get(id);
    byId.delete(id);
    for (const diff of comparator(normalise(row, normalisers), other ? normalise(other, normalisers) : null))
      diffs.push({ ...diff, path: diff.path === '$row' ? `[${id}]` : `[${id}].${diff.path}` });
  }
  for (const id of byId.keys()) diffs.push({ path: `[${id}]`, legacy: null, new: 'present' });
  if (diffs.length === 0 && legacy.map(key).join('\u0000') !== next.map(key).join('\u0000'))
    diffs.push({ path: '$order', legacy: legacy.map(key), new: next.map(key) });
  return diffs;
}

/**
 * Applies normalisers in order.
 *
 * @example
 * ```ts
 * normalise(row, [ignoreFields('version')]);
 * ```
 */
export function normalise(value: object, normalisers: readonly Normaliser[]): Record<string, unknown> {
  let current = value as Record<string, unknown>;
  for (const normaliser of normalisers) current = normaliser(current);
  return current;
}
