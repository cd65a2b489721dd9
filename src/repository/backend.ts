import type { BackendQuery, Condition } from './query.js';

/** Options of {@link Backend.update}. */
export interface BackendUpdateOptions {
  /** Apply the patch only if the stored version equals this; else throw `ConflictError`. */
  readonly expectedVersion?: number;
}

/**
 * What a storage adapter implements. Storage-shaped and small: no caching, no
 * validation, no hooks — the repository does those once for every backend. Values
 * given to a backend have been validated against the entity schema; values it returns
 * must be entities of that schema.
 *
 * Errors: a backend throws reposit errors only (`DuplicateError` on a unique clash,
 * `NotFoundError` / `ConflictError` from `update`, `ConnectionError` …), never a driver's.
 *
 * @typeParam T - the entity type
 * @typeParam ID - the id type
 *
 * @example
 * ```ts
 * class MyBackend implements Backend<User, number> {
 *   readonly kind = 'my-store';
 *   async insertMany(rows) { ... }
 *   // ...
 * }
 * ```
 */
export interface Backend<T extends object, ID> {
  /** A short name for logs and metrics, e.g. `postgres`. */
  readonly kind: string;
  /**
   * Inserts rows atomically (all or none) and returns them as stored, in input order.
   * Rows have every field the entity requires; generated fields may be absent.
   */
  insertMany(rows: readonly Partial<T>[]): Promise<T[]>;
  /** The entities with these ids, in any order; absent ids are left out. */
  findByIds(ids: readonly ID[]): Promise<T[]>;
  /** The entities matching a query, in the query's order. */
  find(query: BackendQuery): Promise<T[]>;
  /** How many entities match. */
  count(where: Condition | undefined): Promise<number>;
  /**
   * Applies a patch and returns the entity as stored. Throws `NotFoundError` when the
   * id is absent and `ConflictError` when `expectedVersion` is stale (told apart).
   * A backend with a version field increments it.
   */
  update(id: ID, patch: Partial<T>, options: BackendUpdateOptions): Promise<T>;
  /** Inserts the row, or replaces the stored one with the same id; returns it as stored. */
  upsert(row: Partial<T>): Promise<T>;
  /** Removes (or soft-deletes) the entity; false when it was not there. */
  delete(id: ID): Promise<boolean>;
  /**
   * Runs `fn` so that every call made through this backend inside it, and the audit
   * entries, commit or roll back together. Backends without transactions run `fn` as is.
   */
  runInTransaction?<R>(fn: () => Promise<R>): Promise<R>;
  /**
   * Whether a read through this backend may be served by a replica that lags behind the
   * primary. When it may (or a backend leaves this out), a repository with a cache loads
   * its misses under `withPrimaryReads`, so nothing older than a committed write is cached;
   * when it returns false the load runs as it is, without entering that context (which
   * on Node 20 turns on async hooks for the whole process, a cost on every promise).
   */
  mayReadFromReplicas?(): boolean;
  /** Releases what the backend holds (not the user's own clients). */
  close?(): Promise<void>;
}
