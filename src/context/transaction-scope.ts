import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The ambient transaction, as the parts of reposit that do not own it see it: the
 * repository defers cache invalidation to `afterCommit` and bypasses the cache while
 * one is open. A backend that runs transactions (PostgreSQL) opens the scope.
 */
export interface TransactionScope {
  /** Identifies the owner (a ConnectionManager), so one backend never joins another's transaction. */
  readonly owner: object;
  /** Runs `callback` after the outermost transaction commits; dropped on rollback. */
  afterCommit(callback: () => void | Promise<void>): void;
  /** Runs `callback` after the outermost transaction rolls back. */
  afterRollback(callback: () => void | Promise<void>): void;
}

const storage = new AsyncLocalStorage<TransactionScope>();

/**
 * Runs `fn` inside a transaction scope. For backend authors; applications use the
 * backend's `transaction()`.
 *
 * @example
 * ```ts
 * await runInTransactionScope(scope, () => work());
 * ```
 */
export function runInTransactionScope<R>(scope: TransactionScope, fn: () => R): R {
  return storage.run(scope, fn);
}

/**
 * The ambient transaction scope, if a transaction is open in this async context.
 *
 * @example
 * ```ts
 * const tx = currentTransaction();
 * if (tx) tx.afterCommit(() => cache.invalidate(key)); else await cache.invalidate(key);
 * ```
 */
export function currentTransaction(): TransactionScope | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` outside any ambient transaction (for work that must not join it, such as
 * an after-commit hook that reads fresh data).
 *
 * @example
 * ```ts
 * await outsideTransaction(() => cache.reload(id));
 * ```
 */
export function outsideTransaction<R>(fn: () => R): R {
  return storage.exit(fn);
}
