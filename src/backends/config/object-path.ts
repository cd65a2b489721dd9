/**
 * Plain-object helpers for dotted configuration paths (`db.pool.max`). Configuration
 * values are JSON-shaped: plain objects nest, arrays and scalars are leaves.
 *
 * @module
 */

/** A JSON-shaped object as configuration sources produce it. */
export type ConfigObject = Record<string, unknown>;

/**
 * Whether a value is a plain object (not an array, a Date or a class instance).
 *
 * @example
 * ```ts
 * isPlainObject({ a: 1 }); // true
 * isPlainObject([1]);      // false
 * ```
 */
export function isPlainObject(value: unknown): value is ConfigObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Splits a dotted path; the empty path is the root. */
export function splitPath(path: string): string[] {
  return path === '' ? [] : path.split('.');
}

/** The value at `path`, or `undefined` when any segment is missing. */
export function getPath(root: unknown, path: string): unknown {
  let node = root;
  for (const key of splitPath(path)) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Whether `path` is defined (present, even if its value is `null`). */
export function hasPath(root: unknown, path: string): boolean {
  let node = root;
  for (const key of splitPath(path)) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** A copy of `root` with `value` at `path`; intermediate objects are created or copied. */
export function setPath(root: ConfigObject, path: string, value: unknown): ConfigObject {
  const keys = splitPath(path);
  if (keys.length === 0) return isPlainObject(value) ? { ...value } : root;
  const [head, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) return { ...root, [head]: value };
  const child = isPlainObject(root[head]) ? (root[head] as ConfigObject) : {};
  return { ...root, [head]: setPath(child, rest.join('.'), value) };
}

/** A copy of `root` without `path`; objects left empty are removed too. */
export function deletePath(root: ConfigObject, path: string): ConfigObject {
  const keys = splitPath(path);
  const [head, ...rest] = keys;
  if (head === undefined || !Object.hasOwn(root, head)) return root;
  const copy = { ...root };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const child = root[head];
  if (!isPlainObject(child)) return root;
  const next = deletePath(child, rest.join('.'));
  if (Object.keys(next).length === 0) delete copy[head];
  else copy[head] = next;
  return copy;
}

/**
 * Every path in `root`, objects included, mapped to its value: the index that makes a
 * read one `Map.get`. The root itself is under the empty path.
 */
export function indexPaths(
  root: unknown,
  prefix = '',
  into = new Map<string, unknown>(),
): Map<string, unknown> {
  into.set(prefix, root);
  if (isPlainObject(root)) {
    for (const [key, value] of Object.entries(root)) {
      indexPaths(value, prefix === '' ? key : `${prefix}.${key}`, into);
    }
  }
  return into;
}

/** Every leaf path (a path whose value is not a non-empty plain object). */
export function leafPaths(root: unknown, prefix = ''): string[] {
  if (!isPlainObject(root) || (Object.keys(root).length === 0 && prefix !== '')) return [prefix];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(root)) {
    paths.push(...leafPaths(value, prefix === '' ? key : `${prefix}.${key}`));
  }
  return paths;
}

/** Deep structural equality for JSON-shaped values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Freezes a value and everything reachable from it, so readers cannot change shared state. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Whether `path` equals `prefix` or lies beneath it. */
export function isWithin(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}.`);
}
