type Row = Record<string, unknown>;

/**
 * The memory backend's unique constraints as lookups: for each constraint, the stored rows'
 * values under it, so a clash is found without scanning every row. Values compare as the
 * backend compares them: dates by time, everything else with `===`; a null or undefined
 * value (SQL semantics), NaN or an object never clashes.
 *
 * @example
 * ```ts
 * const index = new UniqueIndex([['email']]);
 * index.add('u1', { id: 'u1', email: 'a@example.com' });
 * index.clash({ id: 'u2', email: 'a@example.com' }, 'u2'); // ['email']
 * ```
 */
export class UniqueIndex {
  readonly #constraints: readonly (readonly string[])[];
  readonly #keys: Map<string, unknown>[];

  constructor(constraints: readonly (readonly string[])[]) {
    this.#constraints = constraints;
    this.#keys = constraints.map(() => new Map());
  }

  /** The first constraint on which `row` (stored under `key`) clashes with another row here, or undefined. */
  clash(row: Row, key: unknown): readonly string[] | undefined {
    for (let i = 0; i < this.#constraints.length; i++) {
      const value = compositeValue(this.#constraints[i]!, row);
      if (value === undefined) continue;
      const holder = this.#keys[i]!.get(value);
      if (holder !== undefined && holder !== key) return this.#constraints[i];
    }
    return undefined;
  }

  /** Records a row stored under `key`. */
  add(key: unknown, row: Row): void {
    for (let i = 0; i < this.#constraints.length; i++) {
      const value = compositeValue(this.#constraints[i]!, row);
      if (value !== undefined) this.#keys[i]!.set(value, key);
    }
  }

  /** Forgets a row that was stored under `key`. */
  remove(key: unknown, row: Row): void {
    for (let i = 0; i < this.#constraints.length; i++) {
      const value = compositeValue(this.#constraints[i]!, row);
      if (value !== undefined && this.#keys[i]!.get(value) === key) this.#keys[i]!.delete(value);
    }
  }
}

/** One string for the row's values under a constraint; undefined when one of them can never clash. */
function compositeValue(fields: readonly string[], row: Row): string | undefined {
  const parts: string[] = [];
  for (const field of fields) {
    const part = comparable(row[field]);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return JSON.stringify(parts);
}

function comparable(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      // NaN equals nothing; -0 and 0 are one value, as with ===.
      return Number.isNaN(value) ? undefined : `n${value === 0 ? 0 : value}`;
    case 'bigint':
      return `b${value}`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : `d${value.getTime()}`;
      return undefined;
    default:
      return undefined;
  }
}
