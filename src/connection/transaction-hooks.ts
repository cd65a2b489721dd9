import type { TransactionScope } from '../context/transaction-scope.js';
import type { Logger } from '../observability/logger.js';

type Hook = () => void | Promise<void>;

/**
 * The {@link TransactionScope} of one transaction level (the outermost transaction or a
 * savepoint). A level that is released hands its hooks to its parent; a level that
 * rolls back drops its after-commit hooks and runs its after-rollback hooks. Hooks run
 * in order, one at a time; a failing hook is logged and does not stop the others (the
 * transaction's outcome is already settled when they run).
 *
 * @example
 * ```ts
 * const hooks = new TransactionHooks(manager, logger);
 * await runInTransactionScope(hooks, fn); // fn calls currentTransaction()?.afterCommit(cb)
 * await hooks.committed(); // runs cb
 * ```
 */
export class TransactionHooks implements TransactionScope {
  readonly owner: object;
  readonly #logger: Logger;
  #commit: Hook[] = [];
  #rollback: Hook[] = [];
  #settled: 'committed' | 'rolled back' | undefined;

  constructor(owner: object, logger: Logger) {
    this.owner = owner;
    this.#logger = logger;
  }

  afterCommit(callback: Hook): void {
    // Registered after the outcome is known (a stray async continuation): honour it now.
    if (this.#settled === 'committed') void this.#runOne(callback, 'after-commit');
    else if (this.#settled === undefined) this.#commit.push(callback);
  }

  afterRollback(callback: Hook): void {
    if (this.#settled === 'rolled back') void this.#runOne(callback, 'after-rollback');
    else if (this.#settled === undefined) this.#rollback.push(callback);
  }

  /** A savepoint was released: its hooks now belong to the enclosing level. */
  mergeInto(parent: TransactionHooks): void {
    for (const hook of this.#commit) parent.afterCommit(hook);
    for (const hook of this.#rollback) parent.afterRollback(hook);
    this.#commit = [];
    this.#rollback = [];
  }

  /** The outermost transaction committed. */
  async committed(): Promise<void> {
    this.#settled = 'committed';
    const hooks = this.#commit;
    this.#commit = [];
    this.#rollback = [];
    for (const hook of hooks) await this.#runOne(hook, 'after-commit');
  }

  /** This level rolled back (the whole transaction, or back to its savepoint). */
  async rolledBack(): Promise<void> {
    this.#settled = 'rolled back';
    const hooks = this.#rollback;
    this.#commit = [];
    this.#rollback = [];
    for (const hook of hooks) await this.#runOne(hook, 'after-rollback');
  }

  async #runOne(hook: Hook, kind: string): Promise<void> {
    try {
      await hook();
    } catch (error) {
      this.#logger.error({ err: error }, `${kind} hook failed`);
    }
  }
}
