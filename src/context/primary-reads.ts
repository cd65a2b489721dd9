import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<true>();

/**
 * Runs `fn` so that every read it makes (in any function it calls) is served by the
 * primary, never by a replica. A repository with a cache loads its misses this way
 * whenever its backend may read from a replica (`Backend.mayReadFromReplicas`): a replica
 * may not have replayed the write that just invalidated the key, and a value loaded from
 * it would be cached as fresh, in every tier, until the next write or the TTL.
 *
 * @example
 * ```ts
 * import { withPrimaryReads } from 'reposit';
 *
 * // A balance about to be checked and written back must not come from a lagging replica.
 * const account = await withPrimaryReads(() => accounts.list({ where: { id }, limit: 1 }));
 * ```
 */
export function withPrimaryReads<R>(fn: () => R): R {
  return storage.run(true, fn);
}

/**
 * Whether the current async context asked for primary reads ({@link withPrimaryReads}).
 * For backend and connection-layer authors.
 *
 * @example
 * ```ts
 * const nodes = primaryReadsRequired() ? [primary] : healthyReplicas;
 * ```
 */
export function primaryReadsRequired(): boolean {
  return storage.getStore() === true;
}
