import { AsyncLocalStorage } from 'node:async_hooks';
import { currentTransaction } from '../../context/transaction-scope.js';
import { isRepositoryError, UnavailableError } from '../../errors.js';
import type { LegacyCounters } from './legacy-metrics.js';
import type { MigrationSide } from './migration-phase.js';
import type { MigrationStore } from './migration-store.js';
import { MemoryOutboxStore, type OutboxStore, outboxKey } from './outbox.js';

/**
 * What happens when the secondary side rejects a write.
 *
 * @example
 * ```ts
 * secondaryWrites: { policy: 'outbox', outbox: new FileOutboxStore('outbox.json'), retryIntervalMs: 5000 }
 * ```
 */
export interface SecondaryWriteOptions {
  /**
   * `fail`: the caller gets the error and the primary write is rolled back with it (both
   * sides' writes run in one transaction of each backend that has transactions).
   * `outbox`: the caller gets the primary's result and the id is queued and retried
   * until the secondary catches up.
   * @default 'fail'
   */
  readonly policy?: 'fail' | 'outbox';
  /** Where failed secondary writes wait. @default new MemoryOutboxStore() */
  readonly outbox?: OutboxStore;
  /** How often the outbox is retried in the background; 0 turns the timer off (call `drainOutbox()`). @default 1000 */
  readonly retryIntervalMs?: number;
  /** First retry delay; it doubles per attempt up to a minute. @default 500 */
  readonly backoffMs?: number;
}

/**
 * One entity a write left for the secondary side to mirror (`null`: delete it there).
 *
 * @example
 * ```ts
 * const change: SecondaryChange<Customer> = { side: 'new', id: 'C00001', entity: customer };
 * ```
 */
export interface SecondaryChange<T> {
  readonly side: MigrationSide;
  readonly id: unknown;
  readonly entity: T | null;
}

/** What a {@link SecondaryWriter} works with. */
interface SecondaryWriterConfig<T extends object, ID> {
  readonly entityName: string;
  readonly stores: Record<MigrationSide, MigrationStore<T, ID>>;
  readonly counters: LegacyCounters;
  readonly options: SecondaryWriteOptions;
  readonly onQueued: (queued: { side: MigrationSide; id: unknown; error: unknown }) => void;
}

/**
 * The write half of the adapter: runs primary writes inside the sides' transactions,
 * mirrors the result to the secondary side under the configured policy, and owns the
 * outbox and its retry timer.
 *
 * @example
 * ```ts
 * await writer.write(['legacy', 'new'], async () => {
 *   const entity = await stores.legacy.update(id, patch, {});
 *   return [{ side: 'new', id, entity }];
 * });
 * ```
 */
export class SecondaryWriter<T extends object, ID> {
  readonly policy: 'fail' | 'outbox';
  readonly #config: SecondaryWriterConfig<T, ID>;
  readonly #outbox: OutboxStore;
  readonly #backoffMs: number;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #inTransaction = new AsyncLocalStorage<true>();
  #draining: Promise<{ delivered: number; failed: number }> | undefined;

  constructor(config: SecondaryWriterConfig<T, ID>) {
    this.#config = config;
    const options = config.options;
    this.policy = options.policy ?? 'fail';
    this.#outbox = options.outbox ?? new MemoryOutboxStore();
    this.#backoffMs = options.backoffMs ?? 500;
    const interval = options.retryIntervalMs ?? 1000;
    if (this.policy === 'outbox' && interval > 0) {
      this.#timer = setInterval(() => void this.drain().catch(() => {}), interval);
      this.#timer.unref();
    }
  }

  /** How many outbox entries wait. */
  pending(): Promise<number> {
    return this.#outbox.size();
  }

  /**
   * Runs the primary writes, then the secondary ones: with policy `fail` inside the same
   * transactions (so a secondary failure undoes the primary write), with `outbox` after
   * they commit, queueing what fails.
   */
  async write(sides: readonly MigrationSide[], primary: () => Promise<SecondaryChange<T>[]>): Promise<void> {
    const changes = await this.atomic(sides, async () => {
      const changes = await primary();
      if (this.policy === 'fail') await this.#replicate(changes);
      return changes;
    });
    if (this.policy === 'fail' || changes.length === 0) return;
    const transaction = this.#inTransaction.getStore() ? currentTransaction() : undefined;
    if (transaction) transaction.afterCommit(() => this.#replicate(changes));
    else await this.#replicate(changes);
  }

  /** Runs `work` inside a transaction of each of these sides that has transactions (once, however nested). */
  async atomic<R>(sides: readonly MigrationSide[], work: () => Promise<R>): Promise<R> {
    if (this.#inTransaction.getStore()) return work();
    let run = () => this.#inTransaction.run(true, work);
    for (const side of sides) {
      const store = this.#config.stores[side];
      if (!store.runInTransaction) continue;
      const inner = run;
      run = () => store.runInTransaction!(inner);
    }
    return run();
  }

  /** Retries the due outbox entries (one drain at a time). */
  drain(limit = 100): Promise<{ delivered: number; failed: number }> {
    this.#draining ??= this.#drain(limit).finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /** Stops the retry timer and waits for a drain in progress. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#draining?.catch(() => {});
  }

  async #drain(limit: number): Promise<{ delivered: number; failed: number }> {
    const { stores, counters } = this.#config;
    let delivered = 0;
    let failed = 0;
    for (const entry of await this.#outbox.due(Date.now(), limit)) {
      const source = stores[entry.side === 'legacy' ? 'new' : 'legacy'];
      try {
        const [current] = await source.findByIds([entry.id as ID]);
        await stores[entry.side].mirror(entry.id as ID, current ?? null);
        await this.#outbox.remove(entry.key, entry.enqueuedAt);
        counters.outboxDelivered++;
        delivered++;
      } catch (error) {
        failed++;
        const attempts = entry.attempts + 1;
        await this.#outbox.put({
          ...entry,
          attempts,
          lastError: messageOf(error),
          nextAttemptAt: Date.now() + Math.min(60_000, this.#backoffMs * 2 ** (attempts - 1)),
        });
      }
    }
    return { delivered, failed };
  }

  async #replicate(changes: readonly SecondaryChange<T>[]): Promise<void> {
    const { stores, counters } = this.#config;
    for (const change of changes) {
      try {
        await stores[change.side].mirror(change.id as ID, change.entity);
        counters.secondaryWrites++;
      } catch (error) {
        counters.secondaryFailures++;
        if (this.policy === 'fail') throw this.#secondaryError(change, error);
        const enqueuedAt = new Date();
        await this.#outbox.put({
          key: outboxKey(change.side, change.id),
          side: change.side,
          id: change.id,
          attempts: 1,
          lastError: messageOf(error),
          enqueuedAt,
          nextAttemptAt: enqueuedAt.getTime() + this.#backoffMs,
        });
        this.#config.onQueued({ side: change.side, id: change.id, error });
      }
    }
  }

  #secondaryError(change: SecondaryChange<T>, error: unknown): unknown {
    if (isRepositoryError(error)) return error;
    const name = this.#config.entityName;
    return new UnavailableError(
      `The ${change.side} side rejected the write of ${name} ${String(change.id)} (secondary write policy 'fail'): ${messageOf(error)}`,
      { entity: name, id: change.id, cause: error },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
