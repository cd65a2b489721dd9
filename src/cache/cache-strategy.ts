/**
 * How a repository uses its cache.
 *
 * - `read-through` (the default): reads go through the cache; a miss is loaded once
 *   however many callers (and, with `lock`, processes) ask at the same moment, stale
 *   values may be served during `grace`; writes invalidate after COMMIT.
 * - `cache-aside`: reads look in the cache, and each miss is loaded by its caller and
 *   written back (no coalescing of concurrent misses, no stale serving); writes
 *   invalidate after COMMIT.
 * - `write-through`: reads as `read-through`; after COMMIT the committed rows are written
 *   into both tiers instead of being dropped, so the next read is a hit.
 *
 * Write-behind (acknowledge once durably queued) lives in `reposit/redis`
 * (`WriteBehindQueue`), because its queue is a Redis Stream.
 *
 * @example
 * ```ts
 * const users = cache.forEntity(User, { strategy: 'write-through' });
 * ```
 */
export type CacheStrategy = 'read-through' | 'cache-aside' | 'write-through';
