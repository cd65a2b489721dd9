import { AsyncLocalStorage } from 'node:async_hooks';
import pRetry from 'p-retry';
import { runInTransactionScope } from '../context/transaction-scope.js';
import { ConflictError, RepositoryError, ValidationError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { DatabaseError } from './database-error.js';
import type { PgPoolClient } from './pg-pool.js';
import type { PoolNode } from './pool-node.js';
import type { IsolationLevel, QueryOptions, SqlResult, TransactionOptions } from './sql-executor.js';
import { TransactionHooks } from './transaction-hooks.js';

/**
 * The state of an open transaction, per async context.
 *
 * @example
 * ```ts
 * const frame = runner.current();
 * if (frame) await runner.query(frame, 'select 1', [], {});
 * ```
 */
export interface TransactionFrame {
  readonly node: PoolNode;
  readonly client: PgPoolClient;
  readonly hooks: TransactionHooks;
  /** Nesting level: 0 for the outermost transaction, 1 for its first savepoint … */
  readonly depth: number;
  readonly root: {
    savepoints: number;
    /** The innermost level currently open. */
    depth: number;
    done: boolean;
    wrote: boolean;
  };
}

/**
 * What a {@link TransactionRunner} needs from its manager.
 *
 * @example
 * ```ts
 * new TransactionRunner({ owner: manager, node: primary, logger, retryMinDelayMs: 20, retryMaxDelayMs: 1000 });
 * ```
 */
export interface TransactionRunnerSettings {
  /** The `owner` of the transaction scopes it opens (the ConnectionManager). */
  readonly owner: object;
  /** Where transactions run: the primary. */
  readonly node: PoolNode;
  readonly logger: Logger;
  readonly retryMinDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Called after the COMMIT of a transaction that wrote, on its connection (read-your-writes). */
  readonly afterWriteCommit?: (client: PgPoolClient) => Promise<void>;
}

/**
 * Ambient transactions for one ConnectionManager: the transaction of the running async
 * context (AsyncLocalStorage, one per manager, so managers never join each other's),
 * BEGIN/COMMIT/ROLLBACK, SAVEPOINTs for nested calls, the retry loop for serialization
 * failures and deadlocks, and the after-commit hooks (a core `TransactionScope`).
 *
 * @example
 * ```ts
 * const runner = new TransactionRunner({ owner: manager, node: primary, logger, retryMinDelayMs: 20, retryMaxDelayMs: 1000 });
 * const parent = runner.current();
 * const value = parent ? await runner.savepoint(parent, fn) : await runner.run(fn, beginStatement({}), false, 3);
 * ```
 */
export class TransactionRunner {
  readonly #settings: TransactionRunnerSettings;
  readonly #storage = new AsyncLocalStorage<TransactionFrame>();

  constructor(settings: TransactionRunnerSettings) {
    this.#settings = settings;
  }

  /** The transaction open in this async context, if any. */
  current(): TransactionFrame | undefined {
    return this.#storage.getStore();
  }

  /**
   * Runs `fn` as an outermost transaction, and again (up to `retries` times, with
   * exponential backoff and jitter) after a serialization failure or deadlock.
   */
  async run<R>(fn: () => Promise<R>, begin: string, readOnly: boolean, retries: number): Promise<R> {
    // The first attempt runs without p-retry, whose bookkeeping costs more than a short
    // transaction; only a retryable conflict goes on to the retry loop.
    let first: unknown;
    try {
      return await this.#attempt(fn, begin, readOnly);
    } catch (error) {
      if (!isRetryableConflict(error) || retries === 0) throw error;
      first = error;
    }
    this.#settings.logger.debug(
      { err: first, attemptNumber: 1, retriesLeft: retries },
      'transaction conflict; running it again',
    );
    let delayed = false;
    // Only retryable conflicts reach p-retry; any other failure is handed through as a value,
    // so the caller gets exactly what was thrown.
    const outcome = await pRetry(
      async () => {
        if (!delayed) {
          delayed = true;
          await sleep(jittered(this.#settings.retryMinDelayMs, this.#settings.retryMaxDelayMs));
        }
        try {
          return { ok: true as const, value: await this.#attempt(fn, begin, readOnly) };
        } catch (error) {
          if (isRetryableConflict(error)) throw error;
          return { ok: false as const, error };
        }
      },
      {
        retries: retries - 1,
        factor: 2,
        // p-retry's first delay follows our first retry, hence one doubling already.
        minTimeout: Math.min(this.#settings.retryMinDelayMs * 2, this.#settings.retryMaxDelayMs),
        maxTimeout: this.#settings.retryMaxDelayMs,
        randomize: true,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          this.#settings.logger.debug(
            { err: error, attemptNumber: attemptNumber + 1, retriesLeft },
            'transaction conflict; running it again',
          );
        },
      },
    );
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Runs a statement on the transaction's connection. */
  query<R>(
    frame: TransactionFrame,
    sql: string,
    parameters: readonly unknown[],
    options: QueryOptions,
  ): Promise<SqlResult<R>> {
    if (frame.root.done) return Promise.reject(finishedTransaction());
    if (options.intent !== 'read') frame.root.wrote = true;
    return frame.node.run<R>(frame.client, sql, parameters, {
      name: options.name,
      timeoutMs: options.timeoutMs,
      during: 'transaction',
    });
  }

  async #attempt<R>(fn: () => Promise<R>, begin: string, readOnly: boolean): Promise<R> {
    const node = this.#settings.node;
    const client = await node.acquire();
    const hooks = new TransactionHooks(this.#settings.owner, this.#settings.logger);
    const frame: TransactionFrame = {
      node,
      client,
      hooks,
      depth: 0,
      root: { savepoints: 0, depth: 0, done: false, wrote: false },
    };
    let value: R;
    let committing = false;
    try {
      await node.begin(client, begin);
      value = await this.#storage.run(frame, () => runInTransactionScope(hooks, fn));
      frame.root.done = true;
      committing = true;
      const tag = await node.control(client, 'commit', 'commit');
      if (tag === 'ROLLBACK') {
        // PostgreSQL answers COMMIT with ROLLBACK when a statement inside failed and fn went on.
        node.forgetSettings(client);
        throw new DatabaseError(
          'The transaction was rolled back at COMMIT because a statement inside it had failed (SQLSTATE 25P02); handle or rethrow errors inside transaction()',
          { sqlstate: '25P02' },
        );
      }
      if (frame.root.wrote && !readOnly) await this.#settings.afterWriteCommit?.(client);
    } catch (error) {
      frame.root.done = true;
      if (!committing) await this.#rollbackQuietly(node, client);
      node.release(client);
      await hooks.rolledBack();
      throw error;
    }
    node.release(client);
    await hooks.committed();
    return value;
  }

  async #rollbackQuietly(node: PoolNode, client: PgPoolClient): Promise<void> {
    node.forgetSettings(client);
    try {
      await node.control(client, 'rollback', 'transaction');
    } catch {
      // The connection is gone with the transaction; it is destroyed on release.
      node.markBroken(client);
    }
  }

  /**
   * Runs `fn` in a SAVEPOINT of the open transaction `parent`: an error rolls back to the
   * savepoint only (and is rethrown); on success its hooks join the parent's.
   */
  async savepoint<R>(parent: TransactionFrame, fn: () => Promise<R>): Promise<R> {
    if (parent.root.done) throw finishedTransaction();
    if (parent.root.depth !== parent.depth) {
      throw new RepositoryError(
        'Nested transactions of one transaction must not run concurrently (they share one connection); await each before starting the next',
        'E_TRANSACTION_STATE',
      );
    }
    const { node, client } = parent;
    const name = `reposit_savepoint_${++parent.root.savepoints}`;
    const hooks = new TransactionHooks(this.#settings.owner, this.#settings.logger);
    const frame: TransactionFrame = { ...parent, hooks, depth: parent.depth + 1 };
    // Claimed before the first await, so a sibling started in the same tick is refused.
    parent.root.depth = frame.depth;
    try {
      await node.control(client, `savepoint ${name}`, 'transaction');
    } catch (error) {
      parent.root.depth = parent.depth;
      throw error;
    }
    try {
      const value = await this.#storage.run(frame, () => runInTransactionScope(hooks, fn));
      await node.control(client, `release savepoint ${name}`, 'transaction');
      hooks.mergeInto(parent.hooks);
      return value;
    } catch (error) {
      node.forgetSettings(client);
      await node.control(client, `rollback to savepoint ${name}`, 'transaction').catch(() => {
        // The outer transaction cannot go on either; its own rollback reports that.
      });
      await hooks.rolledBack();
      throw error;
    } finally {
      parent.root.depth = parent.depth;
    }
  }
}

const ISOLATION_LEVELS: ReadonlySet<string> = new Set<IsolationLevel>([
  'read committed',
  'repeatable read',
  'serializable',
]);

function isRetryableConflict(error: unknown): boolean {
  return error instanceof ConflictError && error.retryable;
}

/** A delay between `base` and twice `base` (capped), like p-retry's randomised backoff. */
function jittered(base: number, max: number): number {
  return Math.min(max, Math.round(base * (1 + Math.random())));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The BEGIN statement for `options`; an unknown isolation level is a ValidationError.
 *
 * @example
 * ```ts
 * beginStatement({ isolation: 'serializable', readOnly: true });
 * // 'begin isolation level serializable read only'
 * ```
 */
export function beginStatement(options: TransactionOptions): string {
  const isolation = options.isolation ?? 'read committed';
  if (!ISOLATION_LEVELS.has(isolation)) {
    throw ValidationError.fromIssues('Invalid transaction options', [
      {
        path: 'isolation',
        message: `must be one of ${[...ISOLATION_LEVELS].map((level) => `'${level}'`).join(', ')}`,
        code: 'invalid_value',
      },
    ]);
  }
  return `begin isolation level ${isolation} ${options.readOnly ? 'read only' : 'read write'}`;
}

function finishedTransaction(): RepositoryError {
  return new RepositoryError(
    'The transaction has already finished; a statement started inside it ran on after COMMIT or ROLLBACK (await all work inside transaction())',
    'E_TRANSACTION_STATE',
  );
}
