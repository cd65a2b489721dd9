/**
 * Serialises async work per key inside one process, so a read-check-write on one id
 * never interleaves with another on the same id.
 *
 * @example
 * ```ts
 * const locks = new KeyedMutex();
 * await locks.run('c-42', async () => { const row = await read(); await write({ ...row, n: row.n + 1 }); });
 * ```
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
