/**
 * How `set` and `unset` change the database source's rows. Rows are keyed by dotted
 * path and a row may hold an object, so a new key can overlap an existing one: writing
 * `db.pool.max` when a row `db.pool` holds `{ max, min }` splits that row so `min`
 * survives; writing `db.pool` replaces every row inside it.
 *
 * @module
 */
import { type ConfigObject, deletePath, getPath, isPlainObject, leafPaths } from './object-path.js';

type Entries = Readonly<Record<string, unknown>>;

/**
 * The rows with each of `values` set (a value of `undefined` removes its key).
 *
 * @example
 * ```ts
 * withValues({ 'db.pool': { max: 3, min: 1 } }, { 'db.pool.max': 5 });
 * // { 'db.pool.min': 1, 'db.pool.max': 5 }
 * ```
 */
export function withValues(entries: Entries, values: Entries): Record<string, unknown> {
  let next: Record<string, unknown> = { ...entries };
  for (const [path, value] of Object.entries(values)) {
    for (const key of Object.keys(next)) {
      if (key.startsWith(`${path}.`)) delete next[key];
      else if (path.startsWith(`${key}.`)) next = splitRow(next, key, path);
    }
    next[path] = value;
  }
  return next;
}

/**
 * The rows without `path` and anything inside it; a row holding an object around `path`
 * keeps the rest of that object.
 *
 * @example
 * ```ts
 * withoutPath({ db: { host: 'h', port: 1 } }, 'db.port'); // { db: { host: 'h' } }
 * ```
 */
export function withoutPath(entries: Entries, path: string): Record<string, unknown> {
  const next: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (key === path || key.startsWith(`${path}.`)) continue;
    next[key] =
      path.startsWith(`${key}.`) && isPlainObject(value)
        ? deletePath(value, path.slice(key.length + 1))
        : value;
  }
  return next;
}

/** Replaces the object row `key` by one row per leaf, leaving out `path` (which is inside it). */
function splitRow(entries: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const next = { ...entries };
  const value = next[key];
  delete next[key];
  if (isPlainObject(value)) {
    const rest = deletePath(value as ConfigObject, path.slice(key.length + 1));
    for (const leaf of leafPaths(rest)) {
      if (leaf !== '') next[`${key}.${leaf}`] = getPath(rest, leaf);
    }
  }
  return next;
}
