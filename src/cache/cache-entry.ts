/**
 * One cached value with its timing, as both tiers hold it.
 *
 * `expiresAt` is when the value stops being fresh; until `staleUntil` it may still be
 * served while a refresh runs (stale-while-revalidate, the `grace` option). A negative
 * entry records that the loader found nothing, so absent ids are not loaded again and
 * again.
 */
export interface CacheEntry {
  /** The value; undefined for a negative entry. */
  readonly value: unknown;
  /** Epoch milliseconds after which the entry is stale. */
  readonly expiresAt: number;
  /** Epoch milliseconds after which the entry is gone. */
  readonly staleUntil: number;
  /** True when the entry says "the loader found nothing". */
  readonly negative: boolean;
}

/**
 * Encodes an entry for L2: `v` or `n`, the two times in base 36, then the serialized
 * value, e.g. `vlq2x1c0|lq2x9z00|0{"id":1}`.
 *
 * @example
 * ```ts
 * encodeEntry(entry, richJsonSerializer.serialize(entry.value));
 * ```
 */
export function encodeEntry(entry: CacheEntry, serialized: string): string {
  return `${entry.negative ? 'n' : 'v'}${entry.expiresAt.toString(36)}|${entry.staleUntil.toString(36)}|${
    entry.negative ? '' : serialized
  }`;
}

/** The parts of an encoded entry, the value still serialized. */
export interface EncodedParts {
  readonly negative: boolean;
  readonly expiresAt: number;
  readonly staleUntil: number;
  readonly body: string;
}

/**
 * Splits what {@link encodeEntry} wrote; null when the text is not an entry.
 *
 * @example
 * ```ts
 * const parts = decodeEntry(text);
 * ```
 */
export function decodeEntry(text: string): EncodedParts | null {
  const kind = text.charCodeAt(0);
  if (kind !== 118 /* v */ && kind !== 110 /* n */) return null;
  const first = text.indexOf('|');
  const second = text.indexOf('|', first + 1);
  if (first < 0 || second < 0) return null;
  const expiresAt = base36(text, 1, first);
  const staleUntil = base36(text, first + 1, second);
  // Not a time: a corrupt or foreign value, read as a miss rather than as live forever.
  if (Number.isNaN(expiresAt) || Number.isNaN(staleUntil)) return null;
  return { negative: kind === 110, expiresAt, staleUntil, body: text.slice(second + 1) };
}

/** The base-36 number in `text[start, end)` (what `toString(36)` wrote), NaN if it is not one; read in place, not sliced. */
function base36(text: string, start: number, end: number): number {
  if (end <= start || end - start > 10) return Number.NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 122 ? code - 87 : -1;
    if (digit < 0) return Number.NaN;
    value = value * 36 + digit;
  }
  return value;
}
