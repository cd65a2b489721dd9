import { jsonEqual } from './object-path.js';

/**
 * One changed key of a version. `oldValue` is `undefined` for a key that was added,
 * `newValue` is `undefined` for a key that was removed.
 *
 * @example
 * ```ts
 * const change: ConfigChange = { path: 'db.pool.max', oldValue: 10, newValue: 20 };
 * ```
 */
export interface ConfigChange {
  readonly path: string;
  readonly oldValue: unknown;
  readonly newValue: unknown;
}

/**
 * One version of the database source: who changed what, and when.
 *
 * @example
 * ```ts
 * const [latest] = await config.history();
 * console.log(latest.version, latest.actor, latest.createdAt, latest.changes);
 * ```
 */
export interface ConfigVersion {
  /** 1, 2, 3 …; version 0 is the empty state before the first write. */
  readonly version: number;
  /** Who wrote it: the explicit `actor` option, else `currentContext().actor`, else `null`. */
  readonly actor: string | null;
  readonly createdAt: Date;
  /** A note, e.g. `rollback to version 3`. */
  readonly message: string | null;
  /** The diff against the previous version. */
  readonly changes: readonly ConfigChange[];
}

/**
 * A version together with the full key/value state it produced.
 *
 * @example
 * ```ts
 * const { entries } = await config.getVersion(3); // { 'db.pool.max': 20, … }
 * ```
 */
export interface ConfigVersionDetail extends ConfigVersion {
  /** Every key of the database source after this version (secrets redacted when read through the repository). */
  readonly entries: Readonly<Record<string, unknown>>;
}

/**
 * The changes from one key/value state to another, sorted by key.
 *
 * @example
 * ```ts
 * diffEntries({ a: 1, b: 2 }, { a: 1, b: 3, c: 4 });
 * // [{ path: 'b', oldValue: 2, newValue: 3 }, { path: 'c', oldValue: undefined, newValue: 4 }]
 * ```
 */
export function diffEntries(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): ConfigChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => !jsonEqual(before[key], after[key]))
    .map((key) => ({ path: key, oldValue: before[key], newValue: after[key] }));
}
