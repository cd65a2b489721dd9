/**
 * One load per key at a time: callers that miss the same key while a load runs share
 * its promise. `forget` detaches a key (after an invalidation), so callers arriving
 * later start a fresh load instead of joining one that may predate the write.
 *
 * @example
 * ```ts
 * const flights = new SingleFlight<string, User | undefined>();
 * const user = await flights.run('user:1', () => db.find(1));
 * ```
 */
export class SingleFlight<K, V> {
  readonly #flights = new Map<K, Promise<V>>();

  /** The running load of a key, if any. */
  get(key: K): Promise<V> | undefined {
    return this.#flights.get(key);
  }

  /** Joins the running load of `key`, or starts `load`. */
  run(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.#flights.get(key);
    if (running) return running;
    const promise = load().finally(() => {
      if (this.#flights.get(key) === promise) this.#flights.delete(key);
    });
    this.#flights.set(key, promise);
    return promise;
  }

  /** Registers an externally driven load of `key` (a batch that covers several keys). */
  register(key: K, promise: Promise<V>): void {
    this.#flights.set(key, promise);
    promise.then(
      () => this.#release(key, promise),
      () => this.#release(key, promise),
    );
  }

  /** Detaches keys from their running loads. */
  forget(keys: Iterable<K>): void {
    for (const key of keys) this.#flights.delete(key);
  }

  /** The keys being loaded. */
  keys(): K[] {
    return [...this.#flights.keys()];
  }

  /** How many loads run. */
  get size(): number {
    return this.#flights.size;
  }

  #release(key: K, promise: Promise<V>): void {
    if (this.#flights.get(key) === promise) this.#flights.delete(key);
  }
}
