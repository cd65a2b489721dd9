/**
 * How L1 keeps callers from corrupting a cached value through the object they were
 * given. Plain objects and arrays are deep-frozen (a hit costs nothing), dates become
 * {@link FrozenDate}s whose setters throw, and values holding something that cannot be
 * frozen (Buffer and other typed arrays, Map, Set) are marked to be copied on every read.
 *
 * @module
 */

const SETTERS = [
  'setDate',
  'setFullYear',
  'setHours',
  'setMilliseconds',
  'setMinutes',
  'setMonth',
  'setSeconds',
  'setTime',
  'setUTCDate',
  'setUTCFullYear',
  'setUTCHours',
  'setUTCMilliseconds',
  'setUTCMinutes',
  'setUTCMonth',
  'setUTCSeconds',
  'setYear',
] as const;

/**
 * A `Date` whose setters throw, used for dates inside cached values.
 *
 * @example
 * ```ts
 * const d = new FrozenDate(0);
 * d instanceof Date; // true
 * d.setTime(1);      // TypeError: cached dates are read-only
 * ```
 */
export class FrozenDate extends Date {}
for (const name of SETTERS) {
  Object.defineProperty(FrozenDate.prototype, name, {
    value() {
      throw new TypeError('Cached dates are read-only; copy one with new Date(date) to change it');
    },
  });
}

/** The result of {@link protect}. */
export interface Protected {
  readonly value: unknown;
  /** True when the value holds something freezing cannot protect, so reads must copy. */
  readonly copyOnRead: boolean;
}

/**
 * Makes a value safe to share between callers: freezes it in place (replacing dates by
 * {@link FrozenDate}s) and says whether reads must copy it.
 *
 * @example
 * ```ts
 * const { value } = protect({ tags: ['a'] });
 * (value as { tags: string[] }).tags.push('b'); // TypeError in strict mode
 * ```
 */
export function protect(value: unknown): Protected {
  const state = { copy: false };
  const out = freeze(value, state);
  return { value: out, copyOnRead: state.copy };
}

function freeze(value: unknown, state: { copy: boolean }): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // Plain objects and arrays (all that JSON gives) skip the class checks, which cost more
  // than the freezing on an L2 hit.
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) {
    if (value instanceof Date)
      return value instanceof FrozenDate ? value : Object.freeze(new FrozenDate(value));
    if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) {
      state.copy = true;
      return value;
    }
  }
  if (Object.isFrozen(value)) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child === 'object' && child !== null) {
      const frozen = freeze(child, state);
      if (frozen !== child) record[key] = frozen;
    }
  }
  return Object.freeze(value);
}

/**
 * Deep-freezes, in place, a value fresh from `JSON.parse` (plain objects, arrays and
 * primitives only) and returns it: the L2 hit path, where the class checks and key
 * arrays of {@link protect} cost as much as the parse.
 *
 * @example
 * ```ts
 * const row = freezeParsedJson(JSON.parse(text)); // Object.isFrozen(row) === true, and every child
 * ```
 */
export function freezeParsedJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null) freezeParsedJson(child);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === 'object' && child !== null) freezeParsedJson(child);
    }
  }
  return Object.freeze(value);
}

/**
 * A deep copy that keeps Buffer, typed arrays, Map, Set and Date (as plain, writable
 * dates), used for copy-on-read values and for `set()` inputs.
 *
 * @example
 * ```ts
 * const copy = deepCopy({ raw: Buffer.from('x') });
 * ```
 */
export function deepCopy<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copy);
  if (value instanceof Date) return new Date(value.getTime());
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): unknown }).slice();
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [copy(k), copy(v)]));
  if (value instanceof Set) return new Set([...value].map(copy));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = copy((value as Record<string, unknown>)[key]);
    if (key === '__proto__') {
      Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = child;
    }
  }
  return out;
}
