import { currentContext } from '../context/request-context.js';

type Load<ID, T> = (ids: readonly ID[]) => Promise<(T | null)[]>;

interface PendingBatch<ID, T> {
  readonly keys: Map<
    unknown,
    { id: ID; waiters: { resolve(value: T | null): void; reject(error: unknown): void }[] }
  >;
}

const resolved = Promise.resolve();
const NO_CONTEXT = Symbol('no context');

/**
 * Coalesces the `getById` calls made in the same tick into one batched load
 * (DataLoader-style): the batch is dispatched after the current burst of promise
 * jobs. Calls from different request contexts are batched separately, because their
 * reads may be routed differently (read-your-writes).
 */
export class IdBatcher<ID, T> {
  readonly #load: Load<ID, T>;
  readonly #keyOf: (id: ID) => unknown;
  readonly #maxBatch: number;
  readonly #pending = new Map<unknown, PendingBatch<ID, T>>();

  constructor(load: Load<ID, T>, keyOf: (id: ID) => unknown, maxBatch = 1000) {
    this.#load = load;
    this.#keyOf = keyOf;
    this.#maxBatch = maxBatch;
  }

  load(id: ID): Promise<T | null> {
    const group = currentContext()?.state ?? NO_CONTEXT;
    let batch = this.#pending.get(group);
    if (!batch) {
      const created: PendingBatch<ID, T> = { keys: new Map() };
      batch = created;
      this.#pending.set(group, created);
      resolved.then(() => process.nextTick(() => this.#dispatch(group, created)));
    }
    const key = this.#keyOf(id);
    let entry = batch.keys.get(key);
    if (!entry) {
      entry = { id, waiters: [] };
      batch.keys.set(key, entry);
    }
    const waiters = entry.waiters;
    const promise = new Promise<T | null>((resolve, reject) => waiters.push({ resolve, reject }));
    if (batch.keys.size >= this.#maxBatch) this.#dispatch(group, batch);
    return promise;
  }

  #dispatch(group: unknown, batch: PendingBatch<ID, T>): void {
    if (this.#pending.get(group) !== batch) return;
    this.#pending.delete(group);
    const entries = [...batch.keys.values()];
    this.#load(entries.map((entry) => entry.id)).then(
      (values) => {
        entries.forEach((entry, index) => {
          for (const waiter of entry.waiters) waiter.resolve(values[index] ?? null);
        });
      },
      (error: unknown) => {
        for (const entry of entries) for (const waiter of entry.waiters) waiter.reject(error);
      },
    );
  }
}
