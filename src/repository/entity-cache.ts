/** One change that committed, as the cache sees it. */
export interface CommittedChange<T, ID> {
  readonly id: ID;
  /** The entity as stored after the write; null when it was deleted. */
  readonly value: T | null;
}

/**
 * The seam between a repository and its cache. The repository calls it only outside
 * transactions for reads, and only after COMMIT for writes; `CacheManager.forEntity()`
 * provides the implementation.
 *
 * @example
 * ```ts
 * const users = new BaseRepository({ entity: User, backend, cache: cacheManager.forEntity(User) });
 * ```
 */
export interface EntityCache<T, ID> {
  /**
   * Read-through for ids: answers from the cache and calls `load` once for the ids it
   * lacks (however many callers ask for them at the same moment). Returns values in the
   * order of `ids`, null for absent ones.
   */
  getByIds(
    ids: readonly ID[],
    load: (missing: readonly ID[]) => Promise<ReadonlyMap<ID, T>>,
  ): Promise<(T | null)[]>;
  /**
   * Read-through for a query result (list, count), keyed by a canonical query string and
   * invalidated as a whole by any write to the entity.
   */
  getQuery<R>(queryKey: string, load: () => Promise<R>): Promise<R>;
  /**
   * A fresh value this process holds for the id, synchronously: the entity, null for a
   * cached absence, undefined when the caller must take the `getByIds` path (not held,
   * stale, or held only in a remote tier). Lets an L1 hit skip batching and awaiting.
   */
  freshNow?(id: ID): T | null | undefined;
  /** Called after the write committed: invalidates (or writes through) these ids and every cached query. */
  afterCommit(changes: readonly CommittedChange<T, ID>[]): Promise<void>;
}
