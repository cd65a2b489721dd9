/**
 * JSON that keeps `Date` and `bigint` values, for checkpoints, outbox entries and file
 * stores (which must read back exactly what they wrote).
 *
 * @example
 * ```ts
 * const text = encodeJson({ at: new Date(0), big: 1n });
 * decodeJson(text); // { at: Date(0), big: 1n }
 * ```
 */
export function encodeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, replacer, space);
}

/**
 * Reads what {@link encodeJson} wrote.
 *
 * @example
 * ```ts
 * const checkpoint = decodeJson(await readFile(path, 'utf8'));
 * ```
 */
export function decodeJson(text: string): unknown {
  return JSON.parse(text, reviver);
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return { $date: raw.toISOString() };
  if (typeof raw === 'bigint') return { $bigint: raw.toString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$date') return new Date((value as { $date: string }).$date);
    if (keys.length === 1 && keys[0] === '$bigint') return BigInt((value as { $bigint: string }).$bigint);
  }
  return value;
}
